"""Everyday questions as an "out of scope" reference for the automatic routing fit.

frontdesk ships 862 everyday questions and requests of all kinds (generic_questions.txt,
written for this project without looking at CLINC150's out-of-scope questions: trivia and
science first, then, since session 6, what people ask an assistant that plugins rarely serve —
tickets, local shops, news, sports, health, money outside a bank, repairs, family). They stand for "none of the plugins": a
question is scored against them as against a plugin, and its closeness to them lowers every
plugin's score before the thresholds apply (a likelihood-ratio style score):

    score = similarity - min(WEIGHT * generic(q), cap)

where generic(q) is the mean similarity of its 5 nearest kept everyday questions. The cap
(fitted, see fit()) lets a question whose plugin similarity is higher than 99% of the kept
everyday questions' reach through however generic it sounds.

Everyday questions near a plugin are dropped when the fit is made, so a deployment whose plugins
cover everyday topics keeps them: one is dropped when it is closer to any of a plugin's anchors
(examples, topics, description and its phrases, knowledge summaries) than the median of that
plugin's examples to their nearest other example. The kept ones also place `reject` (see
threshold()). WEIGHT, NEAREST, the median, GENERIC_KEEP and BETWEEN were chosen on CLINC150
`val`/`oos_val` (and `oos_train` for NEAREST and BETWEEN) (BENCHMARKS.md, "Everyday questions
as out-of-scope anchors" and "CLINC150 out-of-scope (session 6)" and "(session 7)").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

FILE = Path(__file__).with_name("generic_questions.txt")
# Their vectors for the bundled MiniLM, so a new home does not embed them at its first start
# (float16; `python -m frontdesk.routing_generic` writes it again after the text file changes).
VECTORS = Path(__file__).with_name("generic_questions.npz")
WEIGHT = 0.6  # how much closeness to everyday questions counts against a plugin
# generic(q): mean similarity of this many nearest everyday questions (3 with session 4's 334
# questions; 5 since the list grew to 862 — at the same share of CLINC150 `val` right, k=5
# rejected as much of `oos_val`/`oos_train` as k=3 or more, see "CLINC150 out-of-scope
# (session 6)" in BENCHMARKS.md)
NEAREST = 5
SPREAD_QUANTILE = 0.5  # an everyday question closer than the plugin's median spread is dropped
DEFAULT_SPREAD = 0.5  # a plugin with fewer than 2 examples: drop what is closer than this
GENERIC_KEEP = 0.99  # the cap: plugin similarity above this share of kept everyday questions
# `reject` sits this share of the way from the kept everyday questions' mean (lowered) score
# to the examples' mean leave-one-out score, within KEEP_RANGE of the examples kept (session 7:
# over 30 draws of CLINC150 examples, as much of `oos_val`/`oos_train` rejected as the 97%
# quantile of the examples at the same share of `val` right, with half the spread between draws)
BETWEEN = 0.2
KEEP_RANGE = (0.90, 0.99)


@cache
def questions() -> tuple[str, ...]:
    return tuple(q.strip() for q in FILE.read_text(encoding="utf-8").splitlines() if q.strip())


def file_hash() -> str:
    return hashlib.sha1("\n".join(questions()).encode()).hexdigest()[:12]


def vectors(embedder: Any, embed: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
    """The everyday questions' vectors: shipped for the bundled MiniLM, else `embed`ded."""
    from frontdesk.embeddings import MiniLMEmbedder

    if getattr(embedder, "name", None) == MiniLMEmbedder.name and VECTORS.is_file():
        with np.load(VECTORS) as shipped:
            if str(shipped["source"]) == file_hash():
                vecs = shipped["vectors"].astype(np.float32)
                return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.asarray(embed(questions()), dtype=np.float32)


