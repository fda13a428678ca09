"""The per-answer SQLite logs commit without waiting for fsync (WAL, synchronous=NORMAL), and
what one replica commits is seen at once by another on the same FRONTDESK_HOME."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from frontdesk.feedback import FeedbackLog
from frontdesk.history import AnswerLog

ANSWER = {
    "route": {"mode": "routed", "plugins": [{"name": "cooking"}]},
    "reached_coordinator": False,
    "seconds": 0.1,
    "usage": {},
}


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


def test_answer_log_commits_in_wal_and_replicas_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    a, b = AnswerLog(path), AnswerLog(path)  # two replicas on one home
    assert journal_mode(path) == "wal"
    assert a._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    a.record("t1", "how long to rest a steak", ANSWER)
    b.record(None, "what is my credit limit", ANSWER)
    assert len(b.answers()) == 2 and len(a.answers()) == 2
    assert [t["thread_id"] for t in b.threads("local")] == ["t1"]


def test_feedback_log_commits_in_wal_and_replicas_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite"
    a, b = FeedbackLog(path), FeedbackLog(path)
    assert journal_mode(path) == "wal"
    a.remember("id1", "key", None, "how long to rest a steak", {"plugins": [], "mode": "x"})
    b.record("id1", owner="key", rating="up")  # the answer remembered by the other replica
    assert (a.get("id1", "key") or {})["rating"] == "up"
