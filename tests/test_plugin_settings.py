"""Per-plugin settings in plugin.toml reach the specialist (issue 10 item 6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from frontdesk import retrieval
from frontdesk.engine import Engine
from frontdesk.errors import BackendError
from frontdesk.plugins import discover
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin
from .ollama_server import MODEL_NAME, FakeOllama

BIKE_DOCS = {"chain.md": "# Chain\n\nOil the chain every 200 km and after rain."}


@pytest.fixture(scope="module")
def ollama() -> FakeOllama:
    with FakeOllama() as server:
        server.httpd.canned = True  # type: ignore[attr-defined]  # answers at once, no model
        yield server


def _bikes(root: Path, url: str, extra: str) -> None:
    write_plugin(
        root,
        "bikes",
        "Bicycle repair: chains, tyres and brakes.",
        ["How often should I oil my chain?"],
        BIKE_DOCS,
        model=f"ollama:{MODEL_NAME}@{url}",
        extra=extra,
    )


def _ask_bikes(tmp_path: Path, ollama: FakeOllama, extra: str) -> tuple[dict, dict]:
    root = tmp_path / "plugins"
    _bikes(root, ollama.url, extra)
    settings = Settings(
        home=tmp_path / "home",
        plugins_path=str(root),
        bundled_plugins=False,
        entry_point_plugins=False,
        coordinator_model="fake:echo",
        router_llm=False,
        max_answer_tokens=200,
    )
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    ollama.requests.clear()
    answer = eng.ask("How often should I oil my bike chain?", plugin="bikes")
    return answer.as_dict(), (ollama.requests[0] if ollama.requests else {})


def test_temperature_and_max_tokens_of_the_manifest_reach_the_model_call(
    tmp_path: Path, ollama: FakeOllama
) -> None:
    answer, request = _ask_bikes(tmp_path, ollama, "temperature = 0.7\nmax_tokens = 40")
    assert "200 km" in answer["answer"]
    assert request["options"]["temperature"] == 0.7
    assert request["options"]["num_predict"] == 40


def test_without_settings_the_global_ones_apply(tmp_path: Path, ollama: FakeOllama) -> None:
    _, request = _ask_bikes(tmp_path, ollama, "")
    assert request["options"]["temperature"] == 0.0
    assert request["options"]["num_predict"] == 200


def test_api_key_env_sends_that_variables_key_to_the_host(
    tmp_path: Path, ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FD_BIKES_KEY", "sekrit-123")
    _, request = _ask_bikes(tmp_path, ollama, 'api_key_env = "FD_BIKES_KEY"')
    assert request["headers"]["authorization"] == "Bearer sekrit-123"


def test_missing_api_key_variable_is_a_clear_error_at_ask(
    tmp_path: Path, ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FD_BIKES_KEY", raising=False)
    with pytest.raises(BackendError) as info:
        _ask_bikes(tmp_path, ollama, 'api_key_env = "FD_BIKES_KEY"')
    assert ollama.requests == []  # nothing was sent without the key
    message = str(info.value)
    assert "bikes" in message and "FD_BIKES_KEY" in message and "is not set" in message
    assert "\n" not in message


def _kitchen(tmp_path: Path, make_settings: Callable[..., Settings], extra: str) -> Engine:
    """The test kitchen plugin with `extra` in its manifest, ingested."""
    desc, examples, docs = MINI_PLUGINS["kitchen"]
    write_plugin(tmp_path / "own", "kitchen", desc, examples, docs, extra=extra)
    eng = Engine(make_settings(plugins_path=str(tmp_path / "own")), embedder=HashEmbedder())
    eng.ingest()
    return eng


def test_escalation_can_be_switched_off_for_one_plugin(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    eng = _kitchen(tmp_path, make_settings, "escalate = false")
    # Its notes have nothing on tomatoes: escalated by default (test_graph), not here.
    answer = eng.ask("How often should I water tomatoes?", plugin="kitchen")
    assert answer.route["mode"] == "specialist"
    assert "don't cover" in answer.answer


def test_keyword_weight_of_the_manifest_reaches_retrieval(
    tmp_path: Path, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    eng = _kitchen(tmp_path, make_settings, "[retrieval]\nkeyword_weight = 0.9")
    seen: list[float] = []
    real = retrieval.weigh

    def spy(cosine: dict, bm25: dict, weight: float, *rest: Any) -> list[str]:
        seen.append(weight)
        return real(cosine, bm25, weight, *rest)

    monkeypatch.setattr(retrieval, "weigh", spy)
    eng.ask("How long should I rest a steak?", plugin="kitchen")
    assert seen == [0.9]


@pytest.mark.parametrize(
    "extra, field, words",
    [
        ("temperature = 3.0", "temperature", "less than or equal to 2"),
        ("max_tokens = 0", "max_tokens", "greater than or equal to 1"),
        ('escalate = "sometimes"', "escalate", "valid boolean"),
        ('api_key_env = "not a name"', "api_key_env", "should match pattern"),
        ("[retrieval]\nkeyword_weight = 2", "retrieval.keyword_weight", "less than or equal"),
    ],
)
def test_bad_settings_are_reported_with_field(tmp_path: Path, extra, field, words) -> None:
    write_plugin(tmp_path / "p", "odd", "A plugin with odd settings.", [], {}, extra=extra)
    found = discover(
        Settings(plugins_path=str(tmp_path / "p"), bundled_plugins=False, entry_point_plugins=False)
    )
    assert found.plugins == {}
    assert f"field '{field}'" in str(found.errors[0]) and words in str(found.errors[0])


def test_api_key_env_authenticates_at_an_openai_compatible_host(
    tmp_path: Path, make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host is a second frontdesk (OpenAI-compatible, keyed): the plugin's key opens it."""
    from frontdesk.server import build_app

    from .servers import ThreadServer

    host = Engine(make_settings(api_keys="host-key"), embedder=HashEmbedder())
    with ThreadServer(build_app(host, with_ui=False)) as srv:
        root = tmp_path / "own"
        write_plugin(
            root,
            "relay",
            "Questions relayed to another desk: chess openings.",
            ["What is the Sicilian defence?"],
            {"chess.md": "The Sicilian defence answers e4 with c5."},
            model=f"openai:frontdesk@{srv.url}/v1",
            extra='api_key_env = "FD_RELAY_KEY"',
        )
        eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
        eng.ingest()
        monkeypatch.setenv("FD_RELAY_KEY", "wrong-key")
        with pytest.raises(BackendError) as info:
            eng.ask("What is the Sicilian defence?", plugin="relay")
        assert "401" in str(info.value) or "Authentication" in str(info.value)
        monkeypatch.setenv("FD_RELAY_KEY", "host-key")
        answer = eng.ask("What is the Sicilian defence?", plugin="relay")
        assert answer.usage and any(u["model"].startswith("openai:") for u in answer.usage)
