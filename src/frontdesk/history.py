"""A small SQLite log beside the memory: the list of threads and one row per answer.

The LangGraph checkpointer keeps each thread's messages; this log keeps what the front ends
list (thread titles) and what the stats are computed from (mode and usage of every answer).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from frontdesk.sqlite_logs import fast_commits

SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    thread_id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    owner TEXT NOT NULL DEFAULT 'local'
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, thread_id TEXT, mode TEXT NOT NULL,
    plugins TEXT NOT NULL, reached_coordinator INTEGER NOT NULL, seconds REAL NOT NULL,
    usage TEXT NOT NULL
);
"""


def title_words(query: str | None) -> list[str]:
    """LIKE patterns for a thread search: every word must be in the title (case-insensitive
    for ASCII in SQLite; ILIKE in Postgres). Wildcards typed by the user are taken out."""
    words = [w.replace("\\", "").replace("%", "").replace("_", "") for w in (query or "").split()]
    return [f"%{w}%" for w in words if w]


class AnswerLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            fast_commits(self._db)  # a commit per answer: no fsync wait (see sqlite_logs.py)
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(threads)")}
            if "owner" not in columns:  # a log written before threads had owners
                self._db.execute(
                    "ALTER TABLE threads ADD COLUMN owner TEXT NOT NULL DEFAULT 'local'"
                )

    def claim(self, thread_id: str, owner: str, title: str) -> bool:
        """Make `owner` the owner of a new thread; False if another owner has it already."""
        now = time.time()
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO threads (thread_id, title, created, updated, owner) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(thread_id) DO NOTHING",
                (thread_id, title[:80], now, now, owner),
            )
            row = self._db.execute(
                "SELECT owner FROM threads WHERE thread_id = ?", (thread_id,)
            ).fetchone()
        return bool(row and row[0] == owner)

    def owner(self, thread_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT owner FROM threads WHERE thread_id = ?", (thread_id,)
            ).fetchone()
        return row[0] if row else None

    def record(self, thread_id: str | None, question: str, answer: dict[str, Any]) -> None:
        now = time.time()
        with self._lock, self._db:
            if thread_id:
                self._db.execute(
                    "INSERT INTO threads (thread_id, title, created, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(thread_id) DO UPDATE SET updated = excluded.updated",
                    (thread_id, question[:80], now, now),
                )
            self._db.execute(
                "INSERT INTO answers (ts, thread_id, mode, plugins, reached_coordinator, seconds,"
                " usage) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    thread_id,
                    answer["route"]["mode"],
                    ",".join(p["name"] for p in answer["route"]["plugins"]),
                    int(answer["reached_coordinator"]),
                    answer["seconds"],
                    json.dumps(answer["usage"]),
                ),
            )

    def threads(
        self, owner: str, limit: int = 100, query: str | None = None
    ) -> list[dict[str, Any]]:
        words = title_words(query)
        match = " AND title LIKE ?" * len(words)
        with self._lock:
            rows = self._db.execute(
                f"SELECT thread_id, title, created, updated FROM threads WHERE owner = ?{match} "
                "ORDER BY updated DESC LIMIT ?",
                (owner, *words, limit),
            ).fetchall()
        return [
            dict(zip(("thread_id", "title", "created", "updated"), r, strict=True)) for r in rows
        ]

    def answers(self, since: float = 0.0) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT ts, thread_id, mode, plugins, reached_coordinator, seconds, usage "
                "FROM answers WHERE ts >= ? ORDER BY ts",
                (since,),
            ).fetchall()
        keys = ("ts", "thread_id", "mode", "plugins", "reached_coordinator", "seconds", "usage")
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["usage"] = json.loads(item["usage"])
            out.append(item)
        return out

    def rename(self, thread_id: str, title: str) -> bool:
        """Give a thread another title; False if it is not listed."""
        with self._lock, self._db:
            done = self._db.execute(
                "UPDATE threads SET title = ? WHERE thread_id = ?", (title[:80], thread_id)
            )
        return done.rowcount > 0

    def threads_before(self, cutoff: float) -> list[str]:
        """Ids of the threads last updated before `cutoff` (a Unix time)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT thread_id FROM threads WHERE updated < ?", (cutoff,)
            ).fetchall()
        return [r[0] for r in rows]

    def delete_thread(self, thread_id: str) -> bool:
        """Forget a thread and its answers; False if it was not listed."""
        with self._lock, self._db:
            gone = self._db.execute("DELETE FROM threads WHERE thread_id = ?", (thread_id,))
            self._db.execute("DELETE FROM answers WHERE thread_id = ?", (thread_id,))
        return gone.rowcount > 0

    def delete_answers_before(self, cutoff: float) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM answers WHERE ts < ?", (cutoff,))
