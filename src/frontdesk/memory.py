"""Conversation memory: the LangGraph checkpointer (SQLite, or Postgres through a connection
pool), with strict deserialisation, per-thread deletion and a retention purge.

A turn reaches the checkpointer only when it succeeded: the engine runs the graph without a
checkpointer and appends the finished turn's messages here (`append`), so a request that fails
or is cancelled leaves nothing behind, and a stateless request (no thread id) is never stored.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from frontdesk.errors import BackendError
from frontdesk.pg_history import AnyAnswerLog
from frontdesk.pgpool import open_pool, retry
from frontdesk.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

PURGE_EVERY = 3600.0  # seconds between retention purges in a long-running server
LEAKED_PREFIX = "once-"  # stateless threads that versions before 0.2 stored and never used again


def strict_serde() -> JsonPlusSerializer:
    """LangGraph's serializer in strict msgpack mode: a checkpoint can revive only the library's
    allowlist of safe types (messages, datetimes...), never an arbitrary importable callable."""
    return JsonPlusSerializer(allowed_msgpack_modules=None)


class Memory:
    """The checkpointer behind one engine, plus what the engine needs around it."""

    def __init__(self, settings: Settings, answer_log: AnyAnswerLog, pool: Any = None) -> None:
        self.settings = settings
        self.log = answer_log
        self.pool: Any = None
        self.saver: BaseCheckpointSaver[Any] = (
            self._postgres(settings.memory_url, pool) if settings.memory_url else self._sqlite()
        )
        # LangGraph's update_state reads the thread's last checkpoint and writes the next one;
        # two turns of one thread appended at once would otherwise both build on the same parent.
        self._write_lock = threading.Lock()
        self._next_purge = 0.0
        self.purge_leaked()
        self.maybe_purge()

    # --- construction --------------------------------------------------------------------

    def _sqlite(self) -> BaseCheckpointSaver[Any]:
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.settings.home.mkdir(parents=True, exist_ok=True)
        path = self.settings.home / "memory.sqlite"
        conn = sqlite3.connect(str(path), check_same_thread=False)
        return SqliteSaver(conn, serde=strict_serde())

    def _postgres(self, url: str, pool: Any) -> BaseCheckpointSaver[Any]:
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError:
            raise BackendError(
                "FRONTDESK_MEMORY_URL needs the postgres extra: pip install -e '.[postgres]'"
            ) from None
        self.pool = pool if pool is not None else open_pool(url, self.settings.max_concurrency + 1)
        saver = PostgresSaver(self.pool, serde=strict_serde())
        self._retry(saver.setup)
        return saver

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    # --- reading and writing turns -------------------------------------------------------

    def _retry(self, fn: Callable[[], T]) -> T:
        """One memory operation, retried once on a broken connection; else one clear 503."""
        where = "Postgres" if self.pool is not None else "memory.sqlite"
        return retry(fn, f"conversation memory ({where})", pooled=self.pool is not None)

    def messages(self, graph: Any, thread_id: str) -> list[BaseMessage]:
        """The stored messages of one thread, oldest first."""

        def read() -> list[BaseMessage]:
            state = graph.get_state({"configurable": {"thread_id": thread_id}})
            return list(state.values.get("messages", [])) if state and state.values else []

        return self._retry(read)

    def append(self, graph: Any, thread_id: str, messages: list[BaseMessage]) -> None:
        """Store one finished turn: a single checkpoint that appends `messages`."""
        config = {"configurable": {"thread_id": thread_id}}
        with self._write_lock:
            # Retrying is safe: messages carry ids, and add_messages replaces an id it has.
            self._retry(lambda: graph.update_state(config, {"messages": messages}, "coordinate"))
        self.maybe_purge()

    def exists(self, thread_id: str) -> bool:
        config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        return self._retry(lambda: self.saver.get_tuple(config)) is not None  # type: ignore[arg-type]

    def delete(self, thread_id: str) -> bool:
        """Remove a thread's checkpoints and its log rows; False if there was nothing."""
        existed = self.exists(thread_id)
        with self._write_lock:
            self._retry(lambda: self.saver.delete_thread(thread_id))
        return self.log.delete_thread(thread_id) or existed

    # --- retention -----------------------------------------------------------------------

    def maybe_purge(self) -> int:
        """Purge threads past FRONTDESK_THREAD_RETENTION_DAYS, at most once an hour."""
        if self.settings.thread_retention_days <= 0 or time.time() < self._next_purge:
            return 0
        self._next_purge = time.time() + PURGE_EVERY
        return self.purge()

    def purge(self, now: float | None = None) -> int:
        days = self.settings.thread_retention_days
        if days <= 0:
            return 0
        cutoff = (now or time.time()) - days * 86400
        old = self.log.threads_before(cutoff)
        for thread_id in old:
            with self._write_lock:
                self._retry(lambda t=thread_id: self.saver.delete_thread(t))  # type: ignore[misc]
            self.log.delete_thread(thread_id)
        self.log.delete_answers_before(cutoff)
        if old:
            log.info("memory: purged %d threads older than %s days", len(old), days)
        return len(old)

    def purge_leaked(self) -> int:
        """Delete the `once-…` threads that older versions stored for stateless requests."""
        sql = "SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id LIKE %s"
        pattern = LEAKED_PREFIX + "%"

        def leaked() -> list[str]:
            if self.pool is not None:
                with self.pool.connection() as conn:
                    return [r["thread_id"] for r in conn.execute(sql, (pattern,)).fetchall()]
            conn = self.saver.conn  # type: ignore[attr-defined]
            try:
                rows = conn.execute(sql.replace("%s", "?"), (pattern,)).fetchall()
            except sqlite3.OperationalError:  # a new file: no tables yet
                return []
            return [r[0] for r in rows]

        found = self._retry(leaked)
        for thread_id in found:
            self._retry(lambda t=thread_id: self.saver.delete_thread(t))  # type: ignore[misc]
        if found:
            log.info("memory: removed %d stored stateless threads", len(found))
        return len(found)
