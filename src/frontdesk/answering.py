"""Choosing the sentence that answers a question, not just the most similar one.

Each sentence of the retrieved chunks is scored by a small logistic model over features that
say whether it *answers*: embedding similarity, the question's words and exact tokens (`--soft`,
`-D`, part numbers) found in it, whether it holds what the question asks for (a number for "how
long", a date for "when", a name for "who"), and, in a conversation, where it sits relative to
the previous answer (answers usually move forward through a text). A second small model says
whether the best sentence answers at all; below its threshold the specialist says the notes do
not cover the question. Both were fitted on the QuAC dev split (dialogs 0-199) by
benchmarks/answer_selection.py --fit and live in answer_model.json.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from frontdesk import sentence_cache
from frontdesk.embeddings import Embedder
from frontdesk.grounding import content_words
from frontdesk.store import Hit

MODEL_FILE = Path(__file__).with_name("answer_model.json")
# Below this chunk similarity nothing retrieved is about the question (the floor the grounding
# check used before); QuAC's scoped passages never fall below it, so the gate could not learn it.
MIN_RETRIEVAL = 0.30

# Blank lines, headings and list items end a sentence; a wrapped line inside a paragraph does not.
_BLOCK = re.compile(r"\n\s*\n|\n(?=\s*(?:#|[-*+] |\d+[.)] |\|))")
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_EXACT = re.compile(r"(?:^|\s)(-{1,2}[\w-]+|\w*\d\w*|\w+[-_./:]\w[\w./:-]*)")
_NUMBER = re.compile(r"\d")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "spring|summer|autumn|fall|winter|morning|evening|night|week|month|year|day|hour|minute"
)
_TIME = re.compile(rf"\b(?:{_MONTHS})s?\b", re.I)
_NAME = re.compile(r"(?<=\w[\s,])[A-Z][a-z]+")
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|without|cannot)\b|n't\b", re.I)

FEATURES = (
    "sim",
    "sim_gap",
    "keywords",
    "exact",
    "type_hit",
    "type_miss",
    "has_prev",
    "after_prev",
    "next_after_prev",
    "prev_distance",
    "position",
    "length",
)


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    sentence: str
    position: int  # reading order over all retrieved chunks
    sim: float
    score: float = 0.0  # the selection model's probability that this sentence answers


@dataclass(frozen=True)
class Selection:
    ranked: list[Candidate]  # best first
    confidence: float  # the answerability model's probability that the best sentence answers
    covered: bool  # confidence at or above the threshold fitted on dev

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None

    def evidence(self, limit: int = 2) -> list[Candidate]:
        """The best sentence and any close runner-up, in reading order."""
        if not self.ranked:
            return []
        top = self.ranked[0].score
        keep = [c for c in self.ranked[:limit] if c.score >= 0.6 * top]
        return sorted(keep, key=lambda c: c.position)


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk; lines wrapped inside a paragraph are joined first, headings
    (titles, not statements) are left out."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    out: list[str] = []
    for block in _BLOCK.split(body):
        flat = " ".join(line.strip() for line in block.splitlines()).strip(" -*+|\t")
        for s in _SENTENCE.split(flat):
            s = s.strip()
            if len(s.split()) >= 3:
                out.append(s)
    return out


def question_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow (long|many|much|old|often|far|big|high|hot|cold|large|tall)\b", q):
        return "number"
    if re.search(r"\b(when|what year|which year|what time|what date)\b", q):
        return "time"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "name"
    return ""


def _has_type(kind: str, sentence: str) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(sentence)) or bool(
            re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|few)\b", sentence, re.I)
        )
    if kind == "time":
        return bool(_YEAR.search(sentence) or _TIME.search(sentence))
    if kind == "name":
        return bool(_NAME.search(sentence))
    return False


def exact_tokens(text: str) -> set[str]:
    """Tokens that must match literally: options, numbers, identifiers."""
    return {m.strip(".,;:?!").lower() for m in _EXACT.findall(text)} - {""}


def _locate(previous: str | None, pool: list[tuple[Hit, str]]) -> int | None:
    """Where the previous answer sits in the pool (its best-overlapping sentence), if at all."""
    if not previous:
        return None
    words = set(content_words(previous))
    if not words:
        return None
    best, where = 0.0, None
    for i, (_, s) in enumerate(pool):
        share = len(words & set(content_words(s))) / len(words)
        if share > best:
            best, where = share, i
    return where if best >= 0.5 else None


def features(
    question: str, pool: list[tuple[Hit, str]], sims: np.ndarray, previous: str | None
) -> np.ndarray:
    q_words = set(content_words(question))
    q_exact = exact_tokens(question)
    kind = question_type(question)
    prev = _locate(previous, pool)
    top = float(sims.max()) if len(sims) else 0.0
    n = max(len(pool), 1)
    rows = []
    for i, (_, s) in enumerate(pool):
        s_words = set(content_words(s))
        keywords = len(q_words & s_words) / len(q_words) if q_words else 0.0
        s_lower = s.lower()
        exact = sum(t in s_lower for t in q_exact) / len(q_exact) if q_exact else 0.0
        typed = _has_type(kind, s) if kind else False
        rows.append(
            [
                float(sims[i]),
                float(sims[i]) - top,
                keywords,
                exact,
                float(bool(kind) and typed),
                float(bool(kind) and not typed),
                float(prev is not None),
                float(prev is not None and i > prev),
                float(prev is not None and i == prev + 1),
                abs(i - prev) / n if prev is not None else 0.0,
                i / n,
                math.log(1 + len(s.split())),
            ]
        )
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES))


@dataclass(frozen=True)
class AnswerModel:
    """Sentence scorer and answerability gate (logistic models; weights from the dev split)."""

    coef: np.ndarray
    intercept: float
    gate_coef: np.ndarray
    gate_intercept: float
    threshold: float

    def sentence_scores(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))

    def gate_features(self, x: np.ndarray, scores: np.ndarray) -> np.ndarray:
        order = np.argsort(-scores)
        best = x[order[0]]
        second = scores[order[1]] if len(order) > 1 else 0.0
        # The best sentence's own features, how sure the scorer is, and its margin.
        return np.concatenate([best, [scores[order[0]], scores[order[0]] - second]])

    def answerable(self, g: np.ndarray) -> float:
        return float(1.0 / (1.0 + math.exp(-(float(g @ self.gate_coef) + self.gate_intercept))))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel:
        data = json.loads(path.read_text())
        return cls(
            coef=np.array(data["sentence"]["coef"], dtype=float),
            intercept=float(data["sentence"]["intercept"]),
            gate_coef=np.array(data["gate"]["coef"], dtype=float),
            gate_intercept=float(data["gate"]["intercept"]),
            threshold=float(data["gate"]["threshold"]),
        )


@lru_cache(maxsize=1)
def default_model() -> AnswerModel:
    return AnswerModel.load()


def candidates(hits: list[Hit]) -> list[tuple[Hit, str]]:
    # A question in the notes (an FAQ heading) restates what was asked; it never answers it.
    return [(hit, s) for hit in hits for s in split_sentences(hit.text) if not s.endswith("?")]


def select(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    previous: str | None = None,
    model: AnswerModel | None = None,
) -> Selection:
    """Rank the retrieved chunks' sentences by how likely each answers `question`.

    `previous` is the last answer in the conversation, if any (its position is a feature).
    """
    model = model or default_model()
    pool = candidates(hits)
    if not pool:
        return Selection([], 0.0, False)
    vectors = sentence_cache.embed(embedder, question, [s for _, s in pool])
    sims = vectors[1:] @ vectors[0]
    x = features(question, pool, sims, previous)
    scores = model.sentence_scores(x)
    confidence = model.answerable(model.gate_features(x, scores))
    ranked = [
        Candidate(pool[i][0], pool[i][1], i, float(sims[i]), float(scores[i]))
        for i in np.argsort(-scores)
    ]
    relevant = max(hit.score for hit in hits) >= MIN_RETRIEVAL
    return Selection(ranked, confidence, relevant and confidence >= model.threshold)


def has_negation(text: str) -> bool:
    return bool(_NEGATION.search(text))
