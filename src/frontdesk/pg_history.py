"""The answer log (thread list, titles, owners, one row per answer) in Postgres, for replicas
that share FRONTDESK_MEMORY_URL: the same methods as history.AnswerLog, on the engine's pool.

To add a table (e.g. feedback): append its CREATE to SCHEMA and write methods with `_run`;
each statement is retried once when a connection broke under it (a Postgres restart).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from frontdesk.errors import MemoryUnavailable
from frontdesk.history import AnswerLog, title_words
from frontdesk.pgpool import retry

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS frontdesk_threads (
        thread_id TEXT PRIMARY KEY, title TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL, owner TEXT NOT NULL DEFAULT 'local')""",
    "CREATE INDEX IF NOT EXISTS frontdesk_threads_owner ON frontdesk_threads (owner, updated)",
    """CREATE TABLE IF NOT EXISTS frontdesk_answers (
        id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, thread_id TEXT,
        mode TEXT NOT NULL, plugins TEXT NOT NULL, reached_coordinator BOOLEAN NOT NULL,
        seconds DOUBLE PRECISION NOT NULL, usage JSONB NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS frontdesk_answers_ts ON frontdesk_answers (ts)",
    "CREATE INDEX IF NOT EXISTS frontdesk_answers_thread ON frontdesk_answers (thread_id)",
]
log = logging.getLogger(__name__)
RECORD_TIMEOUT = 2.0  # seconds an answer waits to be logged while Postgres is unreachable
ANSWER_KEYS = ("ts", "thread_id", "mode", "plugins", "reached_coordinator", "seconds", "usage")


class PgAnswerLog:
    """history.AnswerLog's methods on the tables frontdesk_threads and frontdesk_answers."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        for statement in SCHEMA:
            self._run(statement)

    def _run(
        self,
        sql: str,
        args: tuple[Any, ...] = (),
        *more: tuple[str, tuple[Any, ...]],
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """Run one statement (and `more` after it, in the same transaction); rows of the last."""

        def go() -> list[dict[str, Any]]:
            with self.pool.connection(timeout=timeout) as conn, conn.transaction():
                rows: list[dict[str, Any]] = []
                for q, a in ((sql, args), *more):
                    cur = conn.execute(q, a)
                    rows = list(cur.fetchall()) if cur.description else [{"n": cur.rowcount}]
                return rows

        return retry(go, "conversation memory (Postgres)")  # the thread list is memory too

    def claim(self, thread_id: str, owner: str, title: str) -> bool:
        """Make `owner` the owner of a new thread; False if another owner has it already."""
        now = time.time()
        rows = self._run(
            "INSERT INTO frontdesk_threads (thread_id, title, created, updated, owner) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (thread_id) DO NOTHING",
            (thread_id, title[:80], now, now, owner),
            ("SELECT owner FROM frontdesk_threads WHERE thread_id = %s", (thread_id,)),
        )
        return bool(rows and rows[0]["owner"] == owner)

    def owner(self, thread_id: str) -> str | None:
        rows = self._run("SELECT owner FROM frontdesk_threads WHERE thread_id = %s", (thread_id,))
        return str(rows[0]["owner"]) if rows else None

    def record(self, thread_id: str | None, question: str, answer: dict[str, Any]) -> None:
        now = time.time()
        insert = (
            "INSERT INTO frontdesk_answers (ts, thread_id, mode, plugins, reached_coordinator, "
            "seconds, usage) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                now,
                thread_id,
                answer["route"]["mode"],
                ",".join(p["name"] for p in answer["route"]["plugins"]),
                bool(answer["reached_coordinator"]),
                answer["seconds"],
                json.dumps(answer["usage"]),
            ),
        )
        touch = (
            "INSERT INTO frontdesk_threads (thread_id, title, created, updated) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (thread_id) DO UPDATE SET updated = excluded.updated",
            (thread_id, question[:80], now, now),
        )
        # The answer is already made (and a thread's turn stored): a log row that cannot be
        # written costs the Stats one answer, never the caller the answer.
        try:
            if thread_id:
                self._run(*touch, insert, timeout=RECORD_TIMEOUT)
            else:
                self._run(*insert, timeout=RECORD_TIMEOUT)
        except MemoryUnavailable as exc:
            log.warning("answer not logged for the Stats: %s", exc)

    def threads(
        self, owner: str, limit: int = 100, query: str | None = None
    ) -> list[dict[str, Any]]:
        words = title_words(query)
        return self._run(
            "SELECT thread_id, title, created, updated FROM frontdesk_threads WHERE owner = %s"
            + " AND title ILIKE %s" * len(words)
            + " ORDER BY updated DESC LIMIT %s",
            (owner, *words, limit),
        )

    def rename(self, thread_id: str, title: str) -> bool:
        """Give a thread another title; False if it is not listed."""
        rows = self._run(
            "UPDATE frontdesk_threads SET title = %s WHERE thread_id = %s", (title[:80], thread_id)
        )
        return rows[0]["n"] > 0

    def answers(self, since: float = 0.0) -> list[dict[str, Any]]:
        rows = self._run(
            f"SELECT {', '.join(ANSWER_KEYS)} FROM frontdesk_answers WHERE ts >= %s ORDER BY ts",
            (since,),
        )
        for row in rows:
            row["reached_coordinator"] = int(row["reached_coordinator"])
        return rows

    def threads_before(self, cutoff: float) -> list[str]:
        """Ids of the threads last updated before `cutoff` (a Unix time)."""
        rows = self._run("SELECT thread_id FROM frontdesk_threads WHERE updated < %s", (cutoff,))
        return [r["thread_id"] for r in rows]

    def delete_thread(self, thread_id: str) -> bool:
        """Forget a thread and its answers; False if it was not listed."""
        rows = self._run(
            "DELETE FROM frontdesk_answers WHERE thread_id = %s",
            (thread_id,),
            ("DELETE FROM frontdesk_threads WHERE thread_id = %s", (thread_id,)),
        )
        return rows[0]["n"] > 0

    def delete_answers_before(self, cutoff: float) -> None:
        self._run("DELETE FROM frontdesk_answers WHERE ts < %s", (cutoff,))


AnyAnswerLog = AnswerLog | PgAnswerLog  # what Engine.log is: SQLite alone, or shared