@dataclass
class GenericAnchors:
    """The kept everyday questions' vectors and how they count against a plugin's score."""

    vectors: np.ndarray  # (n, d), unit length
    weight: float = WEIGHT
    cap: float = 1.0

    def closeness(self, vecs: np.ndarray) -> np.ndarray:
        """generic(q) for each row of `vecs`: mean similarity of its nearest kept questions."""
        vecs = np.atleast_2d(vecs).astype(np.float32)
        if not len(self.vectors):
            return np.zeros(len(vecs), dtype=np.float32)
        sims = vecs @ self.vectors.T
        k = min(NEAREST, sims.shape[1])
        return np.asarray(-np.partition(-sims, k - 1, axis=1)[:, :k].mean(1))

    def own_closeness(self) -> np.ndarray:
        """generic(q) of each kept everyday question with itself left out."""
        if len(self.vectors) < 2:
            return np.zeros(len(self.vectors), dtype=np.float32)
        sims = self.vectors @ self.vectors.T
        np.fill_diagonal(sims, -np.inf)
        k = min(NEAREST, sims.shape[1] - 1)
        return np.asarray(-np.partition(-sims, k - 1, axis=1)[:, :k].mean(1))

    def shift(self, vecs: np.ndarray) -> np.ndarray:
        """What is taken off every plugin's similarity for each question."""
        return np.minimum(self.weight * self.closeness(vecs), self.cap)


def threshold(examples: np.ndarray, everyday: np.ndarray) -> float:
    """`reject` from the examples' lowered leave-one-out scores and the kept everyday
    questions' lowered scores (each with itself left out of its closeness).

    A quantile of the examples alone (keep 97%) rests on their lowest few scores, which vary
    with the examples drawn: over 30 draws on CLINC150 it was negatively correlated (-0.67)
    with the threshold that would have kept a fixed share of `val` right. Both classes'
    means are steadier, so the threshold is placed between them."""
    t = float(everyday.mean() + BETWEEN * (examples.mean() - everyday.mean()))
    fewest, most = KEEP_RANGE  # shares of the examples kept routed
    lowest, highest = np.quantile(examples, [1 - most, 1 - fewest])
    return float(min(max(t, lowest), highest))


def kept(
    generic: np.ndarray,
    examples: list[np.ndarray],
    anchors: list[np.ndarray],
) -> np.ndarray:
    """A mask of the everyday questions to keep: none closer to a plugin's anchors than that
    plugin's examples are to each other (median nearest-other-example similarity)."""
    keep = np.ones(len(generic), dtype=bool)
    for ex, own in zip(examples, anchors, strict=True):
        if len(ex) >= 2:
            sims = ex @ ex.T
            np.fill_diagonal(sims, -np.inf)
            spread = float(np.quantile(sims.max(1), SPREAD_QUANTILE))
        else:
            spread = DEFAULT_SPREAD
        if len(own):
            keep &= (generic @ own.T).max(1) <= spread
    return keep


def plugin_rows(router: Any, i: int) -> np.ndarray:
    """Everything plugin i of a Router is recognised by: anchors, description, summaries."""
    lo, hi = router._bounds[i]
    rows = [router._anchors[lo:hi], router._descriptions[i : i + 1]]
    index = router.index
    if index.summaries is not None:
        rows.append(index.summaries[index._ktable[i][index._kmask[i]]])
    return np.vstack([r for r in rows if len(r)])


def from_report(
    report: dict[str, Any], embedder: Any, embed: Callable[[Sequence[str]], np.ndarray]
) -> GenericAnchors | None:
    """The GenericAnchors an automatic fit recorded in its report (None if it used none)."""
    info = report.get("generic")
    if not info or info.get("file") != file_hash():
        return None
    vecs = vectors(embedder, embed)[np.array(info["kept"], dtype=np.int64)]
    return GenericAnchors(vecs, info["weight"], info["cap"])


if __name__ == "__main__":  # write the shipped vectors for the bundled MiniLM
    from frontdesk.embeddings import MiniLMEmbedder

    vecs = MiniLMEmbedder().embed(list(questions())).astype(np.float16)
    np.savez_compressed(VECTORS, source=np.array(file_hash()), vectors=vecs)
    print(f"{len(vecs)} vectors -> {VECTORS}")
