"""Knowledge sentences embedded in the background, so answers do not have to.

Answer selection embeds every sentence of the retrieved chunks it has not seen before
(sentence_cache.py). On a server just started, or after an ingest, that was most of the first
answers' own cost (benchmarks/overhead.py: the first pass over the questions). `frontdesk serve`
starts `Warmer` (FRONTDESK_WARMUP): a low-priority thread that reads the committed chunks of
every plugin and embeds the sentences the cache does not hold yet, in batches — at start-up,
and again whenever the store's change token moves (an ingest here or on another replica).

The vectors are the embedder's own (sentence_cache keeps whatever batch a sentence first came
in, within 1e-4: tests/test_sentence_cache.py), so answers do not change; they only stop paying
for the embedding. It stops at the cache's size, so it never pushes out what answers use.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from frontdesk import sentence_cache

log = logging.getLogger(__name__)

BATCH = 32
POLL_SECONDS = 5.0


def knowledge_sentences(engine: Any) -> Iterator[str]:
    """The sentences answer selection would take from each plugin's committed chunks (and
    retrieval, entry_match.py)."""
    from frontdesk.answering import split_sentences
    from frontdesk.entry_match import short_form
    from frontdesk.retrieval import _entries, _load_chunks

    store = engine.store
    for name in list(engine.plugins):
        try:
            live = {r.version for r in store.manifest(name).values()}
            chunks = _load_chunks(store, name, live)
        except Exception as exc:  # a broken store says so when asked; nothing to warm here
            log.debug("warm-up: %s skipped (%s)", name, exc)
            continue
        for chunk in chunks:
            text = str(chunk.meta.get("text", chunk.text))
            yield from (s for s in split_sentences(text) if not s.endswith("?"))
            # and the option entries' short forms retrieval weighs for option questions
            yield from (short_form(e) for e in _entries(chunk.text))


def warm(engine: Any, stop: threading.Event | None = None) -> int:
    """Embed the knowledge sentences the cache lacks; returns how many were embedded."""
    embedder = engine.embedder
    batch: list[str] = []
    done = 0
    room = sentence_cache.SIZE - sentence_cache.size(embedder)
    for sentence in knowledge_sentences(engine):
        if stop is not None and stop.is_set():
            break
        if sentence in batch or sentence_cache.known(embedder, sentence):
            continue
        if done + len(batch) >= room:
            break
        batch.append(sentence)
        if len(batch) == BATCH:
            done += sentence_cache.remember(embedder, batch)
            batch = []
    if batch:
        done += sentence_cache.remember(embedder, batch)
    return done


class Warmer:
    """The background thread: warms at start, then each time this process sees the store's
    token change (its own ingest, or another replica's, noticed by the next question)."""

    def __init__(self, engine: Any, poll: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.poll = poll
        self.stop = threading.Event()
        self.rounds = 0  # finished warm-ups (tests wait on it)
        self.thread = threading.Thread(target=self._run, name="frontdesk-warmup", daemon=True)

    def start(self) -> Warmer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()

    def _run(self) -> None:
        # Linux: this thread only, so answers keep the CPU they need.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        seen: object = ()
        while not self.stop.is_set():
            try:
                # The token this process last saw (answers refresh it); refreshing here would
                # take the change away from the engine, whose router must see it.
                token = self.engine.store._token
                if token != seen:
                    embedded = warm(self.engine, self.stop)
                    log.info("warm-up: %d knowledge sentences embedded", embedded)
                    seen = token
                    self.rounds += 1
            except Exception as exc:  # the answers still work, only slower
                log.warning("warm-up failed: %s: %s", type(exc).__name__, exc)
            self.stop.wait(self.poll)
