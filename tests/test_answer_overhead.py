"""What an answer no longer pays for (benchmarks/overhead.py), and that each saving still sees
every change: LangChain tools made once per tool, one thread pool for all graph runs, knowledge
sentences embedded ahead of the questions (warmup.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from frontdesk import sentence_cache
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder
from frontdesk.tools import Tool
from frontdesk.warmup import Warmer, knowledge_sentences, warm
from tests.test_sentence_cache import Counting


def _grams(amount: float) -> str:
    return f"{amount} g"


def test_langchain_tool_made_once_per_tool_and_anew_for_a_changed_one() -> None:
    tool = Tool("grams", "Grams as text.", _grams)
    assert tool.as_langchain() is tool.as_langchain()
    changed = Tool("grams", "Grams, written out.", _grams)  # e.g. a reloaded plugin's tool
    assert changed.as_langchain() is not tool.as_langchain()
    assert changed.as_langchain().description == "Grams, written out."
    assert changed.as_langchain().invoke({"amount": 2}) == "2.0 g"


def test_graph_runs_share_their_threads(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.ask("How long should I rest a steak?")  # the pool's threads started
    started: list[str] = []
    real_start = threading.Thread.start

    def counting_start(self: threading.Thread) -> None:
        started.append(self.name)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    runs = 10
    for i in range(runs):
        answer = engine.ask("How long should I rest a steak?" if i % 2 else "Prune roses when?")
        assert answer.answer
    # LangGraph's own pool started two or more threads per run and joined them at its end.
    assert len(started) < runs, started


def test_graph_errors_still_reach_the_caller(make_settings: Callable[..., Settings]) -> None:
    eng = Engine(make_settings(coordinator_model="fake:down"), embedder=HashEmbedder())
    eng.ingest()
    for _ in range(2):  # the shared pool is not left broken by a failed run
        with pytest.raises(Exception, match="Connection refused|could not|failed"):
            eng.ask("What is the capital of Peru?")
    assert eng.ask("How long should I rest a steak?", plugin="kitchen").answer


def test_warmed_sentences_are_not_embedded_by_answers(
    make_settings: Callable[..., Settings],
) -> None:
    emb = Counting()
    eng = Engine(make_settings(), embedder=emb)
    eng.ingest()
    sentences = set(knowledge_sentences(eng))
    assert "Rest a thick steak for eight minutes before cutting it." in sentences
    assert warm(eng) == len(sentences)
    assert warm(eng) == 0  # nothing left to do
    _ = eng.router  # its anchors are embedded once, apart from any answer
    emb.seen.clear()
    question = "How long should I rest a steak?"
    answer = eng.ask(question, plugin="kitchen")
    assert "eight minutes" in answer.answer
    assert emb.seen == [question]  # only the question: every sentence was warmed
    # The same vectors an answer would have made itself.
    fresh = HashEmbedder().embed([question, *sorted(sentences)])
    assert np.allclose(sentence_cache.embed(emb, question, sorted(sentences)), fresh)


def test_warmer_picks_up_an_ingest(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    emb = Counting()
    eng = Engine(make_settings(), embedder=emb)
    eng.ingest()
    warmer = Warmer(eng, poll=0.05).start()
    try:
        _wait(lambda: warmer.rounds >= 1)
        _ = eng.router
        new = "Boil fresh pasta for three minutes in well salted water."
        (plugin_root / "kitchen" / "knowledge" / "pasta.md").write_text(f"# Pasta\n\n{new}")
        eng.ingest(["kitchen"])
        _wait(lambda: warmer.rounds >= 2)
        assert sentence_cache.known(emb, new)
        emb.seen.clear()
        answer = eng.ask("How long do I boil fresh pasta?", plugin="kitchen")
        assert "three minutes" in answer.answer
        assert new not in emb.seen
    finally:
        warmer.close()


def _wait(done: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the warm-up did not finish"
        time.sleep(0.02)


def test_knowledge_counted_once_per_store_token(engine: Engine, plugin_root: Path) -> None:
    store = engine.store
    assert store.knowledge_problem("garden") is None
    counts: list[str] = []
    real = store._collection

    def counting(plugin: str) -> object:
        counts.append(plugin)
        return real(plugin)

    store._collection = counting  # type: ignore[method-assign]
    assert store.knowledge_problem("garden") is None
    assert counts == []  # whole at this token: not counted again
    # Its chunks lost, then any commit: the next answer counts again and says so.
    store.client.delete_collection("frontdesk-garden")
    store._collections.clear()
    (plugin_root / "kitchen" / "knowledge" / "pasta.md").write_text("Boil pasta for ten minutes.")
    engine.ingest(["kitchen"])
    problem = store.knowledge_problem("garden")
    assert problem and "holds 0 of the 2 chunks" in problem
    assert store.status("garden")["state"] == "broken"  # health checks always count
