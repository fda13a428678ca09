"""Opt-in re-ranking of a follow-up's candidates by query likelihood (FRONTDESK_FOLLOWUP_RERANK).

A sentence that answers a question tends to make that question likely: the mean log-probability
of the question's tokens after "Passage: <sentence> ... Question:" is higher for it than for a
sentence about something else (unsupervised passage re-ranking, UPR; Sachan et al. 2022). With
the thread's previous question and answer in the prompt as well (`ql_ctx`), the specialist's own
llama.cpp model reads the follow-up against each of the selector's best few sentences; a small
logistic model (weights fitted on QuAC dev, followup_rerank.json) combines those scores with the
selector's own and reorders them. It only reorders candidates the selector already had: the
answerability gate, the evidence taken from the top and the verification after it are unchanged.

llama.cpp returns per-token logits only for a context made with `logits_all=True`, which the
chat instance (models._SharedLlama) is not, so the scorer loads its own instance of the same GGUF
file (about 100 MB more for SmolLM2-135M) and serialises its calls with its own lock. `ollama:`
and `openai:` models expose no per-token log-probabilities here: their follow-ups keep the
selector's order (one log line per process and model spec). Measured in BENCHMARKS.md "QuAC
follow-ups: SmolLM2 re-ranking, opt-in (session 9)": with SmolLM2-135M the chosen sentence gains
+0.026 F1 on dev follow-ups, the evidence answered from does not, and a follow-up takes seconds
longer, hence off by default.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INSTRUCTION = "Please write a question about this passage."
WEIGHTS_FILE = Path(__file__).with_name("followup_rerank.json")


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


def conversation(previous_question: str, previous_answer: str | None) -> str:
    """The `ql_ctx` context: the thread's previous question and answer (the answer is left out
    when the last turn declined)."""
    text = f"Previous question: {previous_question}"
    return f"{text}\nPrevious answer: {previous_answer}" if previous_answer else text


class QueryLikelihood:
    """log p(question | prompt) on a llama.cpp model with per-token logits."""

    def __init__(self, path: str | Path, n_threads: int = 1, n_ctx: int = 1024) -> None:
        from llama_cpp import Llama

        from frontdesk.models import close_at_exit

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
        close_at_exit(self.llm, self.lock)
        self._last: list[int] = []

    def _tokens(self, text: str, bos: bool) -> list[int]:
        return list(self.llm.tokenize(text.encode(), add_bos=bos, special=False))

    def _logits(self, tokens: list[int], first: int) -> np.ndarray:
        """Logits predicting tokens[first:], reusing the evaluated prefix shared with the last
        call (the `Passage: <sentence>` part of consecutive prompts about the same sentence)."""
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


def supports(spec: Any) -> bool:
    """Whether a specialist's model spec can be scored this way: only in-process llama.cpp
    models expose per-token log-probabilities here (`ollama:`/`openai:` do not)."""
    return str(spec).startswith("llamacpp:")


_scorers: dict[tuple[str, int], QueryLikelihood] = {}
_scorers_lock = threading.Lock()


def scorer(spec: str, n_threads: int | None = None) -> QueryLikelihood:
    """The scorer on a `llamacpp:` spec's GGUF file (one instance per process, file and thread
    count; as many threads as the chat instance by default)."""
    from frontdesk.models import parse_spec, resolve_gguf

    path = str(resolve_gguf(parse_spec(spec).name))
    threads = n_threads or os.cpu_count() or 2
    with _scorers_lock:
        if (path, threads) not in _scorers:
            _scorers[(path, threads)] = QueryLikelihood(path, n_threads=threads)
        return _scorers[(path, threads)]


# --- the re-ranker ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """Which scores a re-ranker uses: `ql` of the top `n` candidates (if `ql`), `ql_ctx` of the
    top `n_ctx`."""

    n: int
    ql: bool
    n_ctx: int

    @property
    def scores(self) -> int:
        return (self.n if self.ql else 0) + self.n_ctx


def features(base: np.ndarray, ql: np.ndarray | None, ctx: np.ndarray | None) -> np.ndarray:
    """One row per candidate (the selector's top n, best first): the selector's logit, its gap
    to the best, the rank; then, when given, the query likelihood and its gap to the best and
    whether it is the best; then the same for the conversation's score. `ctx` may cover fewer
    candidates than `base` (the rest get their `ql` shifted by the mean context effect)."""
    rank = -np.arange(len(base), dtype=float)
    cols = [base, base - base.max(), rank]
    if ql is not None:
        cols += [ql, ql - ql.max(), (ql == ql.max()).astype(float)]
    if ctx is not None:
        c = ctx
        if len(ctx) < len(base):
            if ql is None:
                raise ValueError("conversation scores for fewer candidates need `ql` for the rest")
            c = ql.copy()
            c[: len(ctx)] = ctx
            c[len(ctx) :] += float(np.mean(ctx - ql[: len(ctx)]))
        cols += [c - c.max(), (c == c.max()).astype(float)]
    return np.stack(cols, axis=1)


@dataclass(frozen=True)
class Weights:
    form: Form
    coef: np.ndarray
    intercept: float

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Weights:
        data = json.loads(path.read_text())
        form = Form(int(data["n"]), bool(data["ql"]), int(data["n_ctx"]))
        return cls(form, np.array(data["coef"], dtype=float), float(data["intercept"]))


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    return Weights.load()


def order(
    weights: Weights, base: np.ndarray, ql: np.ndarray | None, ctx: np.ndarray | None
) -> list[int]:
    """The candidates' new order (indices into base), best first, by the fitted logistic score;
    ties keep the selector's order."""
    z = features(base, ql, ctx) @ weights.coef + weights.intercept
    return sorted(range(len(base)), key=lambda i: (-z[i], i))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def previous_question(history: list[Any]) -> str | None:
    """The thread's last question (graph.consult passes the last turn's messages)."""
    for message in reversed(history):
        if getattr(message, "type", "") == "human":
            return str(message.content)
    return None


_skipped: set[str] = set()


def rerank(
    spec: str,
    question: str,
    selection: Any,
    previous_question: str | None,
    previous_answer: str | None,
    weights: Weights | None = None,
    scorer_for: Any = scorer,
) -> Any:
    """`selection` (answering.Selection) with its top candidates reordered by the fitted
    query-likelihood re-ranker, for a follow-up (a thread with a previous question) answered by
    a `llamacpp:` model; otherwise, or when the selection declines anyway, as it was."""
    if not previous_question or not selection.covered or len(selection.ranked) < 2:
        return selection
    if not supports(spec):
        if spec not in _skipped:
            _skipped.add(spec)
            log.info(
                "follow-up re-ranking skipped for %s: only llamacpp: models give token "
                "log-probabilities (FRONTDESK_FOLLOWUP_RERANK)",
                spec,
            )
        return selection
    weights = weights or default_weights()
    form = weights.form
    top = selection.ranked[: form.n]
    model = scorer_for(spec)
    context = conversation(previous_question, previous_answer)
    ql = ctx = None
    # sentence-major: each sentence's `Passage: <s>` prefix is evaluated once for both scores
    ql_list, ctx_list = [], []
    for j, c in enumerate(top):
        if form.ql:
            ql_list.append(model.score(question, c.sentence).mean)
        if j < form.n_ctx:
            ctx_list.append(model.score(question, c.sentence, context).mean)
    if form.ql:
        ql = np.array(ql_list)
    if form.n_ctx:
        ctx = np.array(ctx_list)
    base = np.array([_logit(c.score) for c in top])
    new = [top[i] for i in order(weights, base, ql, ctx)]
    return replace(selection, ranked=new + list(selection.ranked[form.n :]))
