"""Routing calibration: thresholds and a small routing model, fitted from data.

`frontdesk calibrate` fits, from the plugins' examples (and topics) and an optional labelled
JSONL file (`{"query": ..., "plugin": name or null}`):

- a routing model (one hidden layer over the question embedding) that ranks plugins;
- the `reject` threshold that keeps 95% of in-scope questions routed (per plugin when it has
  30 or more in-scope scores, else one for all), and `accept`, above which a route is
  confident without asking the coordinator LLM (the in-scope 25th percentile).

Without a labelled file, in-scope scores come from leave-one-out over the examples, and the
before/after accuracy from 5-fold cross-validation. Everything is saved through
shared_state: files under FRONTDESK_HOME, or Postgres with FRONTDESK_MEMORY_URL.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.embeddings import Embedder
from frontdesk.errors import InputError, MemoryUnavailable
from frontdesk.plugins import Plugin
from frontdesk.router import SHARPNESS, KnowledgeScorer, Router, RoutingModel, Thresholds
from frontdesk.shared_state import FileState, SharedState

log = logging.getLogger(__name__)
FILE = "calibration.json"
MODEL_FILE = "router-model.npz"
KEEP = 0.95
PER_PLUGIN_MIN = 200
MIN_FOR_THRESHOLDS = 50  # a 5% quantile of fewer scores is mostly noise


@dataclass
class Calibration:
    default: Thresholds
    plugins: dict[str, Thresholds] = field(default_factory=dict)
    model: RoutingModel | None = None
    report: dict[str, Any] = field(default_factory=dict)
    labels: list[tuple[str, str | None]] = field(default_factory=list)  # routing corrections

    def save(self, home: Path, state: SharedState | None = None) -> str:
        """Write the calibration (and routing model) to `state` (files under `home` by
        default); returns where it went."""
        state = state or FileState(home)
        if self.model is not None:
            m = self.model
            buf = io.BytesIO()
            np.savez(buf, classes=np.array(m.classes), w1=m.w1, b1=m.b1, w2=m.w2, b2=m.b2)
            state.put(MODEL_FILE, buf.getvalue())
        else:
            state.delete(MODEL_FILE)
        data = {
            "default": asdict(self.default),
            "plugins": {k: asdict(v) for k, v in self.plugins.items()},
            "report": self.report,
            "labels": [list(pair) for pair in self.labels],
        }
        state.put(FILE, json.dumps(data, indent=2).encode())  # never half-written
        return str(home / FILE) if isinstance(state, FileState) else f"{state.where}: {FILE}"


def load_calibration(home: Path, state: SharedState | None = None) -> Calibration | None:
    """The saved calibration from `state` (files under `home` by default), or None."""
    state = state or FileState(home)
    try:
        raw, blob = state.get(FILE), state.get(MODEL_FILE)
    except MemoryUnavailable as exc:  # Postgres down: route uncalibrated rather than not at all
        log.warning("calibration not loaded (%s); default thresholds until the next reload", exc)
        return None
    if raw is None:
        return None
    data = json.loads(raw)
    model = None
    if blob is not None:
        with np.load(io.BytesIO(blob)) as z:
            model = RoutingModel([str(c) for c in z["classes"]], z["w1"], z["b1"], z["w2"], z["b2"])
    return Calibration(
        default=Thresholds(**data["default"]),
        plugins={k: Thresholds(**v) for k, v in data.get("plugins", {}).items()},
        model=model,
        report=data.get("report", {}),
        labels=[(str(q), None if n is None else str(n)) for q, n in data.get("labels", [])],
    )


# --- fitting -----------------------------------------------------------------------------


def fit_model(
    vectors: np.ndarray, labels: np.ndarray, classes: list[str], seed: int = 0
) -> RoutingModel:
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300, random_state=seed)
    mlp.fit(vectors, labels)
    # MLPClassifier orders its outputs by sorted label; labels are class indices, so re-expand
    # to every class (a class with no samples gets no weight).
    w2 = np.zeros((mlp.coefs_[1].shape[0], len(classes)), dtype=np.float32)
    b2 = np.full(len(classes), -1e4, dtype=np.float32)
    out = mlp.coefs_[1] if len(mlp.classes_) > 2 else np.hstack([-mlp.coefs_[1], mlp.coefs_[1]]) / 2
    bias = (
        mlp.intercepts_[1] if len(mlp.classes_) > 2 else np.array([-1, 1]) * mlp.intercepts_[1] / 2
    )
    for j, c in enumerate(mlp.classes_):
        w2[:, int(c)] = out[:, j]
        b2[int(c)] = bias[j]
    return RoutingModel(
        classes, mlp.coefs_[0].astype(np.float32), mlp.intercepts_[0].astype(np.float32), w2, b2
    )


class _Scorer:
    """The router's own similarities over many questions (leave-one-out when asked)."""

    def __init__(
        self, plugins: list[Plugin], embedder: Embedder, knowledge: KnowledgeScorer | None = None
    ) -> None:
        self.router = Router(plugins, embedder, knowledge=knowledge)
        self.desc = np.asarray(self.router._descriptions)
        self.anchor_vecs = np.asarray(self.router._anchors)
        # The router's anchors: examples first, then topics and description phrases.
        self.anchor_owner = np.repeat(
            np.arange(len(plugins)), [len(p.anchors) for p in self.router.profiles]
        )
        self.example_rows = [
            (i, lo + j)
            for i, (p, (lo, _)) in enumerate(zip(plugins, self.router._bounds, strict=True))
            for j in range(len(p.examples))
        ]

    def similarities(self, vecs: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        """(n, plugins) similarities; `exclude[i]` is an anchor row left out for question i."""
        return np.array(
            [
                self.router.similarities(v, None if exclude is None else int(exclude[q]))
                for q, v in enumerate(vecs)
            ]
        )


def _rank(sims: np.ndarray, model: RoutingModel | None, vecs: np.ndarray) -> np.ndarray:
    if model is None:
        return sims
    z = np.exp((sims - sims.max(1, keepdims=True)) * SHARPNESS)
    return z / z.sum(1, keepdims=True) + np.array([model.probabilities(v) for v in vecs])


def _figures(sims: np.ndarray, rank: np.ndarray, gold: np.ndarray, t: Thresholds) -> dict[str, Any]:
    inscope = gold >= 0
    best = rank.argmax(1)
    best_sim = sims[np.arange(len(sims)), best]
    routed = best_sim >= t.reject
    out: dict[str, Any] = {"questions": int(len(gold))}
    if inscope.any():
        out["top1_accuracy"] = round(float((best[inscope] == gold[inscope]).mean()), 4)
        out["in_scope_routed"] = round(float(routed[inscope].mean()), 4)
        out["in_scope_confident"] = round(float((best_sim[inscope] >= t.accept).mean()), 4)
    if (~inscope).any():
        out["out_of_scope_rejected"] = round(float((~routed[~inscope]).mean()), 4)
    return out


def thresholds_keeping(best: np.ndarray, keep: float) -> Thresholds:
    """Thresholds from in-scope questions' best scores: `keep` of them stay routed (reject),
    and the lowest quarter of them is asked to confirm (accept)."""
    return Thresholds(
        reject=round(float(np.quantile(best, 1 - keep)), 4),
        accept=round(float(np.quantile(best, 0.25)), 4),
    )


def fit(
    plugins: list[Plugin],
    embedder: Embedder,
    labelled: list[tuple[str, str | None]] | None = None,
    keep: float = KEEP,
    seed: int = 0,
    knowledge: KnowledgeScorer | None = None,
) -> Calibration:
    """Fit thresholds and the routing model; the report holds before/after figures."""
    if not plugins:
        raise InputError("no plugins to calibrate")
    names = [p.name for p in plugins]
    scorer = _Scorer(plugins, embedder, knowledge)
    train_y = np.concatenate([scorer.anchor_owner, np.arange(len(plugins))]).astype(int)
    train_vecs = (
        np.vstack([scorer.anchor_vecs, scorer.desc]) if len(scorer.anchor_vecs) else scorer.desc
    )

    if labelled:
        unknown = sorted({n for _, n in labelled if n is not None and n not in names})
        if unknown:
            raise InputError(f"labelled file names unknown plugins: {', '.join(unknown)}")
        vecs = embedder.embed([q for q, _ in labelled])
        gold = np.array([names.index(n) if n else -1 for _, n in labelled])
        sims = scorer.similarities(vecs)
        model = fit_model(train_vecs, train_y, names, seed) if len(plugins) > 1 else None
        after_rank = _rank(sims, model, vecs)
        source = "labelled file"
    else:
        rows = scorer.example_rows
        if not rows:
            raise InputError("calibration needs examples in the plugins or a labelled file")
        vecs = scorer.anchor_vecs[[r for _, r in rows]]
        gold = np.array([i for i, _ in rows])
        sims = scorer.similarities(vecs, exclude=np.array([r for _, r in rows]))
        after_rank = _cross_validated_rank(
            sims, vecs, gold, scorer, train_vecs, train_y, names, seed
        )
        model = fit_model(train_vecs, train_y, names, seed) if len(plugins) > 1 else None
        source = "examples (leave-one-out; model accuracy by 5-fold cross-validation)"

    inscope = gold >= 0
    best = after_rank.argmax(1)
    best_sim = sims[np.arange(len(sims)), best]
    kept = best_sim[inscope]
    notes = []
    if len(kept) >= MIN_FOR_THRESHOLDS:
        default = thresholds_keeping(kept, keep)
    else:
        default = Thresholds()
        notes.append(
            f"too few in-scope questions ({len(kept)} < {MIN_FOR_THRESHOLDS}) to fit thresholds: "
            "defaults kept; add examples or pass --labels"
        )
    per_plugin: dict[str, Thresholds] = {}
    for i, name in enumerate(names):
        own = best_sim[inscope & (gold == i)]
        if len(own) >= PER_PLUGIN_MIN:
            per_plugin[name] = Thresholds(
                reject=round(float(np.quantile(own, 1 - keep)), 4),
                accept=round(float(np.quantile(own, 0.25)), 4),
            )
    before = _figures(sims, sims, gold, Thresholds())
    after = _figures(sims, after_rank, gold, default)
    report: dict[str, Any] = {
        "measured_on": source,
        "before": before,
        "after": after,
        "thresholds": asdict(default),
        "per_plugin": sorted(per_plugin),
        "lines": [
            f"calibrated {len(plugins)} plugins on {before['questions']} questions ({source})",
            f"before: {_line(before)}  (default thresholds, no routing model)",
            f"after:  {_line(after)}  (reject < {default.reject:.3f}, confident >= {default.accept:.3f})",
            *notes,
        ],
    }
    return Calibration(default, per_plugin, model, report)


def _line(fig: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("top1_accuracy", "top-1"),
        ("in_scope_routed", "in-scope routed"),
        ("out_of_scope_rejected", "out-of-scope rejected"),
    ):
        if key in fig:
            parts.append(f"{label} {fig[key]:.1%}")
    return ", ".join(parts)


def _cross_validated_rank(
    sims: np.ndarray,
    vecs: np.ndarray,
    gold: np.ndarray,
    scorer: _Scorer,
    train_vecs: np.ndarray,
    train_y: np.ndarray,
    names: list[str],
    seed: int,
) -> np.ndarray:
    """Each example ranked by a model that did not see it (5 folds)."""
    if len(names) < 2:
        return sims
    n_examples = len(gold)
    rows = np.array([r for _, r in scorer.example_rows])
    folds = np.random.default_rng(seed).permutation(n_examples) % 5
    ranks = np.zeros_like(sims)
    for f in range(5):
        held = folds == f
        if not held.any():
            continue
        mask = np.ones(len(train_y), dtype=bool)
        mask[rows[held]] = False
        model = fit_model(train_vecs[mask], train_y[mask], names, seed)
        ranks[held] = _rank(sims[held], model, vecs[held])
    return ranks


def read_labels(path: Path) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out.append((str(item["query"]), item.get("plugin")))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(
                f'{path}:{n}: expected {{"query": "...", "plugin": "name" or null}}'
            ) from None
    return out


def calibrate(engine: Any, names: list[str] | None, labels: Path | None) -> Calibration:
    """`frontdesk calibrate`: fit, save under FRONTDESK_HOME, and rebuild the router."""
    for name in names or []:
        engine.plugin_set.get(name)  # unknown names fail here, with the known ones listed
    # The routing model ranks all plugins together, so it is always fitted on all of them;
    # naming plugins limits which per-plugin thresholds are replaced.
    result = fit(
        list(engine.plugins.values()),
        engine.embedder,
        read_labels(labels) if labels else None,
        knowledge=engine.store.best_score,
    )
    if names:
        previous = load_calibration(engine.settings.home, engine.state)
        kept = {k: v for k, v in (previous.plugins if previous else {}).items() if k not in names}
        result.plugins = {**kept, **{k: v for k, v in result.plugins.items() if k in names}}
    path = result.save(engine.settings.home, engine.state)
    result.report["lines"].append(f"saved to {path}")
    engine.__dict__.pop("router", None)
    return result
