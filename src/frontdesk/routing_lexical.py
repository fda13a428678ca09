"""Character n-gram similarity of a question to each plugin's anchor texts, fused with MiniLM.

MiniLM alone ranks the right plugin first for about 89% of CLINC150 `val` questions with 20
examples per plugin, and its scores for out-of-scope questions sit close to in-scope ones. The
words a question shares with a plugin's examples and description ("routing number", "carry-on")
are a second, independent signal: a TF-IDF model over character n-grams inside words (2–4, so
"transfer" and "transferring" still meet) of the plugins' own anchor texts. A plugin's lexical
score is the cosine of the question to its nearest anchor text (examples, topics, description and
its phrases, routing labels), and it is added to the embedding similarity times WEIGHT:

    score = similarity + WEIGHT * lexical

The automatic routing fit (routing_fit.py) scores the examples leave-one-out on this sum, so the
thresholds are in the same units. Measured on CLINC150 `val`/`oos_val` only (BENCHMARKS.md,
"CLINC150 without tuning (session 5)"): top-1 89.4% -> 90.3%, and at the same share of `val`
routed right, 8 more points of `oos_val` rejected. Word n-grams and the mean of the 2–3 nearest
anchors were measured too and did no better.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from frontdesk.routing_index import _gather

WEIGHT = 0.2  # chosen on CLINC150 val (0.15-0.3 within a few tenths of a point of each other)
NGRAMS = (2, 4)


class LexicalIndex:
    """Per-plugin lexical scores from one sparse product with every anchor text."""

    def __init__(
        self,
        anchors: Sequence[str],  # in the router's anchor-row order
        anchor_owner: np.ndarray,  # (n,) plugin index of each anchor row
        descriptions: Sequence[str],  # one per plugin
        weight: float = WEIGHT,
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.weight = weight
        self.n = len(descriptions)
        self.rows = len(anchors)
        corpus = [*anchors, *descriptions]
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, dtype=np.float32
        )
        # Transposed once: a question's scores are then one sparse-by-sparse product.
        self.matrix = self.vectorizer.fit_transform(corpus).T.tocsr()
        owner = np.concatenate([np.asarray(anchor_owner, dtype=np.int64), np.arange(self.n)])
        self._table, self._mask = _gather(self.n, owner)

    def similarities(self, texts: Sequence[str], exclude: np.ndarray | None = None) -> np.ndarray:
        """(questions, plugins): cosine of each text to each plugin's nearest anchor text;
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
        return np.asarray(np.maximum(own.max(2), 0.0), dtype=np.float32)

    def boost(self, texts: Sequence[str], exclude: np.ndarray | None = None) -> np.ndarray:
        """What is added to each plugin's embedding similarity for each text."""
        return self.weight * self.similarities(texts, exclude)
