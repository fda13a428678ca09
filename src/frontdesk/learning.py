"""Feedback that teaches the router: corrections become routing labels.

A down-vote that names the plugin which should have answered (or "none") is a routing label.
After each correction the engine refits routing in the background with every correction so far
(`Engine.refit_routing`: at least `routing_fit.MIN_LABELS` usable labels, and the refit is kept
only when held-out labels and the plugins' own examples route no worse — so a few bad labels
cannot make routing worse). One refit runs at a time; corrections that arrive meanwhile are
taken up by one more refit right after it. A kept refit is announced to the other replicas,
which rebuild their routers from the shared calibration.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class RoutingLearner:
    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._idle = threading.Event()
        self._idle.set()
        self.last_report: dict[str, Any] | None = None
        self.refits = 0

    def correction_added(self) -> None:
        """Start a refit (or queue one more after the refit that is running)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running, self._again = True, False
            self._idle.clear()
        threading.Thread(target=self._run, name="frontdesk-learn", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no refit runs or is queued; False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                report = self._engine.refit_routing(self._engine.feedback.corrections())
                self.last_report = report
                log.info("routing refit from feedback: %s", report.get("reason"))
                if report.get("kept"):
                    self._engine.sync.announce("routing refit from feedback")
            except Exception:  # feedback must never take answering down
                log.exception("routing refit from feedback failed; routing is unchanged")
            self.refits += 1
            with self._lock:
                if not self._again:
                    self._running = False
                    self._idle.set()
                    return
                self._again = False
