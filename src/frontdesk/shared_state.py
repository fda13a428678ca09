"""Named blobs that every replica must see alike: the calibration, the routing model, the
replicas' change signal, uploaded documents.

    state = open_state(settings, pool)
    state.put("calibration.json", data); state.get("calibration.json") -> bytes | None

By default (one machine) a blob is a file under FRONTDESK_HOME, written atomically, with the
same names as before this module existed. With FRONTDESK_MEMORY_URL it is a row of the
Postgres table `frontdesk_blobs`, so every replica reads what any replica wrote.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from frontdesk.errors import InputError
from frontdesk.pgpool import retry

SCHEMA = """
CREATE TABLE IF NOT EXISTS frontdesk_blobs (
    name TEXT PRIMARY KEY, data BYTEA NOT NULL, updated TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


class SharedState(Protocol):
    shared: bool  # True when other machines see these blobs (Postgres)
    where: str

    def get(self, name: str) -> bytes | None: ...
    def put(self, name: str, data: bytes) -> None: ...
    def delete(self, name: str) -> None: ...
    def names(self, prefix: str) -> list[str]: ...


def _check(name: str) -> str:
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise InputError(f"shared state name {name!r} is not a plain relative name")
    return name


class FileState:
    """Blobs as files under one folder (FRONTDESK_HOME)."""

    shared = False

    def __init__(self, home: Path) -> None:
        self.home = home
        self.where = str(home)

    def get(self, name: str) -> bytes | None:
        path = self.home / _check(name)
        return path.read_bytes() if path.is_file() else None

    def put(self, name: str, data: bytes) -> None:
        path = self.home / _check(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # never half-written

    def delete(self, name: str) -> None:
        (self.home / _check(name)).unlink(missing_ok=True)

    def names(self, prefix: str) -> list[str]:
        base = self.home / _check(prefix.rstrip("/")) if prefix.strip("/") else self.home
        if not base.is_dir():
            return []
        found = (p.relative_to(self.home).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(n for n in found if not Path(n).name.startswith("."))


class PostgresState:
    """Blobs as rows of `frontdesk_blobs`, through the engine's connection pool."""

    shared = True

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.where = "Postgres (frontdesk_blobs)"
        self._run(SCHEMA)

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        def go() -> list[dict[str, Any]]:
            with self.pool.connection() as conn:
                cur = conn.execute(sql, args)
                return list(cur.fetchall()) if cur.description else []

        return retry(go, "shared state (Postgres)")

    def get(self, name: str) -> bytes | None:
        rows = self._run("SELECT data FROM frontdesk_blobs WHERE name = %s", (_check(name),))
        return bytes(rows[0]["data"]) if rows else None

    def put(self, name: str, data: bytes) -> None:
        self._run(
            "INSERT INTO frontdesk_blobs (name, data) VALUES (%s, %s) ON CONFLICT (name) "
            "DO UPDATE SET data = excluded.data, updated = now()",
            (_check(name), data),
        )

    def delete(self, name: str) -> None:
        self._run("DELETE FROM frontdesk_blobs WHERE name = %s", (_check(name),))

    def names(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._run(
            "SELECT name FROM frontdesk_blobs WHERE name LIKE %s ORDER BY name", (escaped + "%",)
        )
        return [r["name"] for r in rows]


def open_state(home: Path, pool: Any = None) -> SharedState:
    """Postgres blobs when there is a pool (FRONTDESK_MEMORY_URL), files under `home` else."""
    return PostgresState(pool) if pool is not None else FileState(home)
