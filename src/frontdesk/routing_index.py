"""One routing index over every plugin: anchors and knowledge summaries in two matrices.

A question costs one product with the anchor matrix (examples, topics, description phrases,
routing labels) and one with the knowledge-summary matrix (centroids of each plugin's chunks,
see routing_summaries.py), whatever the number of plugins; per-plugin scores are then read off
with vectorised numpy. Anchor vectors are cached on disk keyed by the text's hash, so start-up
and reload embed only what changed.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from frontdesk.embeddings import Embedder

NEIGHBOURS = 3  # a plugin's anchor score: mean of its 3 nearest (best OOS rejection on CLINC val)
AGREEMENT = 0.1  # combine(): how much agreement between signals nudges the strongest one

_PHRASE_SPLIT = re.compile(r"[,;:()]|\s+(?:and|or|&)\s+|\.\s+|\.$")


def description_phrases(description: str) -> list[str]:
    """The listed items of a description ("Banking: balances, transfers and card freezes"),
    each a routing anchor of its own; a description that lists nothing gives none."""
    parts = [p.strip(" .-") for p in _PHRASE_SPLIT.split(description)]
    parts = [p for p in parts if p and len(p) <= 80]
    return parts if len(parts) > 1 else []


class AnchorCache:
    """Embeddings of anchor texts, keyed by embedder and text hash (SQLite, one file)."""

    def __init__(self, embedder: Embedder, path: Path | None) -> None:
        self.embedder = embedder
        self.path = path
        self._lock = threading.Lock()

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.embedder.name}\0{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        if self.path is None:
            return np.asarray(self.embedder.embed(texts), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10)
            except (OSError, sqlite3.Error):
                return np.asarray(self.embedder.embed(texts), dtype=np.float32)
            try:
                db.execute("CREATE TABLE IF NOT EXISTS anchors (key TEXT PRIMARY KEY, vec BLOB)")
                unique = list(dict.fromkeys(keys))
                for i in range(0, len(unique), 500):
                    batch = unique[i : i + 500]
                    marks = ",".join("?" * len(batch))
                    for key, blob in db.execute(
                        f"SELECT key, vec FROM anchors WHERE key IN ({marks})", batch
                    ):
                        found[key] = np.frombuffer(blob, dtype=np.float32)
                missing = [
                    t for t, k in dict(zip(texts, keys, strict=True)).items() if k not in found
                ]
                if missing:
                    vecs = np.asarray(self.embedder.embed(missing), dtype=np.float32)
                    rows = [(self._key(t), v.tobytes()) for t, v in zip(missing, vecs, strict=True)]
                    for (key, _), v in zip(rows, vecs, strict=True):
                        found[key] = v
                    db.executemany("INSERT OR REPLACE INTO anchors VALUES (?, ?)", rows)
                    db.commit()
            except sqlite3.Error:
                # A cache that cannot be read or written is only slower, never wrong.
                return np.asarray(self.embedder.embed(texts), dtype=np.float32)
            finally:
                db.close()
        return np.vstack([found[k] for k in keys])


def _gather(n_groups: int, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A (groups, widest) table of row indices per group, padded with -1, and its mask."""
    counts = np.bincount(owner, minlength=n_groups) if len(owner) else np.zeros(n_groups, int)
    width = max(1, int(counts.max()) if len(counts) else 1)
    table = np.full((n_groups, width), -1, dtype=np.int64)
    order = np.argsort(owner, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n_groups else np.zeros(0, int)
    for g in range(n_groups):
        table[g, : counts[g]] = order[starts[g] : starts[g] + counts[g]]
    return table, table >= 0


class RoutingIndex:
    """Per-plugin similarities for a batch of question vectors, from one product per matrix."""

    def __init__(
        self,
        descriptions: np.ndarray,  # (plugins, d)
        anchors: np.ndarray,  # (n, d)
        anchor_owner: np.ndarray,  # (n,) plugin index
        summaries: np.ndarray | None = None,  # (m, d) knowledge centroids
        summary_owner: np.ndarray | None = None,
    ) -> None:
        self.n = len(descriptions)
        self.descriptions = descriptions.astype(np.float32)
        self.anchors = anchors.astype(np.float32)
        self.anchor_owner = anchor_owner.astype(np.int64)
        self._table, self._mask = _gather(self.n, self.anchor_owner)
        self.summaries = summaries if summaries is not None and len(summaries) else None
        if self.summaries is not None and summary_owner is not None:
            self.summaries = self.summaries.astype(np.float32)
            self._ktable, self._kmask = _gather(self.n, summary_owner.astype(np.int64))

    def similarities(self, vecs: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        """(questions, plugins) scores; `exclude[q]` is an anchor row left out for question q
        (-1 for none): calibration scores examples leave-one-out."""
        vecs = np.atleast_2d(vecs).astype(np.float32)
        width = max(1, self._table.shape[1]) * max(1, self.n)
        block = max(1, 2_000_000 // width)  # bounds the (questions, plugins, width) gather
        if len(vecs) > block:
            return np.vstack(
                [
                    self.similarities(
                        vecs[i : i + block], None if exclude is None else exclude[i : i + block]
                    )
                    for i in range(0, len(vecs), block)
                ]
            )
        q = len(vecs)
        parts = [vecs @ self.descriptions.T]
        if len(self.anchors):
            sims = vecs @ self.anchors.T
            if exclude is not None:
                rows = np.flatnonzero(exclude >= 0)
                sims[rows, exclude[rows]] = -np.inf
            own = np.where(self._mask[None], sims[:, self._table], -np.inf)  # (q, plugins, w)
            k = min(NEIGHBOURS, own.shape[2])
            top = -np.partition(-own, k - 1, axis=2)[:, :, :k]
            finite = np.isfinite(top)
            count = finite.sum(2)
            total = np.where(finite, top, 0.0).sum(2)
            parts.append(np.where(count > 0, total / np.maximum(count, 1), np.nan))
        if self.summaries is not None:
            ks = vecs @ self.summaries.T
            own = np.where(self._kmask[None], ks[:, self._ktable], -np.inf)
            best = own.max(2)
            parts.append(np.where(np.isfinite(best), best, np.nan))
        stack = np.stack(parts, 2) if parts else np.zeros((q, self.n, 1))
        best = np.nanmax(stack, 2)
        mean = np.nanmean(stack, 2)
        return np.asarray(best + AGREEMENT * (mean - best))
