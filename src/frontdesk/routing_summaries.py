"""Knowledge summaries for routing: a few centroids of each plugin's chunk vectors.

The router used to ask every plugin's collection for its best chunk on every question (one
store query per plugin). Instead, each plugin's committed chunks are clustered when it is
ingested (spherical k-means, 64 centres; a plugin with fewer chunks keeps them all), and the
centroids are kept in the store itself, in one collection for all plugins (so replicas sharing a Chroma server share them); the router loads them all with
one read and scores them in its one index. A summary remembers which document versions it was
made from: when the plugin's documents changed elsewhere, it is made again on load.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import numpy as np

log = logging.getLogger("frontdesk.routing")

COLLECTION = "frontdesk.summaries"
MAX_CLUSTERS = 64  # up to this many chunks, a plugin's summary is its chunks themselves


def centroids(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """Unit-length cluster centres of unit vectors (spherical k-means, a few rounds)."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 1), dtype=np.float32)
    k = min(MAX_CLUSTERS, n)
    x = vectors.astype(np.float32)
    if k >= n:
        return x
    rng = np.random.default_rng(seed)
    centres = x[rng.choice(n, k, replace=False)]
    for _ in range(10):
        assign = (x @ centres.T).argmax(1)
        for c in range(k):
            members = x[assign == c]
            if len(members):
                centres[c] = members.sum(0)
        centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)
    return centres


def fingerprint(versions: set[str]) -> str:
    return hashlib.sha1("\n".join(sorted(versions)).encode()).hexdigest()[:16]


def _collection(store: Any) -> Any:
    return store.client.get_or_create_collection(
        COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def update(store: Any, plugin: str) -> np.ndarray:
    """Cluster one plugin's committed chunks and store the centroids (replacing the old)."""
    live = {r.version for r in store.manifest(plugin).values()}
    vectors = np.zeros((0, 1), dtype=np.float32)
    if live:
        got = store._collection(plugin).get(
            where={"version": {"$in": sorted(live)}}, include=["embeddings"]
        )
        if got["embeddings"] is not None and len(got["embeddings"]):
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
    cents = centroids(vectors)
    coll = _collection(store)
    coll.delete(where={"plugin": plugin})
    if len(cents):
        mark = fingerprint(live)
        coll.add(
            ids=[f"{plugin}:{i}" for i in range(len(cents))],
            embeddings=cents.tolist(),
            metadatas=[{"plugin": plugin, "fingerprint": mark} for _ in range(len(cents))],
        )
    return cents


def load(store: Any, plugins: list[str]) -> dict[str, np.ndarray]:
    """Every plugin's centroids (one read); made again where the documents changed."""
    return load_checked(store, plugins)[0]


def _names_mark(plugins: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(plugins)).encode()).hexdigest()[:16]


def load_checked(store: Any, plugins: list[str]) -> tuple[dict[str, np.ndarray], str | None]:
    """(centroids by plugin, the store token they are known current at, or None).

    Checking a summary against its plugin's documents costs a store read per plugin. Once every
    plugin has been checked at a store token, the token is written on the summaries collection,
    so the next start-up (of any replica sharing the store) at that token reads the summaries
    alone: a commit changes the token, and the first router built after it checks again.
    """
    token = store._token  # the store's caches (manifests) are at least this recent
    mark = _names_mark(plugins)
    try:
        coll = _collection(store)
        got = coll.get(include=["embeddings", "metadatas"])
    except Exception as exc:  # routing goes on without knowledge rather than failing
        log.warning("knowledge summaries unavailable (%s); routing without them", exc)
        return {}, None
    rows: dict[str, list[np.ndarray]] = {}
    marks: dict[str, str] = {}
    embeddings = got["embeddings"] if got["embeddings"] is not None else []
    for vec, meta in zip(embeddings, got["metadatas"] or [], strict=True):
        name = str(meta["plugin"])
        rows.setdefault(name, []).append(np.asarray(vec, dtype=np.float32))
        marks[name] = str(meta["fingerprint"])
    seen = coll.metadata or {}
    if token and seen.get("verified") == token and seen.get("plugins") == mark:
        out = {n: np.vstack(rows[n]) for n in plugins if n in rows and n not in store.broken}
        return out, None if store.broken else token
    out = {}
    complete = not any(name in store.broken for name in plugins)
    for name in plugins:
        if name in store.broken:
            continue
        try:
            live = {r.version for r in store.manifest(name).values()}
            if not live:
                continue
            cents = update(store, name) if marks.get(name) != fingerprint(live) else None
            if cents is None:
                out[name] = np.vstack(rows[name])
            elif len(cents):
                out[name] = cents
        except Exception as exc:  # one broken store must not take routing down
            log.warning("plugin '%s': no knowledge summary (%s)", name, exc)
            complete = False
    if not (complete and token):
        return out, None
    try:
        coll.modify(metadata={"verified": token, "plugins": mark})
    except Exception as exc:  # only the next start-up is slower
        log.warning("knowledge summaries: freshness mark not written (%s)", exc)
    return out, token


def refresh(store: Any, plugin: str) -> None:
    """After an ingest: the plugin's summary made again (a failure only logs)."""
    try:
        update(store, plugin)
    except Exception as exc:
        log.warning("plugin '%s': knowledge summary not updated (%s)", plugin, exc)
