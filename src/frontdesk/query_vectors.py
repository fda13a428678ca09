"""One question, one embedding: routing, retrieval and answer selection share its vector.

Each of the three embedded the same question on its own (three ONNX runs per answer with
MiniLM, benchmarks/overhead.py). They all ask for `embedder.embed([question])`, so a small
memory keyed by the text returns that very vector (the same bits) to the second and third.
Kept per embedder, like sentence_cache.py, and small: only the last questions are worth it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np

from frontdesk.embeddings import Embedder

SIZE = 256


class Memo:
    """Vectors by text, least recently used first (callers hold `lock`)."""

    def __init__(self) -> None:
        self.vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self.lock = threading.Lock()

    def trim(self, size: int) -> None:
        while len(self.vectors) > size:
            self.vectors.popitem(last=False)


class PerEmbedder:
    """One Memo per embedder, gone with it (a test's bag-of-words embedder never shares
    vectors with MiniLM); used here and by sentence_cache.py."""

    def __init__(self) -> None:
        self._memos: weakref.WeakKeyDictionary[object, Memo] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def __call__(self, embedder: Embedder) -> Memo:
        with self._guard:
            memo = self._memos.get(embedder)
            if memo is None:
                memo = self._memos[embedder] = Memo()
            return memo


_memo_for = PerEmbedder()


def embed_one(embedder: Embedder, text: str) -> np.ndarray:
    """`embedder.embed([text])[0]`, remembered for the last SIZE texts (read-only: shared)."""
    memo = _memo_for(embedder)
    with memo.lock:
        vector = memo.vectors.get(text)
        if vector is not None:
            memo.vectors.move_to_end(text)
            return vector
    vector = np.asarray(embedder.embed([text])[0])
    vector.flags.writeable = False  # every caller gets this one array
    with memo.lock:
        memo.vectors[text] = vector
        memo.trim(SIZE)
    return vector
