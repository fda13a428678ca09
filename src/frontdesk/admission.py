"""Admission control shared by every front end that generates answers (API and web chat).

At most `concurrency` answers run at once and `queue` more wait; anyone beyond that is refused
at once with `Busy` (HTTP 429). Counting happens under one lock *before* any await or wait, so a
burst of simultaneous requests cannot all slip past the check. Waiters are served first come,
first served; the async form (the API) and the blocking form (the web chat's worker threads)
share the same slots and queue.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from frontdesk.errors import FrontdeskError

# Until an answer has been timed, assume this many seconds per answer for Retry-After.
DEFAULT_ANSWER_SECONDS = 5.0


class Busy(FrontdeskError):
    """Every slot and every queue place is taken; retry after `retry_after` seconds."""

    exit_code = 75
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueTimeout(Busy):
    """Queued, but no slot came free in time."""

    http_status = 503


def _wake_up(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Ticket:
    """One admitted request: waiting for a slot, then holding it until `release()`."""

    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self.granted = False
        self.released = False
        self.started = 0.0
        self._event = threading.Event()
        self._wake: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _grant(self) -> None:  # called with the admission lock held
        self.granted = True
        self.started = time.monotonic()
        self._event.set()
        if self._wake is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(_wake_up, self._wake)

    def release(self) -> None:
        """Give the slot (or the queue place) back; safe to call twice and from any thread."""
        self.admission._leave(self)


class Admission:
    def __init__(self, concurrency: int, queue: int, timeout: float) -> None:
        self.concurrency, self.queue, self.timeout = concurrency, queue, timeout
        self.active = 0
        self._waiting: deque[Ticket] = deque()
        self._lock = threading.Lock()
        self._durations: deque[float] = deque(maxlen=20)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def retry_after(self) -> int:
        """Seconds until a retry is likely to be admitted: the queue ahead of it drained at
        the recent pace of answers, spread over the slots (at least 1)."""
        with self._lock:
            return self._estimate()

    def _estimate(self) -> int:
        per_answer = (
            sum(self._durations) / len(self._durations)
            if self._durations
            else DEFAULT_ANSWER_SECONDS
        )
        return max(1, math.ceil(per_answer * (len(self._waiting) + 1) / self.concurrency))

    def _admit(self) -> Ticket:
        """Count the request in, atomically; granted at once when a slot is free."""
        ticket = Ticket(self)
        with self._lock:
            if self.active < self.concurrency and not self._waiting:
                self.active += 1
                ticket._grant()
            elif len(self._waiting) < self.queue:
                self._waiting.append(ticket)
            else:
                retry = self._estimate()
                raise Busy(
                    f"frontdesk is busy ({self.active} answers running, {len(self._waiting)} "
                    f"waiting); retry in {retry} s",
                    retry,
                )
        return ticket

    def _timed_out(self, ticket: Ticket) -> QueueTimeout:
        ticket.release()
        retry = self.retry_after()
        return QueueTimeout(
            f"frontdesk is busy: no free slot within {self.timeout:.0f} s; retry in {retry} s",
            retry,
        )

    async def acquire(self) -> Ticket:
        """Admit and wait (without blocking the event loop) for a slot.

        Raises Busy when full, QueueTimeout when no slot came within the timeout. A caller
        cancelled while waiting gives its queue place back."""
        ticket = self._admit()
        if ticket.granted:
            return ticket
        ticket._loop = asyncio.get_running_loop()
        ticket._wake = ticket._loop.create_future()
        with self._lock:  # it may have been granted between _admit and here
            if ticket.granted:
                return ticket
        try:
            await asyncio.wait_for(asyncio.shield(ticket._wake), self.timeout)
        except TimeoutError:
            raise self._timed_out(ticket) from None
        except BaseException:
            ticket.release()
            raise
        return ticket

    def acquire_blocking(self) -> Ticket:
        """The same as `acquire`, for worker threads."""
        ticket = self._admit()
        if not ticket._event.wait(self.timeout):
            with self._lock:
                granted = ticket.granted
            if not granted:
                raise self._timed_out(ticket)
        return ticket

    @contextmanager
    def slot(self) -> Iterator[Ticket]:
        """Hold a slot for the body of a `with` block (blocking form)."""
        ticket = self.acquire_blocking()
        try:
            yield ticket
        finally:
            ticket.release()

    def _leave(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket.released:
                return
            ticket.released = True
            if not ticket.granted:  # gave up its queue place (timeout, cancelled)
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                return
            self._durations.append(time.monotonic() - ticket.started)
            if self._waiting:  # the slot passes straight to the next in line
                self._waiting.popleft()._grant()
            else:
                self.active -= 1
