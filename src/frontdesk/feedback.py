"""Feedback on answers: a thumbs up or down, an optional reason and, for a wrong route, the
specialist that should have answered (a plugin name, or "none" for the general model).

Every answer the engine gives gets an id (the API's completion id). Its question, owner and
route are kept here with that id, so feedback can be checked against who asked (nobody rates
another key's answer) and so corrections — down-votes naming the right plugin — can become
routing labels (see Engine.refit_routing).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from frontdesk.errors import InputError
from frontdesk.sqlite_logs import fast_commits

RATINGS = ("up", "down")
NONE_PLUGIN = "none"  # "no specialist should have answered": the general model
MAX_REASON = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_refs (
    answer_id TEXT PRIMARY KEY, ts REAL NOT NULL, owner TEXT NOT NULL, thread_id TEXT,
    question TEXT NOT NULL, plugins TEXT NOT NULL, mode TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT PRIMARY KEY REFERENCES answer_refs(answer_id) ON DELETE CASCADE,
    ts REAL NOT NULL, rating TEXT NOT NULL, reason TEXT, plugin TEXT
);
CREATE INDEX IF NOT EXISTS answer_refs_thread ON answer_refs(thread_id);
"""


def new_answer_id() -> str:
    """An answer's id, in the form of an OpenAI completion id (the API returns it as `id`)."""
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def checked(
    rating: str, reason: str | None, plugin: str | None, known_plugins: set[str] | None
) -> str | None:
    """The reason to store (stripped, None if empty); InputError for a bad rating, reason or
    plugin."""
    if rating not in RATINGS:
        raise InputError(f"rating must be 'up' or 'down', not {rating!r}")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        raise InputError(f"the reason is {len(reason)} characters; the limit is {MAX_REASON}")
    if plugin is not None:
        if rating != "down":
            raise InputError("only a down-vote can name the specialist that should have answered")
        if plugin != NONE_PLUGIN and known_plugins is not None and plugin not in known_plugins:
            raise InputError(
                f"no plugin '{plugin}' (name one of {sorted(known_plugins)} or 'none')"
            )
    return reason


class Ratings:
    """What both feedback stores (SQLite here, Postgres in pg_feedback.py) share: the checks
    before a rating is stored, and the owner check's outcome."""

    def record(
        self,
        answer_id: str,
        *,
        owner: str,
        rating: str,
        reason: str | None = None,
        plugin: str | None = None,
        known_plugins: set[str] | None = None,
    ) -> None:
        """Store (or change) the feedback on one answer. KeyError for an answer id this owner
        was not given; InputError for a bad rating, reason or plugin."""
        reason = checked(rating, reason, plugin, known_plugins)
        if not self._store(answer_id, owner, rating, reason, plugin):
            raise KeyError(answer_id)  # another key's answer looks like no answer

    def remember(
        self,
        answer_id: str,
        owner: str,
        thread_id: str | None,
        question: str,
        route: dict[str, Any],
    ) -> None:
        """Keep what feedback on this answer needs: who asked what, and where it went."""
        plugins = ",".join(p["name"] for p in route.get("plugins", []))
        mode = route.get("mode", "")
        self._remember((answer_id, time.time(), owner, thread_id, question, plugins, mode))

    def _remember(self, row: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def _store(
        self, answer_id: str, owner: str, rating: str, reason: str | None, plugin: str | None
    ) -> bool:
        raise NotImplementedError


class FeedbackLog(Ratings):
    """Answers by id and the feedback given on them (SQLite, beside the answer log)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA foreign_keys = ON")
            fast_commits(self._db)  # a commit per answer: no fsync wait (see sqlite_logs.py)
            self._db.executescript(SCHEMA)

    def _remember(self, row: tuple[Any, ...]) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO answer_refs (answer_id, ts, owner, thread_id, question,"
                " plugins, mode) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def _store(
        self, answer_id: str, owner: str, rating: str, reason: str | None, plugin: str | None
    ) -> bool:
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT owner FROM answer_refs WHERE answer_id = ?", (answer_id,)
            ).fetchone()
            if row is None or row[0] != owner:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO feedback (answer_id, ts, rating, reason, plugin)"
                " VALUES (?, ?, ?, ?, ?)",
                (answer_id, time.time(), rating, reason, plugin),
            )
        return True

    def get(self, answer_id: str, owner: str) -> dict[str, Any] | None:
        """The owner's feedback on one answer, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT f.rating, f.reason, f.plugin FROM feedback f JOIN answer_refs a"
                " USING (answer_id) WHERE answer_id = ? AND a.owner = ?",
                (answer_id, owner),
            ).fetchone()
        return dict(zip(("rating", "reason", "plugin"), row, strict=True)) if row else None

    def corrections(self) -> list[tuple[str, str | None]]:
        """(question as it was routed, the right plugin or None for "none") from every
        down-vote that names a plugin, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT a.question, f.plugin FROM feedback f JOIN answer_refs a USING (answer_id)"
                " WHERE f.rating = 'down' AND f.plugin IS NOT NULL ORDER BY f.ts"
            ).fetchall()
        return [(q, None if p == NONE_PLUGIN else p) for q, p in rows]

    def all(self) -> list[dict[str, Any]]:
        """Every rating with its answer's question and route (for review and export)."""
        keys = ("answer_id", "ts", "rating", "reason", "plugin", "question", "routed", "mode")
        with self._lock:
            rows = self._db.execute(
                "SELECT f.answer_id, f.ts, f.rating, f.reason, f.plugin, a.question, a.plugins,"
                " a.mode FROM feedback f JOIN answer_refs a USING (answer_id) ORDER BY f.ts"
            ).fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def forget_thread(self, thread_id: str) -> None:
        """A deleted thread takes its answers' ids and feedback with it."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM answer_refs WHERE thread_id = ?", (thread_id,))

    def forget(self, answer_ids: list[str]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "DELETE FROM answer_refs WHERE answer_id = ?", [(a,) for a in answer_ids]
            )
