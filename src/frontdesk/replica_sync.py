"""Replicas agree on their plugins: a change signal every replica polls, and one ingest of a
plugin at a time across replicas.

The signal is a shared blob (`plugins.version`, see shared_state.py: a Postgres row with
FRONTDESK_MEMORY_URL, a file under FRONTDESK_HOME on one machine). Whoever ingests, or reloads
its plugins on purpose, writes a new token there (`announce`); every serving process polls it
every FRONTDESK_SYNC_SECONDS and, when it moved, rediscovers its plugins and drops what it
cached about them (Engine.reload_plugins). Polling a row, rather than LISTEN/NOTIFY, needs no
connection of its own and survives a Postgres restart without missing a change.

The ingest lock is a Postgres advisory lock (one per plugin name) held on a connection of its
own for the whole ingest; on one machine, an flock on a file under FRONTDESK_HOME/locks.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from frontdesk.pgpool import retry
from frontdesk.shared_state import SharedState

log = logging.getLogger(__name__)
SIGNAL = "plugins.version"


class ReplicaSync:
    def __init__(
        self,
        state: SharedState,
        reload: Callable[[], object],
        home: Path,
        pool: Any = None,
        interval: float = 2.0,
    ) -> None:
        self.state = state
        self._reload = reload
        self.home = home
        self.pool = pool
        self.interval = interval
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        try:
            self.seen: str | None = self._read()
        except Exception:  # Postgres down at start-up: the first poll that works reloads once
            self.seen = "unknown"
        self.reloads = 0  # how many signals this process acted on (shown in logs, tested)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the signal ----------------------------------------------------------------------

    def _read(self) -> str | None:
        raw = self.state.get(SIGNAL)
        return json.loads(raw)["token"] if raw else None

    def announce(self, reason: str) -> None:
        """Tell every replica that plugins or their knowledge changed (this one is current)."""
        token = uuid.uuid4().hex
        body = {"token": token, "by": self.me, "reason": reason, "at": time.time()}
        self.state.put(SIGNAL, json.dumps(body).encode())
        self.seen = token

    def poll(self) -> bool:
        """Reload when another process announced a change since the last look."""
        token = self._read()
        if token == self.seen:
            return False
        self.seen = token
        self._reload()
        self.reloads += 1
        log.info("replicas: plugins changed elsewhere; reloaded (%d so far)", self.reloads)
        return True

    def start(self) -> None:
        """Poll in a background thread until `stop` (a serving process)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="replica-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        failing = False
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # e.g. Postgres restarting: keep polling, say it once
                if not failing:
                    log.warning("replicas: cannot read the change signal (%s); retrying", exc)
                failing = True
            else:
                failing = False

    # --- one ingest per plugin at a time -------------------------------------------------

    @contextlib.contextmanager
    def ingest_lock(self, plugin: str) -> Iterator[None]:
        """Held while `plugin` is ingested; another replica's ingest of it waits here."""
        if self.pool is not None:
            key = f"frontdesk-ingest:{plugin}"

            def take() -> Any:
                conn = self.pool.getconn()
                try:
                    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
                except BaseException:
                    self.pool.putconn(conn)
                    raise
                return conn

            conn = retry(take, f"the ingest lock of plugin '{plugin}' (Postgres)")
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a dead connection released it already
                    conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
                self.pool.putconn(conn)
            return
        folder = self.home / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"ingest-{plugin}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def replica_lifespan(engine: Any) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """The server's lifespan: poll the change signal while it serves."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            sync = engine.sync
            sync.start()
        except Exception as exc:  # e.g. Postgres down at start-up: serve what does not need it
            log.warning("replicas: change signal unavailable (%s); plugins reload on restart", exc)
            sync = None
        try:
            yield
        finally:
            if sync is not None:
                sync.stop()

    return lifespan
