"""Memory hygiene: stateless requests, failed turns, retention, delete, strict msgpack, and
history trimmed to the model's context window (fake models, real SQLite files)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.errors import BackendError, Cancelled, InputError
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder


def _rows(home: Path) -> dict[str, int]:
    """Rows of each table of the checkpoint file (0 when the file has no tables yet)."""
    path = home / "memory.sqlite"
    if not path.exists():
        return {}
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def _threads_in_checkpoints(home: Path) -> set[str]:
    with sqlite3.connect(home / "memory.sqlite") as db:
        return {r[0] for r in db.execute("SELECT DISTINCT thread_id FROM checkpoints")}


def _engine(make_settings: Callable[..., Settings], **overrides: object) -> Engine:
    eng = Engine(make_settings(**overrides), embedder=HashEmbedder())
    eng.ingest()
    return eng


def test_stateless_requests_are_not_stored(engine: Engine) -> None:
    home = engine.settings.home
    engine.ask("Who painted the Mona Lisa?")  # no thread id
    events = list(
        engine.stream(
            "And who painted the Night Watch?",
            history=[("user", "Who painted the Mona Lisa?"), ("assistant", "Leonardo.")],
        )
    )
    assert events[-1].kind == "answer" and events[-1].data["thread_id"] is None
    # The stateless history reached the model, yet nothing went into the checkpoint store.
    assert any(str(m.content) == "Leonardo." for m in FakeChatModel.calls[-1][1])
    assert sum(_rows(home).values()) == 0
    engine.ask("Who painted the Mona Lisa?", thread_id="kept")
    assert _threads_in_checkpoints(home) == {"kept"}


def test_a_failing_request_leaves_the_thread_and_the_file_as_they_were(
    make_settings: Callable[..., Settings],
) -> None:
    eng = _engine(make_settings, default_model="fake:down")
    eng.ask("Who painted the Mona Lisa?", thread_id="t1")  # the coordinator answers
    before = _rows(eng.settings.home)
    assert before["checkpoints"] > 0
    with pytest.raises(BackendError, match="fake:down"):
        eng.ask("How long should I rest a steak?", thread_id="t1")  # the specialist is down
    assert _rows(eng.settings.home) == before
    assert [m.type for m in eng.history("t1")] == ["human", "ai"]
    # The thread still works afterwards.
    eng.ask("Who painted the Night Watch?", thread_id="t1")
    assert [m.type for m in eng.history("t1")] == ["human", "ai", "human", "ai"]


def test_a_cancelled_request_stores_nothing(engine: Engine) -> None:
    engine.ask("Who painted the Mona Lisa?", thread_id="t1")
    before = _rows(engine.settings.home)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        list(engine.stream("How long should I rest a steak?", "t1", cancel=cancel))
    assert _rows(engine.settings.home) == before
    assert len(engine.history("t1")) == 2


def test_delete_thread_removes_checkpoints_and_the_log_row(engine: Engine) -> None:
    engine.ask("Who painted the Mona Lisa?", thread_id="gone")
    engine.ask("How long should I rest a steak?", thread_id="stays")
    assert {t["thread_id"] for t in engine.threads()} == {"gone", "stays"}
    assert engine.delete_thread("gone") is True
    assert engine.history("gone") == []
    assert {t["thread_id"] for t in engine.threads()} == {"stays"}
    assert _threads_in_checkpoints(engine.settings.home) == {"stays"}
    assert len(engine.history("stays")) == 2
    assert engine.delete_thread("gone") is False
    with pytest.raises(InputError, match="thread id"):
        engine.delete_thread("../etc")


def _age_thread(home: Path, thread_id: str, days: float) -> None:
    old = time.time() - days * 86400
    with sqlite3.connect(home / "history.sqlite") as db:
        db.execute(
            "UPDATE threads SET updated = ?, created = ? WHERE thread_id = ?", (old, old, thread_id)
        )
        db.execute("UPDATE answers SET ts = ? WHERE thread_id = ?", (old, thread_id))


def test_retention_purges_old_threads_at_start_up(make_settings: Callable[..., Settings]) -> None:
    eng = _engine(make_settings)
    eng.ask("Who painted the Mona Lisa?", thread_id="old")
    eng.ask("How long should I rest a steak?", thread_id="new")
    _age_thread(eng.settings.home, "old", days=40)

    keep_all = Engine(make_settings(thread_retention_days=0), embedder=HashEmbedder())
    keep_all.history("new")  # start-up with retention off: nothing purged
    assert {t["thread_id"] for t in keep_all.threads()} == {"old", "new"}

    fresh = Engine(make_settings(thread_retention_days=30), embedder=HashEmbedder())
    assert len(fresh.history("new")) == 2
    assert {t["thread_id"] for t in fresh.threads()} == {"new"}
    assert fresh.history("old") == []
    assert _threads_in_checkpoints(fresh.settings.home) == {"new"}
    assert {a["thread_id"] for a in fresh.log.answers()} == {"new"}


def test_leaked_stateless_threads_from_older_versions_are_purged(
    make_settings: Callable[..., Settings],
) -> None:
    eng = _engine(make_settings)
    eng.ask("Who painted the Mona Lisa?", thread_id="real")
    # What older versions left behind for every stateless request.
    eng.graph.update_state(
        {"configurable": {"thread_id": "once-0123abcd"}},
        {"messages": [HumanMessage("q"), AIMessage("a")]},
        as_node="coordinate",
    )
    assert _threads_in_checkpoints(eng.settings.home) == {"real", "once-0123abcd"}
    fresh = Engine(make_settings(), embedder=HashEmbedder())
    fresh.history("real")
    assert _threads_in_checkpoints(fresh.settings.home) == {"real"}


def test_strict_msgpack_round_trips_our_messages_and_blocks_other_types(engine: Engine) -> None:
    engine.ask("How long should I rest a steak?", thread_id="t1")
    fresh = Engine(engine.settings, embedder=HashEmbedder())  # read back from the file
    human, ai = fresh.history("t1")
    assert isinstance(human, HumanMessage) and isinstance(ai, AIMessage)
    meta = ai.additional_kwargs["frontdesk"]
    assert meta["route"]["plugins"][0]["name"] == "kitchen"
    assert meta["citations"][0]["source"] == "steak.md"

    serde = fresh.checkpointer.serde
    assert isinstance(serde.loads_typed(serde.dumps_typed(human)), HumanMessage)
    blocked = serde.loads_typed(serde.dumps_typed(_Unsafe("x")))
    assert not isinstance(blocked, _Unsafe)


@dataclass
class _Unsafe:
    """A type no checkpoint should be able to revive."""

    payload: str


def test_cli_threads_list_and_delete(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    engine.ask("Who painted the Mona Lisa?", thread_id="t1")
    assert cli.main(["threads", "list"]) == 0
    out = capsys.readouterr().out
    assert "t1" in out and "Who painted the Mona Lisa?" in out
    assert cli.main(["threads", "delete", "t1"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert engine.threads() == []
    assert cli.main(["threads", "delete", "t1"]) == 2
    assert "no thread 't1'" in capsys.readouterr().err


def test_long_history_is_trimmed_to_the_context_window_keeping_the_question(
    make_settings: Callable[..., Settings],
) -> None:
    eng = _engine(make_settings, context_window=1024, max_answer_tokens=64, history_turns=10)
    filler = "the weather was mild and the garden path was long " * 15  # ~ 260 tokens
    for i in range(4):
        eng.ask(f"Who painted picture number {i}? {filler}", thread_id="long")
    FakeChatModel.reset()
    answer = eng.ask("Who painted the Mona Lisa?", thread_id="long")
    assert answer.answer == "echo: Who painted the Mona Lisa?"
    ((_, messages),) = FakeChatModel.calls
    assert messages[0].type == "system"
    assert str(messages[-1].content) == "Who painted the Mona Lisa?\nAnswer in English."
    chars = sum(len(str(m.content)) for m in messages)
    assert chars <= (1024 - 64) * 3  # the conservative estimate: 3 characters a token
    assert len(messages) > 2  # the most recent turn that fits is still there
    assert "number 3?" in str(messages[-3].content)
    assert len(eng.history("long")) == 10  # memory keeps everything; only the prompt is cut
