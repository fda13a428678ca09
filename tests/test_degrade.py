"""One broken part does not take down the rest: a specialist whose model is down, a coordinator
that cannot be reached for routing, and /readyz per component. Fake models and bag-of-words
embeddings (tests/test_degrade_processes.py kills real model hosts)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import BackendError
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin

MULTI = "How long should I rest a steak, and when should I prune my roses?"


def plugins_with_models(root: Path, models: dict[str, str]) -> Path:
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs, model=models.get(name))
    return root


@pytest.fixture
def garden_down(tmp_path: Path, make_settings: Callable[..., Settings]) -> Engine:
    root = plugins_with_models(tmp_path / "down-plugins", {"garden": "fake:down"})
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest()
    return eng


def test_multi_answer_keeps_the_working_part_and_names_the_failed_one(garden_down: Engine) -> None:
    events = list(garden_down.stream(MULTI, thread_id="multi"))
    answer = events[-1].data
    assert events[-1].kind == "answer"
    route = answer["route"]
    assert route["mode"] == "multi"
    assert {p["name"] for p in route["plugins"]} == {"kitchen", "garden"}
    assert [f["plugin"] for f in route["failed"]] == ["garden"]
    assert route["failed"][0]["model"] == "fake:down"
    assert "Connection refused" in route["failed"][0]["error"]
    assert "Rest a thick steak for eight minutes" in answer["answer"]
    assert "The garden specialist could not be reached (fake:down)" in answer["answer"]
    assert "garden" in route["reason"] and "could not be reached" in route["reason"]
    assert {c["plugin"] for c in answer["citations"]} == {"kitchen"}
    # What a streaming client is shown adds up to the graph's answer, note included.
    shown = "".join(e.data["text"] for e in events if e.kind == "token" and e.data["answer"])
    assert shown.strip() == answer["answer"]
    # The turn is stored with the same record.
    stored = garden_down.history("multi")[-1]
    assert stored.content == answer["answer"]
    assert stored.additional_kwargs["frontdesk"]["route"]["failed"][0]["plugin"] == "garden"


def test_only_specialist_down_is_a_clear_error_and_nothing_is_stored(garden_down: Engine) -> None:
    for plugin in (None, "garden"):
        with pytest.raises(BackendError) as info:
            garden_down.ask("When should I prune my roses?", thread_id="solo", plugin=plugin)
        message = str(info.value)
        assert "garden" in message and "fake:down" in message and "\n" not in message
    assert garden_down.history("solo") == []
    assert [spec for spec, _ in FakeChatModel.calls] == ["fake:down", "fake:down"]


def test_every_part_down_names_each_failed_specialist(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(default_model="fake:down"), embedder=HashEmbedder())
    eng.ingest()
    with pytest.raises(BackendError) as info:
        eng.ask(MULTI)
    assert "kitchen" in str(info.value) and "garden" in str(info.value)


def test_coordinator_down_during_the_merge_returns_the_parts_unmerged(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(coordinator_model="fake:down"), embedder=HashEmbedder())
    eng.ingest()
    answer = eng.ask(MULTI)
    assert answer.route["mode"] == "multi"
    assert "eight minutes" in answer.answer and "late winter" in answer.answer
    assert "could not be reached" in answer.route["reason"]
    assert {c["plugin"] for c in answer.citations} == {"kitchen", "garden"}


def test_router_falls_back_to_the_embedding_decision_when_the_coordinator_is_down(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(
        make_settings(router_llm=True, coordinator_model="fake:down"), embedder=HashEmbedder()
    )
    eng.ingest()
    answer = eng.ask("Are tomatoes in my garden happy")  # ambiguous: the router asks the LLM
    assert [spec for spec, _ in FakeChatModel.calls][0] == "fake:down"  # it was asked
    assert answer.route["plugins"][0]["name"] == "garden"
    assert answer.route["llm_used"] is False
    assert "coordinator LLM could not be reached (model fake:down" in answer.route["reason"]
    assert "tomatoes" in answer.answer.lower()


# --- /readyz body (Engine.readiness) ---------------------------------------------------------


def _by_name(body: dict[str, object]) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in body["checks"]}  # type: ignore[attr-defined,index]


def test_readiness_reports_each_component_and_is_degraded_with_a_plugin_host_down(
    garden_down: Engine,
) -> None:
    body = garden_down.readiness()
    assert body["status"] == "degraded" and body["ready"] is True
    checks = _by_name(body)
    assert checks["store"]["ok"] is True
    assert checks["memory"]["ok"] is True
    assert checks["model fake:down"]["ok"] is False
    assert checks["model fake:down"]["used_by"] == ["plugin garden"]
    assert checks["model fake:echo"]["ok"] is True
    assert checks["model fake:echo"]["used_by"] == ["coordinator"]
    assert checks["plugin kitchen"]["ok"] is True and checks["plugin kitchen"]["chunks"] > 0
    assert checks["plugin garden"]["ok"] is False
    assert "fake:down" in str(checks["plugin garden"]["detail"])


def test_readiness_is_ready_when_everything_works(engine: Engine) -> None:
    body = engine.readiness()
    assert body["status"] == "ready" and all(c["ok"] for c in body["checks"])
    kinds = {c["component"] for c in body["checks"]}
    assert kinds == {"store", "memory", "model", "plugin"}


def test_readiness_is_unavailable_when_no_model_can_answer(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(
        make_settings(default_model="fake:down", coordinator_model="fake:down"),
        embedder=HashEmbedder(),
    )
    eng.ingest()
    body = eng.readiness()
    assert body["status"] == "unavailable" and body["ready"] is False


def test_readiness_reports_an_empty_store_and_a_broken_manifest(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    root = plugins_with_models(tmp_path / "p", {})
    (root / "broken").mkdir()
    (root / "broken" / "plugin.toml").write_text('name = "broken"\n')
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest(["kitchen"])  # garden is never ingested
    body = eng.readiness()
    checks = _by_name(body)
    assert body["status"] == "degraded"
    assert checks["plugin garden"]["ok"] is False and checks["plugin garden"]["chunks"] == 0
    assert "no chunks" in str(checks["plugin garden"]["detail"])
    manifest = [c for c in body["checks"] if c["component"] == "plugin" and not c.get("plugin")]
    assert manifest and "plugin.toml" in str(manifest[0]["detail"])


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A host that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_readiness_does_not_wait_for_a_host_that_never_answers(
    tmp_path: Path, make_settings: Callable[..., Settings], blackhole: str
) -> None:
    spec = f"ollama:qwen2.5:0.5b@{blackhole}"
    root = plugins_with_models(tmp_path / "bh", {"garden": spec})
    eng = Engine(make_settings(plugins_path=str(root), probe_timeout=1.0), embedder=HashEmbedder())
    eng.ingest()
    body = eng.readiness()
    check = _by_name(body)[f"model {spec}"]
    assert check["ok"] is False and check["url"] == blackhole
    assert "no answer within 1s" in str(check["detail"])
    assert body["status"] == "degraded"
