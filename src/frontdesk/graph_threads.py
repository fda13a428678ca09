"""One thread pool for every run of the coordinator graph, instead of one per run.

LangGraph runs each step's nodes (and, when tokens are streamed, a waiter for the stream) on a
`ContextThreadPoolExecutor` it makes at the start of every run and shuts down at its end
(`langgraph.pregel._executor.BackgroundExecutor` through langchain's
`get_executor_for_config`): two to four threads started and joined per answer, about 7% of an
answer's own time with an instant model (benchmarks/overhead.py). Here runs without a
`max_concurrency` share one long-lived pool. Nothing else changes: BackgroundExecutor still
waits for its own tasks at the end of a run and re-raises their errors, and each task still
runs in a copy of the submitting context.

The shared pool never makes a task wait for a thread: like LangGraph's per-run pools (which
have no bound either without `max_concurrency`) it starts a thread whenever none is idle, so a
step's waiter blocking a thread cannot starve another run's nodes. Idle threads stay for the
next run; their number is the peak of tasks running at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.runnables.config import ContextThreadPoolExecutor

# No bound that could make a submitted task wait: a thread is started when none is idle.
_MAX_THREADS = 100_000

_pool: ContextThreadPoolExecutor | None = None
_guard = threading.Lock()
_installed = False


def shared_pool() -> ContextThreadPoolExecutor:
    global _pool
    with _guard:
        if _pool is None:
            _pool = ContextThreadPoolExecutor(
                max_workers=_MAX_THREADS, thread_name_prefix="frontdesk-graph"
            )
        return _pool


def install() -> None:
    """Make LangGraph's runs in this process use the shared pool (idempotent)."""
    global _installed
    with _guard:
        if _installed:
            return
        from langgraph.pregel import _executor

        original = _executor.get_executor_for_config

        @contextlib.contextmanager
        def executor_for_config(config: Any) -> Iterator[Any]:
            if (config or {}).get("max_concurrency") is not None:
                with original(config) as executor:  # a caller's own limit: its own pool
                    yield executor
                return
            yield shared_pool()  # not shut down: the next run uses it again

        _executor.get_executor_for_config = executor_for_config  # type: ignore[assignment]
        _installed = True
