"""Model pools against real hosts: Ollama-protocol servers in their own processes
(tests/ollama_server.py, canned answers) that are really killed and started again, and real
`frontdesk` API servers (scripted models) as the hosts of an `openai:` pool."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage

from frontdesk import pools
from frontdesk.engine import Engine
from frontdesk.errors import BackendError
from frontdesk.models import ModelOptions, load_chat_model, parse_spec, probe
from frontdesk.pools import PooledChatModel
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin
from .ollama_server import MODEL_NAME, OllamaProcess
from .servers import ThreadServer, wait_ready

FAST = ModelOptions(max_tokens=32, timeout=10, pool_cooldown=0.3, pool_cooldown_max=1.0)
QUESTION = [HumanMessage("Facts:\n- Rest a steak for five minutes.\n\nHow long?")]


def test_spec_with_several_hosts() -> None:
    spec = parse_spec("ollama:qwen2.5:3b@http://a:11434,http://b:11434/")
    assert (spec.name, spec.hosts) == ("qwen2.5:3b", ("http://a:11434", "http://b:11434"))
    assert spec.base_url == "http://a:11434"  # one-host readers still see a URL
    assert str(spec) == "ollama:qwen2.5:3b@http://a:11434,http://b:11434"
    assert parse_spec("openai:gpt@https://x/v1").hosts == ("https://x/v1",)
    with pytest.raises(ValueError, match="host 'b:11434' must be a URL"):
        parse_spec("ollama:m@http://a:11434,b:11434")
    with pytest.raises(ValueError, match="names the same host twice"):
        parse_spec("ollama:m@http://a,http://a/")


@pytest.fixture(scope="module")
def hosts() -> Iterator[list[OllamaProcess]]:
    started: list[OllamaProcess] = []
    try:
        for _ in range(3):
            started.append(OllamaProcess(delay=0.05).__enter__())
        yield started
    finally:
        for host in started:
            host.kill()


@pytest.fixture
def fresh(hosts: list[OllamaProcess]) -> Iterator[list[OllamaProcess]]:
    """Every host up and no pool remembering earlier failures, before and after each test."""
    for host in hosts:
        if host.proc.poll() is not None:
            host.__enter__()  # the same port again
    pools.forget()
    yield hosts
    pools.forget()


def _spec(hosts: list[OllamaProcess], model: str = MODEL_NAME) -> str:
    return f"ollama:{model}@" + ",".join(h.url for h in hosts)


def _states(model: Any) -> dict[str, dict[str, Any]]:
    assert isinstance(model, PooledChatModel)
    return {h["url"]: h for h in model.pool.report()}


def test_requests_spread_over_every_host(fresh: list[OllamaProcess]) -> None:
    model = load_chat_model(_spec(fresh), FAST)
    for _ in range(6):
        assert model.invoke(QUESTION).content.strip() == "Rest a steak for five minutes."
    states = _states(model)
    assert {url: s["requests"] for url, s in states.items()} == {h.url: 2 for h in fresh}
    assert all(s["state"] == "ready" and s["errors"] == 0 for s in states.values())


def test_killed_host_is_skipped_cooled_down_and_used_again_when_back(
    fresh: list[OllamaProcess],
) -> None:
    model = load_chat_model(_spec(fresh[:2]), FAST)
    dead, alive = fresh[0], fresh[1]
    dead.kill()
    for streamed in (False, True, False, True):  # each kind may meet the dead host first
        if streamed:
            text = "".join(str(c.content) for c in model.stream(QUESTION))
        else:
            text = str(model.invoke(QUESTION).content)
        assert text.strip() == "Rest a steak for five minutes."
    state = _states(model)
    assert state[dead.url]["errors"] >= 1 and "ConnectError" in state[dead.url]["last_error"]
    assert state[alive.url]["errors"] == 0 and state[alive.url]["requests"] == 4

    dead.__enter__()  # back on its port: after the cooldown a probe returns it to rotation
    deadline = time.time() + 30
    while _states(model)[dead.url]["state"] != "ready" and time.time() < deadline:
        model.invoke(QUESTION)
        time.sleep(0.2)
    before = _states(model)[dead.url]["requests"]
    for _ in range(4):
        model.invoke(QUESTION)
    after = _states(model)[dead.url]
    assert after["state"] == "ready" and after["requests"] >= before + 2, after


def test_host_that_never_answers_times_out_and_the_next_host_answers(
    fresh: list[OllamaProcess],
) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        model = load_chat_model(
            f"ollama:{MODEL_NAME}@{url},{fresh[0].url}", replace(FAST, timeout=1)
        )
        for _ in range(2):  # one of the two starts on the silent host
            assert model.invoke(QUESTION).content.strip() == "Rest a steak for five minutes."
        state = _states(model)[url]
        assert state["state"] == "cooling down" and "Timeout" in state["last_error"], state


def test_every_host_down_is_one_clear_error(fresh: list[OllamaProcess]) -> None:
    model = load_chat_model(_spec(fresh[:2]), FAST)
    for host in fresh[:2]:
        host.kill()
    with pytest.raises(BackendError, match="every host failed") as err:
        model.invoke(QUESTION)
    assert all(h.url in str(err.value) for h in fresh[:2])
    assert probe(_spec(fresh[:2]))[0] is False


def test_request_errors_are_not_retried_elsewhere(fresh: list[OllamaProcess]) -> None:
    """A 404 (no such model) is about the request: one host tried, none cooled down."""
    model = load_chat_model(_spec(fresh, "no-such-model"), FAST)
    with pytest.raises(Exception, match="not found") as err:
        model.invoke(QUESTION)
    assert not isinstance(err.value, BackendError)  # the host's own error, not "every host"
    states = _states(model)
    assert sum(s["requests"] for s in states.values()) == 1
    assert all(s["state"] == "ready" and s["errors"] == 0 for s in states.values())


def test_stream_is_not_retried_after_its_first_token(fresh: list[OllamaProcess]) -> None:
    slow = OllamaProcess(delay=0.4).__enter__()
    try:
        model = load_chat_model(f"ollama:{MODEL_NAME}@{slow.url},{fresh[0].url}", FAST)
        order = [h.url for h in model.pool.order()]  # type: ignore[attr-defined]
        if order[0] == slow.url:  # that turn is taken: the next request goes to the other host
            model.invoke(QUESTION)  # so that the stream after it starts on the slow one
        chunks = model.stream(QUESTION)
        first = next(c for c in chunks if c.content)
        assert str(first.content).strip() == "Rest"
        slow.kill()
        with pytest.raises(Exception) as err:
            "".join(str(c.content) for c in chunks)
        assert not isinstance(err.value, BackendError)  # the broken stream, not a retry's error
        states = _states(model)
        assert states[slow.url]["errors"] == 1 and states[slow.url]["state"] == "cooling down"
        assert states[fresh[0].url]["requests"] == (1 if order[0] == slow.url else 0)
    finally:
        slow.kill()


def test_whole_answer_is_retried_when_its_host_dies_mid_answer(
    fresh: list[OllamaProcess],
) -> None:
    """Not streamed, nothing has reached the caller yet: the next host answers from the start."""
    slow = OllamaProcess(delay=0.4).__enter__()
    try:
        model = load_chat_model(f"ollama:{MODEL_NAME}@{slow.url},{fresh[0].url}", FAST)
        if model.pool.order()[0].url == slow.url:  # type: ignore[attr-defined]
            model.invoke(QUESTION)  # that turn is taken: the next request starts on the slow host
        threading.Timer(1.0, slow.kill).start()  # after two or three of its six words
        reply = model.invoke(QUESTION)
        assert reply.content.strip() == "Rest a steak for five minutes."
        states = _states(model)
        assert states[slow.url]["errors"] == 1 and states[slow.url]["state"] == "cooling down"
    finally:
        slow.kill()


# --- through the server: answers and /readyz --------------------------------------------


@pytest.fixture
def pooled_server(
    fresh: list[OllamaProcess], tmp_path: Path, make_settings: Callable[..., Settings]
) -> Iterator[tuple[ThreadServer, str]]:
    spec = _spec(fresh[:2])
    root = tmp_path / "pool-plugins"
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs, model=spec if name == "kitchen" else None)
    settings = make_settings(plugins_path=str(root), pool_cooldown=30.0)
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    with ThreadServer(build_app(eng, with_ui=False)) as srv:
        yield srv, spec


def _ask(url: str, question: str) -> httpx.Response:
    body = {"model": "frontdesk", "messages": [{"role": "user", "content": question}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)


def _host_checks(url: str) -> tuple[str, dict[str, dict[str, Any]]]:
    body = httpx.get(f"{url}/readyz", timeout=30).json()
    hosts = {c["url"]: c for c in body["checks"] if c["component"] == "model host"}
    return body["status"], hosts


def test_pool_with_a_killed_host_keeps_answering_and_readyz_shows_each_host(
    pooled_server: tuple[ThreadServer, str], fresh: list[OllamaProcess]
) -> None:
    srv, spec = pooled_server
    status, hosts = _host_checks(srv.url)
    assert status == "ready" and set(hosts) == {fresh[0].url, fresh[1].url}
    assert all(h["state"] == "ready" and h["ok"] for h in hosts.values())

    fresh[0].kill()
    for _ in range(3):
        reply = _ask(srv.url, "How long should I rest a steak?")
        assert reply.status_code == 200, reply.text
        extra = reply.json()["frontdesk"]
        assert "failed" not in extra["route"]
        assert spec in {u["model"] for u in extra["usage_by_model"]}  # the pool answered

    status, hosts = _host_checks(srv.url)
    assert status == "degraded"  # still answering, one host short
    dead = hosts[fresh[0].url]
    assert dead["ok"] is False and dead["state"] == "cooling down"
    assert dead["cooling_until"] and "ConnectError" in dead["last_error"]
    assert hosts[fresh[1].url]["state"] == "ready"
    model_check = next(
        c
        for c in httpx.get(f"{srv.url}/readyz").json()["checks"]
        if c.get("spec") == spec and c["component"] == "model"
    )
    assert model_check["ok"] and model_check["detail"] == "pool: 1 of 2 hosts ready"


# --- an openai: pool over two real frontdesk API servers ---------------------------------


def _api_host(make_settings: Callable[..., Settings], home: Path, port: int | None) -> ThreadServer:
    eng = Engine(make_settings(home=home), embedder=HashEmbedder())
    eng.ingest()
    srv = ThreadServer(build_app(eng, with_ui=False))
    if port is not None:  # come back on the port the pool knows
        srv.server.config.port, srv.port, srv.url = port, port, f"http://127.0.0.1:{port}"
    return srv.__enter__()


def test_openai_pool_over_frontdesk_servers(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    pools.forget()
    first = _api_host(make_settings, tmp_path / "a", None)
    second = _api_host(make_settings, tmp_path / "b", None)
    spec = f"openai:frontdesk@{first.url}/v1,{second.url}/v1"
    try:
        model = load_chat_model(spec, FAST)
        assert probe(spec) == (True, "2 of 2 hosts reachable")
        for _ in range(2):
            assert str(model.invoke("How long should I rest a steak?").content).strip()
        states = _states(model)
        assert [s["requests"] for s in states.values()] == [1, 1]

        first.__exit__()
        for _ in range(3):
            text = "".join(str(c.content) for c in model.stream("How long should I rest a steak?"))
            assert text.strip()
        states = _states(model)
        assert states[f"{first.url}/v1"]["state"] == "cooling down"
        assert states[f"{second.url}/v1"]["requests"] == 4

        first = _api_host(make_settings, tmp_path / "a", first.port)
        wait_ready(first.url)
        deadline = time.time() + 30
        while _states(model)[f"{first.url}/v1"]["state"] != "ready" and time.time() < deadline:
            model.invoke("How long should I rest a steak?")
            time.sleep(0.2)
        before = _states(model)[f"{first.url}/v1"]["requests"]
        for _ in range(2):
            model.invoke("How long should I rest a steak?")
        assert _states(model)[f"{first.url}/v1"]["requests"] >= before + 1
    finally:
        first.__exit__()
        second.__exit__()
        pools.forget()
