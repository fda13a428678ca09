"""The hybrid router: embeddings on the fast path, the coordinator LLM only when unsure.

Per plugin, a question is compared with what the plugin already has: its examples and topics
(nearest neighbours), its description, and its knowledge (the best chunk in its store). That
similarity is the plugin's score, and thresholds on it decide whether a plugin fits at all.
Which plugin ranks first can also use a small learned model (fitted by `frontdesk calibrate`
from the same examples): measured on CLINC150 it chooses better than neighbours alone.
Questions that join several requests ("…, and …?") are also scored part by part, so a
question spanning two domains reaches both.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk import query_vectors, routing_parts
from frontdesk.embeddings import Embedder
from frontdesk.errors import BackendError
from frontdesk.plugins import Plugin
from frontdesk.routing_generic import GenericAnchors
from frontdesk.routing_index import NEIGHBOURS

log = logging.getLogger("frontdesk.router")

KnowledgeScorer = Callable[[str, np.ndarray], "float | None"]  # (plugin, vector) -> best chunk
LLMChooser = Callable[[str, list[Plugin]], "list[str] | None"]
SHARPNESS = 30.0  # turns similarities into a distribution comparable with the model's


def combine(parts: list[float]) -> float:  # the per-plugin form of RoutingIndex's sum
    """One score from several similarities: the strongest decides, agreement nudges it up."""
    best = max(parts)
    return best + 0.1 * (sum(parts) / len(parts) - best)


@dataclass
class Thresholds:
    """Score cut-offs: >= accept is confident, < reject means the plugin does not fit."""

    accept: float = 0.50
    reject: float = 0.34
    multi_margin: float = 0.06  # a second plugin this close to the best is consulted too


@dataclass
class RoutingModel:
    """A one-hidden-layer network over question embeddings, one output per plugin."""

    classes: list[str]
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def probabilities(self, vec: np.ndarray) -> np.ndarray:
        hidden = np.maximum(vec @ self.w1 + self.b1, 0.0)
        logits = hidden @ self.w2 + self.b2
        z = np.exp(logits - logits.max())
        return np.asarray(z / z.sum())


@dataclass
class PluginScore:
    name: str
    score: float  # similarity: what the thresholds apply to
    rank: float = 0.0  # what orders the plugins (similarity, or blended with the model)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": round(self.score, 4)}


@dataclass
class Route:
    plugins: list[PluginScore]
    mode: str  # specialist | multi | coordinator (escalated is decided after consulting)
    reason: str
    scores: list[PluginScore] = field(default_factory=list)  # every plugin, best first
    llm_used: bool = False
    seconds: float = 0.0
    parts: list[dict[str, str]] = field(default_factory=list)  # [{part, plugin}] per segment

    def as_dict(self) -> dict[str, Any]:
        return {
            "plugins": [p.as_dict() for p in self.plugins],
            "mode": self.mode,
            "reason": self.reason,
            "scores": [p.as_dict() for p in self.scores],
            "llm_used": self.llm_used,
            "seconds": round(self.seconds, 4),
            "parts": list(self.parts),
        }


_SPLIT = re.compile(
    r"(?<=[?.!;])\s+|,?\s+\b(?:and also|and then|and|also|plus|then)\b\s+", re.IGNORECASE
)


def segments(question: str) -> list[str]:
    """The parts of a compound question (each with at least three words)."""
    parts = [p.strip(" ,;") for p in _SPLIT.split(question) if p and p.strip(" ,;")]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else []


@dataclass
class _Profile:
    plugin: Plugin
    description: np.ndarray
    anchors: np.ndarray  # examples and topics, (n, d); may be empty
    thresholds: Thresholds


class Router:
    """Chooses plugins for a question. Build once; `route()` is cheap."""

    def __init__(
        self,
        plugins: list[Plugin],
        embedder: Embedder,
        knowledge: KnowledgeScorer | None = None,
        thresholds: dict[str, Thresholds] | None = None,
        default: Thresholds | None = None,
        model: RoutingModel | None = None,
        summaries: dict[str, np.ndarray] | None = None,
        labels: Sequence[tuple[str, str | None]] = (),
        cache: Path | None = None,
        generic: GenericAnchors | None = None,
        lexical: float = 0.0,
    ) -> None:
        """`summaries` (knowledge centroids per plugin) replace the per-plugin `knowledge`
        queries; `labels` (question, plugin or None) from corrections become anchors; `cache`
        is the file where anchor embeddings are kept between start-ups; `generic` (everyday
        questions, routing_generic.py) lowers the scores of questions close to them; `lexical` > 0
        adds that weight times the character n-gram similarity to each plugin's anchor texts
        (routing_lexical.py; the automatic fit turns it on)."""
        from threadpoolctl import threadpool_limits

        from frontdesk.routing_index import AnchorCache, RoutingIndex, description_phrases

        # numpy's BLAS threads spin after each product and steal both cores from the
        # embedding model's next pass: measured with 15k anchors on 2 cores, p95 routing went
        # from 120 ms to 17 ms with BLAS on one thread. Our products are small; one is enough.
        threadpool_limits(1, "blas")
        self.embedder = embedder
        self.generic = generic
        self.knowledge = knowledge if summaries is None else None
        self.default = default or Thresholds()
        names = [p.name for p in plugins]
        # A model fitted for another set of plugins would rank the wrong things.
        self.model = model if model is not None and model.classes == names else None
        thresholds = thresholds or {}
        extra: dict[str, list[str]] = {n: [] for n in names}
        vetoes: list[str] = []
        for text, name in labels:
            if name is None:
                vetoes.append(text)
            elif name in extra:
                extra[name].append(text)
        texts: list[str] = []
        per_plugin: list[list[str]] = []
        for p in plugins:
            own = list(p.anchors) + description_phrases(p.description) + extra[p.name]
            per_plugin.append(own)
            texts.append(p.description)
            texts.extend(own)
        embed = AnchorCache(embedder, cache).embed
        vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        self._vetoes = embed(vetoes) if vetoes else None
        self.profiles: list[_Profile] = []
        i = 0
        for p, own in zip(plugins, per_plugin, strict=True):
            n = len(own)
            self.profiles.append(
                _Profile(
                    p, vectors[i], vectors[i + 1 : i + 1 + n], thresholds.get(p.name, self.default)
                )
            )
            i += 1 + n
        dims = vectors.shape[1] if len(vectors) else 1
        self._descriptions = np.array([p.description for p in self.profiles]).reshape(-1, dims)
        counts = [len(p.anchors) for p in self.profiles]
        self._anchors = (
            np.vstack([p.anchors for p in self.profiles if len(p.anchors)])
            if sum(counts)
            else np.zeros((0, dims), dtype=np.float32)
        )
        ends = np.cumsum(counts).tolist()
        self._bounds = [(end - n, end) for end, n in zip(ends, counts, strict=True)]
        owner = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
        known = [(j, summaries[n]) for j, n in enumerate(names) if summaries and n in summaries]
        known = [(j, v) for j, v in known if len(v) and v.shape[1] == dims]
        # One index for all plugins: a question costs one product per matrix, not one per plugin.
        self.index = RoutingIndex(
            self._descriptions,
            self._anchors,
            owner,
            np.vstack([v for _, v in known]) if known else None,
            np.concatenate([np.full(len(v), j) for j, v in known]) if known else None,
        )
        self.lexical = None
        if lexical > 0 and plugins:
            from frontdesk.routing_lexical import LexicalIndex

            anchor_texts = [t for own in per_plugin for t in own]
            descriptions = [p.description for p in plugins]
            folder = cache.parent if cache is not None else None
            self.lexical = LexicalIndex(anchor_texts, owner, descriptions, lexical, folder)

    # --- scoring -------------------------------------------------------------------------

    def similarities(self, vec: np.ndarray, exclude: int | None = None) -> np.ndarray:
        """Each plugin's similarity to one embedded question (what thresholds apply to).

        `exclude` leaves one anchor row out (calibration scores examples leave-one-out).
        """
        out = self.index.similarities(vec, None if exclude is None else np.array([exclude]))[0]
        if self.knowledge is not None:  # the per-plugin store queries of a router without summaries
            for i, profile in enumerate(self.profiles):
                kn = self.knowledge(profile.plugin.name, vec)
                if kn is not None:
                    out[i] = self._with_knowledge(vec, i, exclude, kn)
        return out - self.shift(vec)[0]

    def boost(self, texts: Sequence[str], exclude: np.ndarray | None = None) -> np.ndarray:
        """(texts, plugins): what the lexical signal adds to each plugin's similarity."""
        if self.lexical is None:
            return np.zeros((len(texts), len(self.profiles)), dtype=np.float32)
        return self.lexical.boost(texts, exclude)

    def shift(self, vecs: np.ndarray) -> np.ndarray:
        """Per question, what closeness to everyday questions takes off every plugin's score."""
        n = len(np.atleast_2d(vecs))
        return np.zeros(n) if self.generic is None else self.generic.shift(vecs)

    def _with_knowledge(self, vec: np.ndarray, i: int, exclude: int | None, kn: float) -> float:
        lo, hi = self._bounds[i]
        parts = [float(self._descriptions[i] @ vec)]
        own = self._anchors[lo:hi] @ vec
        if exclude is not None and lo <= exclude < hi:
            own = np.delete(own, exclude - lo)
        if len(own):
            k = min(NEIGHBOURS, len(own))
            parts.append(float(np.partition(own, len(own) - k)[-k:].mean()))
        return combine([*parts, kn])

    def vetoed(self, vec: np.ndarray, best: float) -> bool:
        """A correction said "no plugin" for a question closer to this one than any plugin."""
        return self._vetoes is not None and float((self._vetoes @ vec).max()) > best

    def score_vector(self, vec: np.ndarray, boost: np.ndarray | None = None) -> list[PluginScore]:
        """Every plugin's score for one embedded question (plus its lexical `boost`), best
        first."""
        sims = self.similarities(vec)
        if boost is not None:
            sims = sims + boost
        rank = sims
        if self.model is not None:
            z = np.exp((sims - sims.max()) * SHARPNESS)
            rank = z / z.sum() + self.model.probabilities(vec)
        scores = [
            PluginScore(p.plugin.name, float(s), float(r))
            for p, s, r in zip(self.profiles, sims, rank, strict=True)
        ]
        return sorted(scores, key=lambda s: s.rank, reverse=True)

    def accepts(self, score: PluginScore) -> bool:
        """Is this score confident for its plugin (at or above its accept threshold)?"""
        return score.score >= self._thresholds(score.name).accept

    def _thresholds(self, name: str) -> Thresholds:
        for p in self.profiles:
            if p.plugin.name == name:
                return p.thresholds
        return self.default

    # --- deciding ------------------------------------------------------------------------

    def route(self, question: str, chooser: LLMChooser | None = None) -> Route:
        """Route one question; `chooser` (the coordinator LLM) is asked only when unsure."""
        started = time.perf_counter()
        if not self.profiles:
            return Route([], "coordinator", "no plugins are installed", seconds=0.0)
        parts = segments(question)
        if parts:
            vectors = self.embedder.embed([question, *parts])
        else:  # shared with retrieval and answer selection (query_vectors.py)
            vectors = query_vectors.embed_one(self.embedder, question)[None, :]
        boosts = self.boost([question, *parts])
        whole = self.score_vector(vectors[0], boosts[0])
        first = next(i for i, p in enumerate(self.profiles) if p.plugin.name == whole[0].name)
        plain = whole[0].score + float(self.shift(vectors[0])[0]) - float(boosts[0][first])
        if self.vetoed(vectors[0], plain):
            reason = "a correction says no plugin fits questions like this one"
            return Route([], "coordinator", reason, whole, seconds=time.perf_counter() - started)
        by_part = [self.score_vector(v, b) for v, b in zip(vectors[1:], boosts[1:], strict=True)]
        owners = routing_parts.owners(by_part, self._thresholds) if len(by_part) > 1 else []
        if owners:  # each part clearly another plugin's (routing_parts.py)
            both = " and ".join(p.name for p in owners)
            route = Route(owners, "multi", f"{both} each fit a part of the question")
        else:
            route = self._decide(question, whole, by_part, chooser)
        route.scores = whole
        names = {p.name for p in route.plugins}
        for part, scores in zip(parts, by_part, strict=True):
            # Each part goes to the best of the chosen plugins for it: per-part attribution.
            owner = next((s.name for s in scores if s.name in names), None)
            if owner is not None and len(names) > 1:
                route.parts.append({"part": part, "plugin": owner})
        route.seconds = time.perf_counter() - started
        return route

    def _confident(self, scores: list[PluginScore]) -> list[PluginScore]:
        best = scores[0]
        if best.score < self._thresholds(best.name).accept:
            return []
        chosen = [best]
        for other in scores[1:]:
            t = self._thresholds(other.name)
            if other.score >= t.accept and best.score - other.score <= t.multi_margin:
                chosen.append(other)
        return chosen

    def _decide(
        self,
        question: str,
        whole: list[PluginScore],
        by_part: list[list[PluginScore]],
        chooser: LLMChooser | None,
    ) -> Route:
        chosen = {s.name: s for s in self._confident(whole)}
        part_winners = []
        for scores in by_part:
            for s in self._confident(scores)[:1]:
                part_winners.append(s)
                if s.name not in chosen or chosen[s.name].score < s.score:
                    chosen[s.name] = s
        if chosen:
            picked = sorted(chosen.values(), key=lambda s: s.score, reverse=True)
            if len(picked) == 1:
                p = picked[0]
                return Route(picked, "specialist", f"{p.name} fits (score {p.score:.2f})")
            names = " and ".join(p.name for p in picked)
            how = "different parts of the question" if part_winners else "close scores"
            return Route(picked, "multi", f"{names} both fit ({how})")

        best = whole[0]
        if best.score < self._thresholds(best.name).reject:
            return Route(
                [], "coordinator", f"no plugin fits (best: {best.name} at {best.score:.2f})"
            )
        # The ambiguous band: only here may the coordinator LLM be asked.
        band = [s for s in whole if s.score >= self._thresholds(s.name).reject]
        if chooser is not None:
            try:
                named = chooser(question, [self._plugin(s.name) for s in band])
            except BackendError as exc:  # the coordinator's host is down: the scores decide
                why = str(exc).split(";")[0]
                log.warning("router LLM unreachable, routing by scores: %s", why)
                return Route(
                    [best],
                    "specialist",
                    f"{best.name} is the closest fit (score {best.score:.2f}; ambiguous, and the "
                    f"coordinator LLM could not be reached ({why}))",
                )
            if named is not None:
                picked = [s for s in band if s.name in named]
                if not picked:
                    return Route(
                        [], "coordinator", "coordinator LLM: no plugin fits", llm_used=True
                    )
                mode = "specialist" if len(picked) == 1 else "multi"
                listed = ", ".join(p.name for p in picked)
                return Route(picked, mode, f"coordinator LLM chose {listed}", llm_used=True)
            log.info("router LLM reply named no known plugin; routing by scores")
            return Route(
                [best],
                "specialist",
                f"{best.name} is the closest fit (score {best.score:.2f}; ambiguous, and the "
                "coordinator LLM's reply named no plugin)",
                llm_used=True,
            )
        return Route(
            [best],
            "specialist",
            f"{best.name} is the closest fit (score {best.score:.2f}; ambiguous, LLM not asked)",
        )

    def _plugin(self, name: str) -> Plugin:
        return next(p.plugin for p in self.profiles if p.plugin.name == name)


ROUTER_PROMPT = """You route questions to specialists. Specialists:
{catalog}
Question: {question}
Reply with the name of the specialist that should answer, or several names separated by commas,
or the word none if no specialist fits. Reply with names only."""


def make_llm_chooser(invoke: Callable[[str], str]) -> LLMChooser:
    """An LLMChooser over a function that sends a prompt to the coordinator and returns text."""

    def choose(question: str, candidates: list[Plugin]) -> list[str] | None:
        catalog = "\n".join(f"- {p.name}: {p.description}" for p in candidates)
        reply = invoke(ROUTER_PROMPT.format(catalog=catalog, question=question)).lower()
        named = [p.name for p in candidates if re.search(rf"\b{re.escape(p.name)}\b", reply)]
        if named:
            return named
        if re.search(r"\bnone\b", reply):
            return []
        return None  # the reply named nothing usable: fall back to the scores

    return choose
