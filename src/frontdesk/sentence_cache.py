"""Vectors of knowledge sentences, remembered between answers.

Answer selection embeds the question with every sentence of the retrieved chunks; the chunks
come from a fixed knowledge base, so the same sentences are embedded again and again. With the
bundled MiniLM that was most of an answer's own cost (about 0.4 s of 0.45 s per answer with an
instant model, benchmarks/overhead.py). Sentences are kept per embedder (a test's bag-of-words
embedder never shares vectors with MiniLM), least recently used dropped first.
"""

from __future__ import annotations

import numpy as np

from frontdesk import query_vectors
from frontdesk.embeddings import Embedder

SIZE = 20_000  # 384 floats each: about 30 MB for MiniLM at the most

_cache_for = query_vectors.PerEmbedder()


def embed(embedder: Embedder, query: str, sentences: list[str]) -> np.ndarray:
    """`embedder.embed([query, *sentences])`, with the sentences' vectors remembered (the
    query's is not: a question seldom comes twice)."""
    cache = _cache_for(embedder)
    with cache.lock:
        known = {s: cache.vectors[s] for s in sentences if s in cache.vectors}
        for s in known:
            cache.vectors.move_to_end(s)
    missing = list(dict.fromkeys(s for s in sentences if s not in known))
    if missing:
        fresh = embedder.embed([query, *missing])
    else:  # the vector routing and retrieval used, the same as embed([query]) gives
        fresh = query_vectors.embed_one(embedder, query)[None, :]
    found = dict(zip(missing, fresh[1:], strict=True))
    with cache.lock:
        for s, v in found.items():
            cache.vectors[s] = v
        cache.trim(SIZE)
    rows = [fresh[0], *(known[s] if s in known else found[s] for s in sentences)]
    return np.stack(rows).astype(np.float32, copy=False)


def known(embedder: Embedder, sentence: str) -> bool:
    cache = _cache_for(embedder)
    with cache.lock:
        return sentence in cache.vectors


def size(embedder: Embedder) -> int:
    cache = _cache_for(embedder)
    with cache.lock:
        return len(cache.vectors)


def remember(embedder: Embedder, sentences: list[str]) -> int:
    """Embed sentences ahead of any question (warmup.py); returns how many were added. Never
    pushes older sentences out: a full cache keeps what answers already used."""
    vectors = embedder.embed(sentences)
    cache = _cache_for(embedder)
    added = 0
    with cache.lock:
        for s, v in zip(sentences, vectors, strict=True):
            if len(cache.vectors) >= SIZE:
                break
            if s not in cache.vectors:
                cache.vectors[s] = v
                added += 1
    return added
