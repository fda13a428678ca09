"""One Postgres connection pool per engine, shared by everything that keeps state there
(memory, answer log, shared state, replica signals), and the one retry rule they all follow.

A pool checks each connection before lending it: after a Postgres restart the dead connections
are dropped and replaced instead of failing one request each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from frontdesk.errors import BackendError, MemoryUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

POOL_TIMEOUT = 15.0  # seconds a request waits for a connection (e.g. while Postgres restarts)


def open_pool(url: str, max_size: int) -> Any:
    """An opened psycopg pool (dict rows, autocommit); BackendError if Postgres is unreachable."""
    try:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise BackendError(
            "FRONTDESK_MEMORY_URL needs the postgres extra: pip install -e '.[postgres]'"
        ) from None
    pool: Any = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        check=ConnectionPool.check_connection,
        timeout=POOL_TIMEOUT,
        open=False,
        name="frontdesk",
    )
    try:
        pool.open(wait=True, timeout=POOL_TIMEOUT)
    except Exception as exc:
        pool.close()
        raise BackendError(
            f"cannot reach the memory database {redact(url)} ({type(exc).__name__}); "
            "check FRONTDESK_MEMORY_URL and that Postgres is running"
        ) from exc
    return pool


def retry(fn: Callable[[], T], what: str, pooled: bool = True) -> T:
    """Run one database operation; a connection that broke under it is retried once (the pool
    then hands out a fresh one). Failing that: MemoryUnavailable (a 503), one clear line."""
    for attempt in (1, 2):
        try:
            return fn()
        except Exception as exc:
            if attempt == 1 and pooled and is_connection_error(exc):
                log.warning("%s: database connection lost (%s); retrying once", what, exc)
                continue
            detail = str(exc).splitlines()[0] if str(exc) else ""
            raise MemoryUnavailable(
                f"{what} failed: {type(exc).__name__}: {detail}; retry shortly"
            ) from exc
    raise AssertionError("unreachable")


def is_connection_error(exc: BaseException) -> bool:
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    # A pool timeout already waited for a connection: retrying would only wait again.
    return isinstance(exc, psycopg.OperationalError) and not isinstance(exc, PoolTimeout)


def redact(url: str) -> str:
    """A database URL without its password, for error messages."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{tail}" if user else f"{scheme}://{tail}"
