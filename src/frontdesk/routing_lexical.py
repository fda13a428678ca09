"""Character n-gram similarity of a question to each plugin's anchor texts, fused with MiniLM.

MiniLM alone ranks the right plugin first for about 89% of CLINC150 `val` questions with 20
examples per plugin, and its scores for out-of-scope questions sit close to in-scope ones. The
words a question shares with a plugin's examples and description ("routing number", "carry-on")
are a second, independent signal: a TF-IDF model over character n-grams inside words (2–4, so
"transfer" and "transferring" still meet) of the plugins' own anchor texts. A plugin's lexical
score is the mean cosine of the question to its 2 nearest anchor texts (examples, topics,
description and its phrases, routing labels), and it is added to the embedding similarity
times WEIGHT:

    score = similarity + WEIGHT * lexical

The automatic routing fit (routing_fit.py) scores the examples leave-one-out on this sum, so the
thresholds are in the same units. Measured on CLINC150 `val`/`oos_val` only (BENCHMARKS.md,
"CLINC150 without tuning (session 5)"): top-1 89.4% -> 90.1%, and at the same share of `val`
routed right, 5-8 more points of `oos_val` rejected. The nearest anchor alone did as well on
`val` but let one short example sharing a single word ("How high should my saddle be?") pull
"How high should the rim of a beer trap sit…" from gardening to cycling; word n-grams and
stop-word removal did no better.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.routing_index import _gather

WEIGHT = 0.2  # chosen on CLINC150 val (0.15-0.3 within a few tenths of a point of each other)
NGRAMS = (2, 4)
NEAREST = 2  # a plugin's lexical score: mean cosine of its 2 nearest anchor texts
KEEP = 4  # fitted indexes kept in the cache folder (the newest)
log = logging.getLogger(__name__)


def _vectorizer(vocabulary: dict[str, int] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=vocabulary,
    )


def _save(path: Path, vectorizer: Any, matrix: Any) -> None:
    vocab = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            vocab=np.array(vocab),
            idf=vectorizer.idf_,
            data=matrix.data,
            indices=matrix.indices,
            indptr=matrix.indptr,
            shape=np.array(matrix.shape),
        )
        tmp.replace(path)  # whole or not at all: a reader never sees half a file
        for old in sorted(path.parent.glob("lexical-*.npz"), key=lambda p: p.stat().st_mtime)[
            :-KEEP
        ]:
            old.unlink(missing_ok=True)
    except OSError as exc:  # a cache that cannot be written is only slower, never wrong
        log.warning("routing: could not keep the lexical index in %s: %s", path.parent, exc)


def _load(path: Path) -> tuple[Any, Any] | None:
    from scipy.sparse import csr_matrix

    try:
        with np.load(path, allow_pickle=False) as z:
            vectorizer = _vectorizer({str(t): i for i, t in enumerate(z["vocab"])})
            vectorizer.idf_ = z["idf"]
            matrix = csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        path.touch()  # in use: kept by the pruning above
        return vectorizer, matrix
    except (OSError, KeyError, ValueError):
        return None  # not there, or unreadable: fitted again


class LexicalIndex:
    """Per-plugin lexical scores from one sparse product with every anchor text."""

    def __init__(
        self,
        anchors: Sequence[str],  # in the router's anchor-row order
        anchor_owner: np.ndarray,  # (n,) plugin index of each anchor row
        descriptions: Sequence[str],  # one per plugin
        weight: float = WEIGHT,
        cache: Path | None = None,  # a folder keeping fitted indexes between start-ups
    ) -> None:
        self.weight = weight
        self.n = len(descriptions)
        self.rows = len(anchors)
        corpus = [*anchors, *descriptions]
        # Fitting takes seconds at 1,000 plugins (25,000 anchor texts); a start-up with the same
        # anchor texts reads the fitted vocabulary, weights and matrix back instead.
        key = hashlib.sha256(repr((NGRAMS, corpus)).encode()).hexdigest()[:24]
        path = cache / f"lexical-{key}.npz" if cache is not None else None
        loaded = _load(path) if path is not None else None
        if loaded is None:
            self.vectorizer = _vectorizer()
            # Transposed once: a question's scores are then one sparse-by-sparse product.
            self.matrix = self.vectorizer.fit_transform(corpus).T.tocsr()
            if path is not None:
                _save(path, self.vectorizer, self.matrix)
        else:
            self.vectorizer, self.matrix = loaded
        owner = np.concatenate([np.asarray(anchor_owner, dtype=np.int64), np.arange(self.n)])
        self._table, self._mask = _gather(self.n, owner)

    def similarities(self, texts: Sequence[str], exclude: np.ndarray | None = None) -> np.ndarray:
        """(questions, plugins): mean cosine of each text to each plugin's NEAREST anchor texts;
        `exclude[q]` is an anchor row left out for text q (-1: none), as in RoutingIndex."""
        if not len(texts):
            return np.zeros((0, self.n), dtype=np.float32)
        block = max(1, 4_000_000 // (self.rows + self.n))  # bounds the dense (texts, rows) block
        if len(texts) > block:
            return np.vstack(
                [
                    self.similarities(
                        texts[i : i + block], None if exclude is None else exclude[i : i + block]
                    )
                    for i in range(0, len(texts), block)
                ]
            )
        sims = (self.vectorizer.transform(list(texts)) @ self.matrix).toarray()
        if exclude is not None:
            rows = np.flatnonzero(exclude >= 0)
            sims[rows, exclude[rows]] = -np.inf
        own = np.where(self._mask[None], sims[:, self._table], -np.inf)
        k = min(NEAREST, own.shape[2])
        top = -np.partition(-own, k - 1, axis=2)[:, :, :k]
        finite = np.isfinite(top)
        mean = np.where(finite, top, 0.0).sum(2) / np.maximum(finite.sum(2), 1)
        return np.asarray(np.maximum(mean, 0.0), dtype=np.float32)

    def boost(self, texts: Sequence[str], exclude: np.ndarray | None = None) -> np.ndarray:
        """What is added to each plugin's embedding similarity for each text."""
        return self.weight * self.similarities(texts, exclude)
