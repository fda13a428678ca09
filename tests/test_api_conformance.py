"""OpenAI parameters honoured or refused, against a real uvicorn server around an engine on fake
models (fast): token limits and `finish_reason`, stop sequences, system messages, refusals naming
the parameter, unknown roles, unknown routes and methods, and a non-streamed client that hangs up."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import openai
import pytest

from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder

from .servers import ThreadServer

STEAK = "How long should I rest a steak?"
OFF_TOPIC = "Who painted the Mona Lisa?"


@pytest.fixture
def served(make_settings: Callable[..., Settings]) -> Iterator[tuple[ThreadServer, Engine]]:
    eng = Engine(make_settings(max_concurrency=1, max_queue=2), embedder=HashEmbedder())
    eng.ingest()
    with ThreadServer(build_app(eng, with_ui=False)) as srv:
        yield srv, eng


@pytest.fixture
def client(served: tuple[ThreadServer, Engine]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served[0].url}/v1", api_key="x", max_retries=0, timeout=60)


def _post(srv: ThreadServer, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{srv.url}/v1/chat/completions", json=body, timeout=60)


def test_max_tokens_cuts_the_answer_with_finish_reason_length(client: openai.OpenAI) -> None:
    # fake:echo answers "echo: Who painted the Mona Lisa?" (6 words, one token each).
    full = client.chat.completions.create(
        model="frontdesk", messages=[{"role": "user", "content": OFF_TOPIC}]
    )
    assert full.choices[0].finish_reason == "stop"
    assert full.choices[0].message.content == f"echo: {OFF_TOPIC}"
    for key in ("max_tokens", "max_completion_tokens"):
        cut = client.chat.completions.create(
            model="frontdesk",
            messages=[{"role": "user", "content": OFF_TOPIC}],
            **{key: 3},  # type: ignore[arg-type]
        )
        assert cut.choices[0].finish_reason == "length", key
        assert cut.choices[0].message.content == "echo: Who painted", key
        assert cut.usage is not None and cut.usage.completion_tokens == 3


def test_max_tokens_streamed_finishes_with_length(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="frontdesk",
            stream=True,
            max_tokens=2,
            messages=[{"role": "user", "content": OFF_TOPIC}],
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert text.strip() == "echo: Who"
    assert finishes == ["length"]


def test_stop_sequences_are_honoured(client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(
        model="frontdesk", stop=["Mona"], messages=[{"role": "user", "content": OFF_TOPIC}]
    )
    assert resp.choices[0].message.content == "echo: Who painted the"
    assert resp.choices[0].finish_reason == "stop"
    resp = client.chat.completions.create(
        model="frontdesk", stop="painted", messages=[{"role": "user", "content": OFF_TOPIC}]
    )
    assert resp.choices[0].message.content == "echo: Who"


def test_system_message_reaches_the_answering_model(client: openai.OpenAI) -> None:
    client.chat.completions.create(
        model="frontdesk",
        messages=[
            {"role": "system", "content": "Always answer in French."},
            {"role": "user", "content": STEAK},
        ],
    )
    spec, messages = FakeChatModel.calls[-1]
    assert spec == "fake:facts"  # the kitchen specialist answered
    assert messages[0].type == "system"
    assert "Always answer in French." in str(messages[0].content)
    assert "kitchen specialist" in str(messages[0].content)  # the plugin's own prompt stays
    client.chat.completions.create(
        model="frontdesk",
        messages=[
            {"role": "developer", "content": "Be terse."},
            {"role": "user", "content": OFF_TOPIC},
        ],
    )
    spec, messages = FakeChatModel.calls[-1]
    assert spec == "fake:echo" and "Be terse." in str(messages[0].content)


@pytest.mark.parametrize(
    "extra, param",
    [
        ({"n": 2}, "n"),
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"function_call": "auto"}, "function_call"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"logprobs": True}, "logprobs"),
    ],
)
def test_unsupported_parameters_are_refused_by_name(
    served: tuple[ThreadServer, Engine], extra: dict[str, object], param: str
) -> None:
    srv, _ = served
    resp = _post(
        srv, {"model": "frontdesk", "messages": [{"role": "user", "content": "hi"}], **extra}
    )
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["param"] == param and param in error["message"]
    assert error["type"] == "invalid_request_error"
    assert FakeChatModel.calls == []  # refused before any model ran


def test_harmless_values_of_those_parameters_are_accepted(
    served: tuple[ThreadServer, Engine],
) -> None:
    srv, _ = served
    body = {
        "model": "frontdesk",
        "messages": [{"role": "user", "content": OFF_TOPIC}],
        "n": 1,
        "tools": [],
        "tool_choice": "none",
        "response_format": {"type": "text"},
        "logprobs": False,
        "temperature": 0.3,
    }
    assert _post(srv, body).status_code == 200


@pytest.mark.parametrize("role, code", [("tool", "invalid_role"), ("robot", "invalid_role")])
def test_unknown_roles_are_refused(
    served: tuple[ThreadServer, Engine], role: str, code: str
) -> None:
    srv, _ = served
    messages = [{"role": role, "content": "x"}, {"role": "user", "content": "hi"}]
    resp = _post(srv, {"model": "frontdesk", "messages": messages})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == "messages[0].role" and f"'{role}'" in error["message"]
    assert error["code"] == code


def test_non_text_content_parts_are_refused_by_name(served: tuple[ThreadServer, Engine]) -> None:
    """An image beside the question was dropped silently (or, alone, called an empty question)."""
    srv, _ = served
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    for content in ([image], [{"type": "text", "text": "What is in this picture?"}, image]):
        resp = _post(
            srv, {"model": "frontdesk", "messages": [{"role": "user", "content": content}]}
        )
        assert resp.status_code == 400, resp.text
        error = resp.json()["error"]
        assert "'image_url'" in error["message"] and error["param"].startswith(
            "messages[0].content["
        )
    text = [{"type": "text", "text": STEAK}]
    resp = _post(srv, {"model": "frontdesk", "messages": [{"role": "user", "content": text}]})
    assert resp.status_code == 200 and "minutes" in resp.json()["choices"][0]["message"]["content"]


def test_metadata_that_is_not_a_string_is_a_400(served: tuple[ThreadServer, Engine]) -> None:
    """`metadata: {"thread_id": 5}` was a 500 (the engine matched an int against its pattern)."""
    srv, _ = served
    messages = [{"role": "user", "content": STEAK}]
    for key, value in (("thread_id", 5), ("thread_id", ["a"]), ("document", {"x": 1})):
        for stream in (False, True):
            body = {"model": "frontdesk/kitchen", "messages": messages, "stream": stream}
            resp = _post(srv, {**body, "metadata": {key: value}})
            assert resp.status_code == 400, (key, stream, resp.text)
            assert resp.json()["error"]["param"] == f"metadata.{key}"
    resp = _post(srv, {"model": "frontdesk", "messages": messages, "metadata": {"thread_id": "t5"}})
    assert resp.status_code == 200 and resp.json()["frontdesk"]["thread_id"] == "t5"


def test_stats_scope_is_all_or_start(served: tuple[ThreadServer, Engine]) -> None:
    """`/v1/stats?scope=statr` (a typo) answered the all-history figures as if asked for them."""
    srv, _ = served
    for scope in ("all", "start"):
        assert httpx.get(f"{srv.url}/v1/stats", params={"scope": scope}).status_code == 200
    resp = httpx.get(f"{srv.url}/v1/stats", params={"scope": "statr"})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "scope", resp.text


def test_unknown_routes_and_methods_under_v1_in_openai_shape(
    served: tuple[ThreadServer, Engine],
) -> None:
    srv, _ = served
    for method, path, status in [
        ("GET", "/v1/embeddings", 404),
        ("POST", "/v1/completions", 404),
        ("GET", "/v1/chat/completions", 405),
        ("DELETE", "/v1/models", 405),
    ]:
        resp = httpx.request(method, f"{srv.url}{path}")
        assert resp.status_code == status, (method, path, resp.text)
        error = resp.json()["error"]
        assert error["message"] and error["type"] == "invalid_request_error", path
        if status == 405:
            assert resp.headers["allow"] in ("POST", "GET")


@pytest.fixture
def slow_coordinator(
    make_settings: Callable[..., Settings],
) -> Iterator[tuple[ThreadServer, Engine]]:
    eng = Engine(
        make_settings(coordinator_model="fake:slow", max_concurrency=1, max_queue=2),
        embedder=HashEmbedder(),
    )
    eng.ingest()
    with ThreadServer(build_app(eng, with_ui=False)) as srv:
        yield srv, eng


def test_non_streamed_client_that_hangs_up_stops_generation_and_stores_nothing(
    slow_coordinator: tuple[ThreadServer, Engine],
) -> None:
    srv, eng = slow_coordinator
    FakeChatModel.slow_words, FakeChatModel.delay = 40, 0.1  # a 4-second answer
    body = {"model": "frontdesk", "messages": [{"role": "user", "content": OFF_TOPIC}]}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{srv.url}/v1/chat/completions",
            headers={"X-Frontdesk-Thread": "hung-up"},
            json=body,
            timeout=1.0,
        )
    # One slot: this answer starts only once the abandoned one has stopped (or finished).
    FakeChatModel.slow_words, FakeChatModel.delay = 8, 0.05
    resp = _post(srv, body)
    assert resp.status_code == 200
    words = json.loads(resp.text)["choices"][0]["message"]["content"].split()
    assert words == [f"word{i}" for i in range(8)]
    abandoned = FakeChatModel.emitted - 8
    assert 0 < abandoned < 40, abandoned  # the abandoned answer stopped early
    assert eng.history("hung-up") == []
    assert all(a.get("thread_id") != "hung-up" for a in eng.log.answers(0.0))


def test_limits_hold_for_a_specialist_answer_quoted_from_its_evidence(
    client: openai.OpenAI,
) -> None:
    """A specialist whose phrasing is cut (or stopped) falls back to quoting its evidence: the
    client's `stop` and `max_tokens` must still hold for the text it gets back."""
    full = client.chat.completions.create(
        model="frontdesk/kitchen", messages=[{"role": "user", "content": STEAK}]
    )
    whole = full.choices[0].message.content or ""
    assert "minutes" in whole, whole
    stopped = client.chat.completions.create(
        model="frontdesk/kitchen", stop=["minutes"], messages=[{"role": "user", "content": STEAK}]
    )
    text = stopped.choices[0].message.content or ""
    assert "minutes" not in text and "steak for eight" in text, text
    assert stopped.choices[0].finish_reason == "stop"
    for stream in (False, True):
        if stream:
            chunks = list(
                client.chat.completions.create(
                    model="frontdesk/kitchen",
                    max_tokens=4,
                    stream=True,
                    messages=[{"role": "user", "content": STEAK}],
                )
            )
            final = [c for c in chunks if c.model_extra and c.model_extra.get("frontdesk")]
            text = final[-1].model_extra["frontdesk"]["answer"]  # type: ignore[index]
            finish = [c.choices[0].finish_reason for c in chunks if c.choices][-1]
        else:
            cut = client.chat.completions.create(
                model="frontdesk/kitchen",
                max_tokens=4,
                messages=[{"role": "user", "content": STEAK}],
            )
            text, finish = cut.choices[0].message.content or "", cut.choices[0].finish_reason
        assert text and len(text.split()) <= 4 and "steak" in whole, (stream, text)
        assert finish == "length", stream
