"""Ingests that run in the background, one per plugin at a time, with progress to poll.

An upload must not hold a web request (or the answers of other users) for the minutes a big
document takes to embed: the web chat starts a job and polls it. The worker thread runs at a
lower CPU priority than answering, so answers keep their pace while an ingest runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from frontdesk.errors import FrontdeskError

log = logging.getLogger("frontdesk.jobs")
Ingest = Callable[[str, Callable[[str, int, int], None]], Any]


@dataclass
class Job:
    plugin: str
    stage: str = "queued"
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.time)
    finished: float | None = None
    summary: str = ""
    error: str = ""

    @property
    def running(self) -> bool:
        return self.finished is None

    def describe(self) -> str:
        if self.error:
            return f"{self.plugin}: ingest failed: {self.error}"
        if not self.running:
            return f"Done: {self.summary}"
        if self.total:
            return f"{self.plugin}: {self.stage} {self.done}/{self.total}…"
        return f"{self.plugin}: {self.stage}…"


class IngestJobs:
    """At most one running ingest per plugin; the latest job of each plugin is kept to report."""

    def __init__(self, ingest: Ingest, nice: int = 10) -> None:
        self._ingest = ingest
        self._nice = nice
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def start(self, plugin: str) -> Job:
        """Start an ingest of `plugin`, or return the one already running."""
        with self._lock:
            current = self._jobs.get(plugin)
            if current and current.running:
                return current
            job = self._jobs[plugin] = Job(plugin)
        threading.Thread(
            target=self._run, args=(job,), name=f"ingest-{plugin}", daemon=True
        ).start()
        return job

    def get(self, plugin: str) -> Job | None:
        return self._jobs.get(plugin)

    def running(self) -> list[Job]:
        return [j for j in self._jobs.values() if j.running]

    def _run(self, job: Job) -> None:
        with contextlib.suppress(OSError):  # Linux: a thread is a task with its own priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        try:
            report = self._ingest(job.plugin, progress)
            job.summary = report.summary()
        except FrontdeskError as exc:
            job.error = str(exc)
        except Exception as exc:  # a worker must always finish its job record
            log.exception("ingest of plugin '%s' failed", job.plugin)
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = time.time()
