"""The OpenAI-compatible API, driven by the official `openai` client and LangChain's ChatOpenAI
against a real `frontdesk serve` on localhost with the bundled models."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from frontdesk.auth import fingerprint
from frontdesk.engine import Engine
from frontdesk.settings import Settings

from .servers import ServeProcess

pytestmark = pytest.mark.integration
KEY = "sk-test-frontdesk"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("api-home")
    Engine(Settings(home=home, entry_point_plugins=False)).ingest()
    env = {
        "FRONTDESK_HOME": str(home),
        "FRONTDESK_API_KEYS": f"other-key,{KEY}",
        "FRONTDESK_MAX_CONCURRENCY": "1",
        "FRONTDESK_MAX_QUEUE": "3",
        "FRONTDESK_MAX_BODY_BYTES": "20000",
        "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
    }
    with ServeProcess(env, home / "server.log") as srv:
        srv.home = home  # type: ignore[attr-defined]
        yield srv


@pytest.fixture
def client(server: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=120)


def test_models_list(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert ids == {"frontdesk", "frontdesk/cooking", "frontdesk/gardening", "frontdesk/cycling"}


def test_non_streaming_answer_with_usage_route_and_citations(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(
        model="frontdesk", messages=[{"role": "user", "content": "How long should I rest a steak?"}]
    )
    assert resp.object == "chat.completion" and resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and resp.usage.prompt_tokens > 50
    extra = resp.model_extra["frontdesk"]  # type: ignore[index]
    assert extra["route"]["plugins"][0]["name"] == "cooking"
    assert all(c["plugin"] == "cooking" for c in extra["citations"])


def test_streaming_ends_with_route_and_done(client: openai.OpenAI, server: ServeProcess) -> None:
    stream = client.chat.completions.create(
        model="frontdesk",
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "When should I prune my roses?"}],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1
    assert finals[0].model_extra["frontdesk"]["route"]["plugins"][0]["name"] == "gardening"  # type: ignore[index]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    raw = httpx.post(
        f"{server.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {KEY}"},
        json={
            "model": "frontdesk",
            "stream": True,
            "messages": [{"role": "user", "content": "Can I freeze cooked rice?"}],
        },
        timeout=120,
    )
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_forced_plugin(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(
        model="frontdesk/gardening",
        messages=[{"role": "user", "content": "How long should I rest a steak?"}],
    )
    route = resp.model_extra["frontdesk"]["route"]  # type: ignore[index]
    assert route["plugins"] == [{"name": "gardening", "score": 1.0}]


def test_unknown_model_is_404_in_openai_shape(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 404
    assert info.value.body["code"] == "model_not_found"  # type: ignore[index]


def test_wrong_key_is_401(server: ServeProcess) -> None:
    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    none = httpx.get(f"{server.url}/v1/models")
    assert none.status_code == 401 and none.json()["error"]["code"] == "invalid_api_key"


def test_langchain_chat_openai(server: ServeProcess) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="frontdesk", base_url=f"{server.url}/v1", api_key=KEY, max_retries=0)  # type: ignore[arg-type]
    reply = llm.invoke("How do I fix a flat tyre on my bike?")
    assert str(reply.content).strip()
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] > 0


def test_thread_memory_through_the_header(client: openai.OpenAI, server: ServeProcess) -> None:
    for q in ("How do I start a compost heap?", "What should I not put in it?"):
        client.chat.completions.create(
            model="frontdesk",
            messages=[{"role": "user", "content": q}],
            extra_headers={"X-Frontdesk-Thread": "api-thread-1"},
        )
    eng = Engine(Settings(home=server.home, entry_point_plugins=False))  # type: ignore[attr-defined]
    history = eng.history("api-thread-1", fingerprint(KEY))
    assert [m.type for m in history] == ["human", "ai", "human", "ai"]
    assert history[2].content == "What should I not put in it?"


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b"{not json", 400, "invalid_json"),
        (json.dumps({"model": "frontdesk"}).encode(), 400, "invalid_request"),
        (json.dumps({"model": "frontdesk", "messages": []}).encode(), 400, "invalid_request"),
        (
            json.dumps(
                {"model": "frontdesk", "messages": [{"role": "assistant", "content": "x"}]}
            ).encode(),
            400,
            "invalid_request",
        ),
        (
            json.dumps(
                {"model": "frontdesk", "messages": [{"role": "user", "content": "x" * 30000}]}
            ).encode(),
            413,
            "too_large",
        ),
        (
            json.dumps(
                {"model": "frontdesk", "messages": [{"role": "user", "content": "x" * 5000}]}
            ).encode(),
            413,
            "too_large",
        ),
    ],
)
def test_malformed_and_oversized_requests(
    server: ServeProcess, body: bytes, status: int, code: str
) -> None:
    resp = httpx.post(
        f"{server.url}/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == code and resp.json()["error"]["message"]


def test_twenty_clients_answered_or_refused_and_memory_not_mixed(server: ServeProcess) -> None:
    questions = [
        "How long should I rest a steak?",
        "When should I prune my roses?",
        "How often should I oil my bike chain?",
        "Can I freeze cooked rice?",
    ]

    def ask(i: int) -> tuple[int, str | None]:
        r = httpx.post(
            f"{server.url}/v1/chat/completions",
            timeout=300,
            headers={"Authorization": f"Bearer {KEY}", "X-Frontdesk-Thread": f"crowd-{i}"},
            json={
                "model": "frontdesk",
                "messages": [{"role": "user", "content": f"{questions[i % 4]} (#{i})"}],
            },
        )
        return r.status_code, r.headers.get("retry-after")

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(ask, range(20)))
    statuses = [s for s, _ in results]
    assert set(statuses) <= {200, 429, 503}, statuses
    assert statuses.count(200) >= 4 and statuses.count(429) >= 1
    assert all(ra for s, ra in results if s != 200)
    eng = Engine(Settings(home=server.home, entry_point_plugins=False))  # type: ignore[attr-defined]
    for i, status in enumerate(statuses):
        history = eng.history(f"crowd-{i}", fingerprint(KEY))
        if status == 200:
            assert len(history) == 2 and history[0].content.endswith(f"(#{i})")
        else:
            assert history == []


def test_disconnect_mid_stream_stops_generation(server: ServeProcess) -> None:
    headers = {"Authorization": f"Bearer {KEY}", "X-Frontdesk-Thread": "gone"}
    body = {
        "model": "frontdesk/cooking",
        "stream": True,
        "messages": [{"role": "user", "content": "Tell me everything about baking bread."}],
    }
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", json=body, headers=headers, timeout=120
    ) as resp:
        for line in resp.iter_lines():
            if line.startswith("data: "):
                # The stream is open and the specialist is generating (its answer is shown only
                # once checked, so no answer token comes before the end): now hang up.
                break
    # The single generation slot is free again soon, and the cancelled turn was not stored.
    ok = httpx.post(
        f"{server.url}/v1/chat/completions",
        timeout=120,
        headers={"Authorization": f"Bearer {KEY}"},
        json={
            "model": "frontdesk",
            "messages": [{"role": "user", "content": "Hi there, what is 2+2?"}],
        },
    )
    assert ok.status_code == 200
    eng = Engine(Settings(home=server.home, entry_point_plugins=False))  # type: ignore[attr-defined]
    assert eng.history("gone", fingerprint(KEY)) == []


def test_health_and_readiness(server: ServeProcess) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "ready": True}
    ready = httpx.get(f"{server.url}/readyz", headers={"Authorization": f"Bearer {KEY}"})
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert {c["name"] for c in ready.json()["checks"]} == {
        "store",
        "memory",
        "model llamacpp:smollm2",
        "plugin cooking",
        "plugin gardening",
        "plugin cycling",
    }


def test_refuses_public_bind_without_keys(tmp_path: Path) -> None:
    env = {"FRONTDESK_HOME": str(tmp_path), "FRONTDESK_API_KEYS": "", "HF_HUB_OFFLINE": "1"}
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk", "serve", "--host", "0.0.0.0"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without FRONTDESK_API_KEYS" in proc.stderr


def test_max_tokens_cuts_a_real_answer_with_finish_reason_length(client: openai.OpenAI) -> None:
    """llama.cpp's own finish reason reaches the client, streamed and not."""
    question = [{"role": "user", "content": "Tell me a long story about a dragon."}]
    cut = client.chat.completions.create(model="frontdesk", max_tokens=4, messages=question)
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content and len(cut.choices[0].message.content.split()) <= 4
    chunks = list(
        client.chat.completions.create(
            model="frontdesk", max_completion_tokens=4, stream=True, messages=question
        )
    )
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
