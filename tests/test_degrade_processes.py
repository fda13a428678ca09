"""Model hosts really killed: an Ollama-protocol server in its own process (tests/ollama_server.py,
canned answers so no generation is waited for) behind a real uvicorn server, driven over HTTP.
The other models are test doubles; the point here is the host that dies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin
from .ollama_server import MODEL_NAME, OllamaProcess
from .servers import ThreadServer

MULTI = "How long should I rest a steak, and when should I prune my roses?"


def _engine(root: Path, settings: Settings, models: dict[str, str]) -> Engine:
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs, model=models.get(name))
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    return eng


def _ask(url: str, question: str, **extra: object) -> httpx.Response:
    body = {"model": "frontdesk", "messages": [{"role": "user", "content": question}], **extra}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)


@pytest.fixture
def kitchen_on_ollama(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> Iterator[tuple[OllamaProcess, ThreadServer, Engine, str]]:
    with OllamaProcess(delay=0.3) as host:
        spec = f"ollama:{MODEL_NAME}@{host.url}"
        root = tmp_path / "host-plugins"
        eng = _engine(root, make_settings(plugins_path=str(root)), {"kitchen": spec})
        with ThreadServer(build_app(eng, with_ui=False)) as srv:
            yield host, srv, eng, spec


def test_killed_specialist_host_leaves_the_other_part_answered(
    kitchen_on_ollama: tuple[OllamaProcess, ThreadServer, Engine, str],
) -> None:
    host, srv, _, spec = kitchen_on_ollama
    before = _ask(srv.url, MULTI)
    assert before.status_code == 200, before.text
    extra = before.json()["frontdesk"]
    assert "failed" not in extra["route"]
    assert {u["model"] for u in extra["usage_by_model"]} >= {spec}  # the host really answered
    assert httpx.get(f"{srv.url}/readyz").json()["status"] == "ready"

    host.kill()

    after = _ask(srv.url, MULTI)
    assert after.status_code == 200, after.text
    data = after.json()
    text = data["choices"][0]["message"]["content"]
    assert "Prune bush roses in late winter" in text
    assert f"The kitchen specialist could not be reached ({spec})" in text
    failed = data["frontdesk"]["route"]["failed"]
    assert [f["plugin"] for f in failed] == ["kitchen"] and host.url in failed[0]["error"]
    assert {c["plugin"] for c in data["frontdesk"]["citations"]} == {"garden"}

    ready = httpx.get(f"{srv.url}/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    checks = {c["name"]: c for c in ready.json()["checks"]}
    assert checks[f"model {spec}"]["ok"] is False and checks[f"model {spec}"]["url"] == host.url
    assert checks["plugin kitchen"]["ok"] is False and checks["plugin garden"]["ok"] is True

    # A question for the killed plugin alone: a clear 502 naming the spec and its URL.
    solo = _ask(srv.url, "How long should I rest a steak?")
    assert solo.status_code == 502 and spec in solo.json()["error"]["message"]


def test_host_killed_mid_stream_ends_the_stream_cleanly_and_stores_nothing(
    kitchen_on_ollama: tuple[OllamaProcess, ThreadServer, Engine, str],
) -> None:
    host, srv, eng, spec = kitchen_on_ollama
    body = {
        "model": "frontdesk",
        "stream": True,
        "messages": [{"role": "user", "content": "How long should I rest a steak?"}],
    }
    lines: list[str] = []
    with httpx.stream(
        "POST",
        f"{srv.url}/v1/chat/completions",
        json=body,
        headers={"X-Frontdesk-Thread": "cut"},
        timeout=30,  # a hung connection fails the test with ReadTimeout
    ) as resp:
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if not line:
                continue
            lines.append(line)
            if host.proc.poll() is None:
                # The stream is open and the specialist is generating (its words come slowly;
                # a specialist's answer is shown only once checked, so none is out yet): now
                # the host dies under it.
                host.kill()
    assert lines[-1] == "data: [DONE]"
    shown = [json.loads(x[6:]) for x in lines[:-1]]
    error = shown[-1]["error"]
    assert error["code"] == "backend_unavailable" and spec in error["message"]
    assert eng.history("cut") == []


def test_killed_coordinator_host_leaves_routing_to_the_embeddings(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    with OllamaProcess() as host:
        spec = f"ollama:{MODEL_NAME}@{host.url}"
        root = tmp_path / "coord-plugins"
        settings = make_settings(plugins_path=str(root), coordinator_model=spec, router_llm=True)
        eng = _engine(root, settings, {})
        with ThreadServer(build_app(eng, with_ui=False)) as srv:
            host.kill()
            resp = _ask(srv.url, "Are tomatoes in my garden happy")  # the ambiguous band
            assert resp.status_code == 200, resp.text
            route = resp.json()["frontdesk"]["route"]
            assert route["plugins"][0]["name"] == "garden" and route["llm_used"] is False
            assert "coordinator LLM could not be reached" in route["reason"]
            assert spec in route["reason"]
            ready = httpx.get(f"{srv.url}/readyz").json()
            assert ready["status"] == "degraded"
            assert {c["name"]: c["ok"] for c in ready["checks"]}[f"model {spec}"] is False
