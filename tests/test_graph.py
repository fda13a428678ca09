"""The coordinator graph's decisions, with scripted models and bag-of-words embeddings."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import BackendError, InputError, NotFoundError
from frontdesk.settings import Settings
from frontdesk.testing import OFFTOPIC, FakeChatModel, HashEmbedder


def _specs() -> list[str]:
    return [spec for spec, _ in FakeChatModel.calls]


def test_single_confident_specialist_passes_through_without_the_coordinator(engine: Engine) -> None:
    answer = engine.ask("How long should I rest a steak?")
    assert answer.route["mode"] == "specialist"
    assert [p["name"] for p in answer.route["plugins"]] == ["kitchen"]
    assert answer.answer == "Rest a thick steak for eight minutes before cutting it."
    assert _specs() == ["fake:facts"]  # the coordinator (fake:echo) was never called
    assert not answer.reached_coordinator
    assert answer.citations and answer.citations[0]["plugin"] == "kitchen"
    assert answer.citations[0]["source"] == "steak.md"
    assert answer.citations[0]["chunk_id"]
    usage = answer.usage[0]
    assert usage["model"] == "fake:facts" and usage["calls"] == 1
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_two_domains_consult_both_and_the_coordinator_merges_keeping_citations(
    engine: Engine,
) -> None:
    answer = engine.ask("How long should I rest a steak, and when should I prune my roses?")
    assert answer.route["mode"] == "multi"
    assert {p["name"] for p in answer.route["plugins"]} == {"kitchen", "garden"}
    assert sorted(_specs()) == ["fake:echo", "fake:facts", "fake:facts"]
    merge_prompt = str(FakeChatModel.calls[-1][1][-1].content)
    assert "eight minutes" in merge_prompt and "late winter" in merge_prompt
    assert {c["plugin"] for c in answer.citations} == {"kitchen", "garden"}
    assert answer.reached_coordinator


def test_unrelated_question_goes_to_the_coordinator(engine: Engine) -> None:
    answer = engine.ask("Who painted the Mona Lisa?")
    assert answer.route["mode"] == "coordinator"
    assert answer.route["plugins"] == []
    assert "no plugin fits" in answer.route["reason"]
    assert _specs() == ["fake:echo"]
    assert answer.answer == "echo: Who painted the Mona Lisa?"
    assert answer.citations == []


def test_unsupported_specialist_answer_is_replaced_by_its_evidence(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(default_model="fake:offtopic"), embedder=HashEmbedder())
    eng.ingest()
    events = list(eng.stream("How long should I rest a steak?"))
    answer = events[-1].data
    assert answer["route"]["mode"] == "specialist" and not answer["reached_coordinator"]
    assert answer["consults"][0]["grounding"]["generated"] == OFFTOPIC
    assert answer["answer"] == "“Rest a thick steak for eight minutes before cutting it.”"
    assert "quoted" in answer["consults"][0]["grounding"]["reason"]


def test_streaming_marks_answer_tokens(engine: Engine) -> None:
    events = list(engine.stream("How long should I rest a steak?"))
    tokens = [e.data for e in events if e.kind == "token"]
    # A specialist's answer is shown only once checked, so it arrives whole.
    assert tokens and all(t["answer"] for t in tokens)
    assert "".join(t["text"] for t in tokens) == events[-1].data["answer"]


def test_memory_is_kept_per_thread(engine: Engine) -> None:
    engine.ask("How long should I rest a steak?", thread_id="t-1")
    engine.ask("Who painted the Mona Lisa?", thread_id="t-1")
    coordinator_messages = FakeChatModel.calls[-1][1]
    assert any("rest a steak" in str(m.content) for m in coordinator_messages[1:-1])
    history = engine.history("t-1")
    assert [m.type for m in history] == ["human", "ai", "human", "ai"]
    assert engine.history("t-2") == []
    assert engine.threads()[0]["thread_id"] == "t-1"

    # A fresh engine on the same home reads the same memory back.
    again = Engine(engine.settings, embedder=HashEmbedder())
    assert len(again.history("t-1")) == 4


def test_backend_down_is_one_line_and_memory_is_untouched(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(), embedder=HashEmbedder())
    eng.ingest()
    eng.ask("How long should I rest a steak?", thread_id="keep")
    down = Engine(make_settings(default_model="fake:down"), embedder=HashEmbedder())
    with pytest.raises(BackendError) as info:
        down.ask("Can I freeze cooked rice?", thread_id="keep")
    assert "fake:down" in str(info.value) and "\n" not in str(info.value)
    assert len(down.history("keep")) == 2


def test_bad_questions_and_unknown_plugins(engine: Engine) -> None:
    with pytest.raises(InputError, match="empty"):
        engine.ask("   ")
    with pytest.raises(InputError, match="limit is 4000"):
        engine.ask("x" * 4001)
    with pytest.raises(NotFoundError, match="unknown plugin 'nope'.*garden, kitchen"):
        engine.ask("hello there", plugin="nope")
    with pytest.raises(InputError, match="thread id"):
        engine.ask("hello there", thread_id="../../etc")
    assert FakeChatModel.calls == []


def test_forced_plugin_skips_routing(engine: Engine) -> None:
    answer = engine.ask("How often should I water tomatoes?", plugin="kitchen")
    assert answer.route["plugins"] == [{"name": "kitchen", "score": 1.0}]
    assert answer.route["reason"].startswith("kitchen chosen by the user")
    # Its knowledge has nothing on tomatoes: the answer is escalated, and says so.
    assert answer.route["mode"] == "escalated"
    assert (
        "escalated to the coordinator (kitchen: its notes don't cover it" in answer.route["reason"]
    )


def test_router_llm_is_asked_only_in_the_ambiguous_band(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(
        make_settings(router_llm=True, coordinator_model="fake:script"), embedder=HashEmbedder()
    )
    eng.ingest()
    eng.ask("How long should I rest a steak?")  # confident: no router call
    assert "fake:script" not in _specs()
    # Shares a word or two with the garden plugin only: ambiguous.
    scores = eng.router.route("Are tomatoes in my garden happy").scores
    assert scores[0].name == "garden"
    FakeChatModel.enqueue("garden")
    answer = eng.ask("Are tomatoes in my garden happy")
    assert answer.route["llm_used"] is True
    assert answer.route["reason"] == "coordinator LLM chose garden"
    assert answer.reached_coordinator


def test_parallel_threads_keep_their_own_memory(engine: Engine) -> None:
    errors: list[BaseException] = []

    def chat(i: int) -> None:
        try:
            engine.ask("How long should I rest a steak?", thread_id=f"p{i}")
            engine.ask(f"Who painted picture number {i}?", thread_id=f"p{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=chat, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(6):
        history = engine.history(f"p{i}")
        assert len(history) == 4 and f"number {i}?" in str(history[2].content)
