"""Feedback on answers in Postgres, for replicas that share FRONTDESK_MEMORY_URL: the same
methods as feedback.FeedbackLog, so an answer given by one replica can be rated through another
and every replica sees the same corrections."""

from __future__ import annotations

import logging
import time
from typing import Any

from frontdesk.errors import MemoryUnavailable
from frontdesk.feedback import NONE_PLUGIN, Ratings
from frontdesk.pg_history import RECORD_TIMEOUT
from frontdesk.pgpool import retry

log = logging.getLogger(__name__)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS frontdesk_answer_refs (
        answer_id TEXT PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, owner TEXT NOT NULL,
        thread_id TEXT, question TEXT NOT NULL, plugins TEXT NOT NULL, mode TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS frontdesk_answer_refs_thread ON frontdesk_answer_refs (thread_id)",
    """CREATE TABLE IF NOT EXISTS frontdesk_feedback (
        answer_id TEXT PRIMARY KEY REFERENCES frontdesk_answer_refs (answer_id) ON DELETE CASCADE,
        ts DOUBLE PRECISION NOT NULL, rating TEXT NOT NULL, reason TEXT, plugin TEXT)""",
]


class PgFeedbackLog(Ratings):
    """feedback.FeedbackLog's methods on frontdesk_answer_refs and frontdesk_feedback."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        for statement in SCHEMA:
            self._run(statement)

    def _run(
        self, sql: str, args: tuple[Any, ...] = (), timeout: float | None = None
    ) -> list[dict[str, Any]]:
        def go() -> list[dict[str, Any]]:
            with self.pool.connection(timeout=timeout) as conn, conn.transaction():
                cur = conn.execute(sql, args)
                return list(cur.fetchall()) if cur.description else []

        return retry(go, "feedback (Postgres)")

    def _remember(self, row: tuple[Any, ...]) -> None:
        # The answer is already made: Postgres being away costs the feedback on this one
        # answer (it cannot be rated), never the caller the answer.
        try:
            self._run(
                "INSERT INTO frontdesk_answer_refs (answer_id, ts, owner, thread_id, question,"
                " plugins, mode) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (answer_id) DO"
                " UPDATE SET ts = excluded.ts, question = excluded.question,"
                " plugins = excluded.plugins, mode = excluded.mode",
                row,
                timeout=RECORD_TIMEOUT,
            )
        except MemoryUnavailable as exc:
            log.warning("answer %s cannot be rated (not remembered): %s", row[0], exc)

    def _store(
        self, answer_id: str, owner: str, rating: str, reason: str | None, plugin: str | None
    ) -> bool:
        rows = self._run(
            "INSERT INTO frontdesk_feedback (answer_id, ts, rating, reason, plugin)"
            " SELECT answer_id, %s, %s, %s, %s FROM frontdesk_answer_refs"
            " WHERE answer_id = %s AND owner = %s"
            " ON CONFLICT (answer_id) DO UPDATE SET ts = excluded.ts, rating = excluded.rating,"
            " reason = excluded.reason, plugin = excluded.plugin RETURNING answer_id",
            (time.time(), rating, reason, plugin, answer_id, owner),
        )
        return bool(rows)

    def get(self, answer_id: str, owner: str) -> dict[str, Any] | None:
        rows = self._run(
            "SELECT f.rating, f.reason, f.plugin FROM frontdesk_feedback f JOIN"
            " frontdesk_answer_refs a USING (answer_id) WHERE answer_id = %s AND a.owner = %s",
            (answer_id, owner),
        )
        return dict(rows[0]) if rows else None

    def corrections(self) -> list[tuple[str, str | None]]:
        rows = self._run(
            "SELECT a.question, f.plugin FROM frontdesk_feedback f JOIN frontdesk_answer_refs a"
            " USING (answer_id) WHERE f.rating = 'down' AND f.plugin IS NOT NULL ORDER BY f.ts"
        )
        return [(r["question"], None if r["plugin"] == NONE_PLUGIN else r["plugin"]) for r in rows]

    def all(self) -> list[dict[str, Any]]:
        return self._run(
            "SELECT f.answer_id, f.ts, f.rating, f.reason, f.plugin, a.question,"
            " a.plugins AS routed, a.mode FROM frontdesk_feedback f"
            " JOIN frontdesk_answer_refs a USING (answer_id) ORDER BY f.ts"
        )

    def forget_thread(self, thread_id: str) -> None:
        self._run("DELETE FROM frontdesk_answer_refs WHERE thread_id = %s", (thread_id,))

    def forget(self, answer_ids: list[str]) -> None:
        if answer_ids:
            self._run(
                "DELETE FROM frontdesk_answer_refs WHERE answer_id = ANY(%s)", (list(answer_ids),)
            )
