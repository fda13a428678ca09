"""Query likelihood with the bundled SmolLM2: how well a passage "predicts" the question.

A sentence that answers a question tends to make that question likely: the mean log-probability
of the question's tokens after "Passage: <sentence> ... Question:" is higher for it than for a
sentence about something else (unsupervised passage re-ranking, UPR; Sachan et al. 2022). The
same score without any passage is the question's prior; their difference is a pointwise mutual
information between the question and the passage.

llama.cpp returns per-token logits only for a context made with `logits_all=True`, which the
chat instance (models._SharedLlama) is not, so this scorer loads its own instance of the same
GGUF file (about 100 MB more memory) and serialises its calls with its own lock.

Measured on QuAC (benchmarks/query_likelihood.py, BENCHMARKS.md "SmolLM2 as a scorer"): with
SmolLM2-135M, re-ranking a follow-up's top 5 sentences gains about +0.04 F1 for 8 scores (over a
second per answer) and the answerability gate gains nothing, so the product's answer path does
not call this module (yet).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

INSTRUCTION = "Please write a question about this passage."


@dataclass(frozen=True)
class Score:
    total: float  # sum of the question tokens' log-probabilities
    tokens: int

    @property
    def mean(self) -> float:
        return self.total / max(self.tokens, 1)


def prompt(passage: str | None, context: str = "") -> str:
    """The text the question is scored after: the passage (none for the prior), an optional
    conversation context (the previous question and answer), then the instruction."""
    head = f"Passage: {passage}\n" if passage else ""
    if context:
        head += f"{context}\n"
    return f"{head}{INSTRUCTION}\nQuestion:"


class QueryLikelihood:
    """log p(question | prompt) on a llama.cpp model with per-token logits."""

    def __init__(self, path: str | Path, n_threads: int = 1, n_ctx: int = 1024) -> None:
        from llama_cpp import Llama

        self.llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            logits_all=True,
            verbose=False,
        )
        self.n_ctx = n_ctx
        self.lock = threading.Lock()
        self._last: list[int] = []

    def _tokens(self, text: str, bos: bool) -> list[int]:
        return list(self.llm.tokenize(text.encode(), add_bos=bos, special=False))

    def _logits(self, tokens: list[int], first: int) -> np.ndarray:
        """Logits predicting tokens[first:], reusing the evaluated prefix shared with the last
        call (the passage part of consecutive prompts about the same sentence)."""
        with self.lock:
            llm = self.llm
            same = 0
            for a, b in zip(self._last, tokens, strict=False):
                if a != b:
                    break
                same += 1
            same = min(same, first - 1, len(tokens) - 1)  # the predicting row must be recomputed
            llm.n_tokens = same
            llm.eval(tokens[same:])
            self._last = list(tokens)
            return np.array(llm.scores[first - 1 : len(tokens) - 1])

    def _fit(self, head: list[int], tail: list[int]) -> list[int]:
        room = self.n_ctx - len(tail) - 1
        if len(head) > room:  # keep the instruction (the end of the prompt), cut the passage
            head = head[:1] + head[len(head) - room + 1 :]
        return head

    def score(self, question: str, passage: str | None, context: str = "") -> Score:
        tail = self._tokens(" " + question.strip(), bos=False)
        if not tail:
            return Score(0.0, 0)
        head = self._fit(self._tokens(prompt(passage, context), bos=True), tail)
        logits = self._logits(head + tail, len(head))
        picked = _log_softmax(logits)[np.arange(len(tail)), tail]
        return Score(float(picked.sum()), len(tail))

    def judge(self, question: str, passage: str) -> float:
        """log p(yes) - log p(no) for "does the passage answer the question?"."""
        text = (
            f"Passage: {passage}\nQuestion: {question.strip()}\n"
            "Does the passage answer the question? Answer yes or no.\nAnswer:"
        )
        yes = self._tokens(" yes", bos=False)[0]
        no = self._tokens(" no", bos=False)[0]
        head = self._fit(self._tokens(text, bos=True), [yes])
        logp = _log_softmax(self._logits(head + [yes], len(head)))[0]
        return float(logp[yes] - logp[no])


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))


_bundled: dict[int, QueryLikelihood] = {}
_bundled_lock = threading.Lock()


def bundled_path() -> Path:
    from frontdesk.models import bundled_gguf

    return bundled_gguf("smollm2")


def bundled(n_threads: int = 1) -> QueryLikelihood:
    """The scorer on the bundled SmolLM2 (one instance per process and thread count)."""
    with _bundled_lock:
        if n_threads not in _bundled:
            _bundled[n_threads] = QueryLikelihood(bundled_path(), n_threads=n_threads)
        return _bundled[n_threads]


def supports(spec: Any) -> bool:
    """Whether a specialist's model spec can be scored this way: only in-process llama.cpp
    models expose per-token log-probabilities here (`ollama:`/`openai:` do not)."""
    return str(spec).startswith("llamacpp:")
