"""Routing fitted without anyone running `calibrate`, overlap reports, and corrections.

When the router is built and no calibration fits the installed plugins (none saved, or an
automatic one made for other plugins, examples or knowledge), thresholds and the routing model
are fitted from the plugins' own material and saved:

- anchors: examples, topics, the phrases a description lists, knowledge summaries and routing
  labels (corrections); the similarity ranking needs no training (the learned routing model of
  `calibrate` is optional here, see auto_fit);
- everyday questions shipped with frontdesk (routing_generic.py) stand for "no plugin": those
  near a plugin are dropped, and a question's closeness to the rest lowers its scores;
- the character n-gram similarity of a question to each plugin's anchor texts is added to the
  embedding similarity (routing_lexical.py);
- `reject`, with everyday questions, sits between their mean score and the mean of the
  examples scored leave-one-out (its own anchor left out), keeping 90-99% of the examples
  (routing_generic.threshold); without them it keeps 96% of the examples: chosen on CLINC150
  `val` (see BENCHMARKS.md), never on `test`;
- examples whose leave-one-out best plugin is another plugin are the overlap report: which
  plugins confuse each other, on which examples.

`refit(...)` adds routing labels (question, plugin or None) with safeguards: at least
MIN_LABELS of them, and a held-out check — the labels are split, a router fitted on one part
must route the other part (and the plugins' own examples) no worse than the router without
labels, or the refit is not kept.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk import routing_generic, routing_lexical
from frontdesk.calibration import Calibration, fit_model, load_calibration, thresholds_keeping
from frontdesk.embeddings import Embedder
from frontdesk.plugins import Plugin
from frontdesk.router import SHARPNESS, Router, Thresholds
from frontdesk.routing_generic import GenericAnchors

AUTO_KEEP = 0.96  # share of leave-one-out examples kept routed (chosen on CLINC150 val)
MIN_GENERIC = 20  # fewer everyday questions left after dropping: none used
FIT_VERSION = "5"  # an automatic fit made by older code is made again
MIN_AUTO = 20  # fewer in-scope scores than this: default thresholds
MIN_LABELS = 10
HELD_OUT = 0.3
EXAMPLE_SLACK = 0.01  # a refit may cost this much leave-one-out example accuracy, no more
Labels = Sequence[tuple[str, str | None]]


def fingerprint(
    plugins: list[Plugin], summaries: dict[str, np.ndarray], labels: Labels = ()
) -> str:
    """What an automatic fit was made from: plugins' routing material, knowledge, labels."""
    h = hashlib.sha1(f"{FIT_VERSION} {routing_generic.file_hash()}".encode())
    for p in plugins:
        h.update(json.dumps([p.name, p.description, list(p.anchors)]).encode())
        if p.name in summaries:
            h.update(np.ascontiguousarray(summaries[p.name], dtype=np.float32).tobytes()[:4096])
            h.update(str(summaries[p.name].shape).encode())
    h.update(json.dumps([list(x) for x in labels]).encode())
    return h.hexdigest()[:20]


def _leave_one_out(router: Router, plugins: list[Plugin]) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, gold) for every example scored with its own anchor left out."""
    rows = [
        lo + j
        for p, (lo, _) in zip(plugins, router._bounds, strict=True)
        for j in range(len(p.examples))
    ]
    gold = np.array([i for i, p in enumerate(plugins) for _ in p.examples], dtype=int)
    if not rows:
        return np.zeros((0, len(plugins))), gold
    vecs = router._anchors[rows]
    texts = [e for p in plugins for e in p.examples]
    exclude = np.array(rows)
    return router.index.similarities(vecs, exclude) + router.boost(texts, exclude), gold


def auto_fit(
    plugins: list[Plugin],
    embedder: Embedder,
    summaries: dict[str, np.ndarray] | None = None,
    labels: Labels = (),
    cache: Path | None = None,
    seed: int = 0,
    with_model: bool = False,
) -> Calibration:
    """Thresholds and overlap report from the plugins' own material (and the routing model
    with `with_model`: on CLINC150 val it moved top-1 by under a point either way, and fitting
    it costs seconds at start-up, so the automatic fit leaves it to `calibrate`)."""
    summaries = summaries or {}
    names = [p.name for p in plugins]
    router = Router(
        plugins,
        embedder,
        summaries=summaries,
        labels=labels,
        cache=cache,
        lexical=routing_lexical.WEIGHT,
    )
    sims, gold = _leave_one_out(router, plugins)
    best = sims.max(1) if len(sims) else np.zeros(0)
    notes: list[str] = []
    generic: dict[str, Any] | None = None
    if len(best) >= MIN_AUTO:
        default = thresholds_keeping(best, AUTO_KEEP)
        fitted = _fit_generic(router, plugins, best, cache)
        if fitted is not None:
            default, generic = fitted
            notes.append(
                f"everyday questions: {len(generic['kept'])} of {generic['of']} kept as "
                "out-of-scope anchors (the rest are near a plugin)"
            )
    else:
        default = Thresholds()  # made for plain similarities: the lexical signal stays off
        notes.append(
            f"{len(best)} examples in all (< {MIN_AUTO}): default thresholds kept; "
            "add examples to the plugins"
        )
    model = None
    if with_model and len(plugins) > 1:
        xs = [router._anchors, router._descriptions]
        ys = [np.repeat(np.arange(len(plugins)), [len(p.anchors) for p in router.profiles])]
        ys.append(np.arange(len(plugins)))
        for i, name in enumerate(names):
            vecs = summaries.get(name)
            if vecs is not None and len(vecs) and vecs.shape[1] == router._anchors.shape[1]:
                xs.append(vecs)
                ys.append(np.full(len(vecs), i))
        model = fit_model(np.vstack(xs), np.concatenate(ys), names, seed)
    overlaps = overlap_report(plugins, sims, gold)
    loo = float((sims.argmax(1) == gold).mean()) if len(gold) else None
    report: dict[str, Any] = {
        "auto": True,
        "fingerprint": fingerprint(plugins, summaries, labels),
        "measured_on": "examples (leave-one-out)",
        "examples_top1": None if loo is None else round(loo, 4),
        "thresholds": asdict(default),
        "labels": len(labels),
        "overlaps": overlaps,
        "generic": generic,
        "lexical": routing_lexical.WEIGHT if len(best) >= MIN_AUTO else 0.0,
        "lines": [
            f"fitted routing for {len(plugins)} plugins from {len(gold)} examples"
            + (f" and {len(labels)} routing labels" if labels else "")
            + (f"; leave-one-out top-1 {loo:.1%}" if loo is not None else ""),
            f"reject < {default.reject:.3f}, confident >= {default.accept:.3f}",
            *notes,
            *format_overlaps(overlaps),
        ],
    }
    return Calibration(default, {}, model, report, list(labels))


def _fit_generic(
    router: Router, plugins: list[Plugin], best: np.ndarray, cache: Path | None
) -> tuple[Thresholds, dict[str, Any]] | None:
    """Thresholds on scores lowered by closeness to the kept everyday questions, and what to
    record of them; None when too few everyday questions are far enough from every plugin."""
    from frontdesk.routing_index import AnchorCache

    texts = routing_generic.questions()
    vecs = routing_generic.vectors(router.embedder, AnchorCache(router.embedder, cache).embed)
    if vecs.shape[1] != router._anchors.shape[1] or not len(router._anchors):
        return None
    examples, owned = [], []
    for i, (p, (lo, _)) in enumerate(zip(plugins, router._bounds, strict=True)):
        examples.append(router._anchors[lo : lo + len(p.examples)])
        owned.append(routing_generic.plugin_rows(router, i))
    keep = routing_generic.kept(vecs, examples, owned)
    if keep.sum() < MIN_GENERIC:
        return None
    generic = GenericAnchors(vecs[keep])
    rows = [
        lo + j
        for p, (lo, _) in zip(plugins, router._bounds, strict=True)
        for j in range(len(p.examples))
    ]
    ex_vecs = router._anchors[rows]
    lowered = best - generic.weight * generic.closeness(ex_vecs)
    kept_texts = [texts[i] for i in np.flatnonzero(keep)]
    everyday = (router.index.similarities(vecs[keep]) + router.boost(kept_texts)).max(1)
    reject = routing_generic.threshold(lowered, everyday - generic.weight * generic.own_closeness())
    # A question scoring above nearly all everyday questions is let through however close it
    # is to them: the shift is capped so that such a score still reaches `reject`.
    generic.cap = float(np.quantile(everyday, routing_generic.GENERIC_KEEP)) - reject
    if generic.cap <= 0:  # everyday questions score too low to matter: the plain fit applies
        return None
    adjusted = best - generic.shift(ex_vecs)
    thresholds = Thresholds(
        reject=round(reject, 4), accept=round(float(np.quantile(adjusted, 0.25)), 4)
    )
    info = {
        "file": routing_generic.file_hash(),
        "of": len(texts),
        "kept": np.flatnonzero(keep).tolist(),
        "weight": generic.weight,
        "cap": round(generic.cap, 4),
    }
    return thresholds, info


def overlap_report(
    plugins: list[Plugin], sims: np.ndarray, gold: np.ndarray, limit: int = 3
) -> list[dict[str, Any]]:
    """Pairs of plugins whose examples are routed to each other, worst first."""
    if len(gold) == 0 or len(plugins) < 2:
        return []
    pred = sims.argmax(1)
    examples = [e for p in plugins for e in p.examples]
    pairs: dict[tuple[int, int], list[str]] = {}
    for i in np.flatnonzero(pred != gold):
        pairs.setdefault((int(gold[i]), int(pred[i])), []).append(examples[i])
    out = []
    for (g, p), texts in sorted(pairs.items(), key=lambda kv: -len(kv[1])):
        total = len(plugins[g].examples)
        out.append(
            {
                "plugin": plugins[g].name,
                "confused_with": plugins[p].name,
                "examples": len(texts),
                "of": total,
                "sample": texts[:limit],
            }
        )
    return out


def format_overlaps(overlaps: list[dict[str, Any]], most: int = 10) -> list[str]:
    lines = []
    for o in overlaps[:most]:
        sample = "; ".join(f'"{t}"' for t in o["sample"])
        lines.append(
            f"overlap: {o['examples']} of {o['of']} examples of '{o['plugin']}' route to "
            f"'{o['confused_with']}' (e.g. {sample})"
        )
    if len(overlaps) > most:
        lines.append(f"overlap: {len(overlaps) - most} more pairs (see --json)")
    return lines


def decisions(router: Router, vecs: np.ndarray, texts: Sequence[str]) -> list[str | None]:
    """Where each question (`texts`, embedded as `vecs`) goes on the fast path: a plugin name,
    or None."""
    if not router.profiles or not len(vecs):
        return [None] * len(vecs)
    raw = router.index.similarities(vecs)
    sims = raw - router.shift(vecs)[:, None]
    sims = sims + router.boost(texts)
    rank = sims
    if router.model is not None:
        z = np.exp((sims - sims.max(1, keepdims=True)) * SHARPNESS)
        probs = np.array([router.model.probabilities(v) for v in vecs])
        rank = z / z.sum(1, keepdims=True) + probs
    top = rank.argmax(1)
    out: list[str | None] = []
    for q, i in enumerate(top):
        profile = router.profiles[int(i)]
        score = float(sims[q, i])
        if score < profile.thresholds.reject or router.vetoed(vecs[q], float(raw[q, i])):
            out.append(None)
        else:
            out.append(profile.plugin.name)
    return out


def build(
    plugins: list[Plugin],
    embedder: Embedder,
    calib: Calibration,
    summaries: dict[str, np.ndarray],
    cache: Path | None = None,
) -> Router:
    from frontdesk.routing_index import AnchorCache

    generic = None
    lexical = 0.0
    if calib.report.get("auto"):
        embed = AnchorCache(embedder, cache).embed
        generic = routing_generic.from_report(calib.report, embedder, embed)
        lexical = float(calib.report.get("lexical") or 0.0)
    return Router(
        plugins,
        embedder,
        thresholds=calib.plugins,
        default=calib.default,
        model=calib.model,
        summaries=summaries,
        labels=calib.labels,
        cache=cache,
        generic=generic,
        lexical=lexical,
    )


def _accuracy(
    router: Router, vecs: np.ndarray, gold: list[str | None], texts: Sequence[str]
) -> float:
    if not gold:
        return 1.0
    got = decisions(router, vecs, texts)
    return float(np.mean([g == p for g, p in zip(gold, got, strict=True)]))


def refit(
    plugins: list[Plugin],
    embedder: Embedder,
    labels: Labels,
    summaries: dict[str, np.ndarray] | None = None,
    cache: Path | None = None,
    seed: int = 0,
) -> tuple[Calibration | None, dict[str, Any]]:
    """Fit with routing labels, if the safeguards allow; (calibration or None, report)."""
    summaries = summaries or {}
    names = {p.name for p in plugins}
    latest: dict[str, str | None] = {}
    unknown = 0
    for question, name in labels:
        if name is not None and name not in names:
            unknown += 1  # a plugin since removed
            continue
        latest[question.strip()] = name  # the last word on a question wins
    usable = [(q, n) for q, n in latest.items() if q]
    report: dict[str, Any] = {
        "kept": False,
        "labels": len(labels),
        "usable": len(usable),
        "unknown_plugin": unknown,
        "min_labels": MIN_LABELS,
    }
    if len(usable) < MIN_LABELS:
        report["reason"] = f"{len(usable)} usable labels; at least {MIN_LABELS} are needed"
        return None, report
    order = list(range(len(usable)))
    random.Random(seed).shuffle(order)
    n_held = max(1, round(HELD_OUT * len(usable)))
    held = [usable[i] for i in order[:n_held]]
    train = [usable[i] for i in order[n_held:]]
    held_vecs = embedder.embed([q for q, _ in held])
    held_gold = [n for _, n in held]
    held_texts = [q for q, _ in held]

    without = auto_fit(plugins, embedder, summaries, (), cache, seed)
    with_train = auto_fit(plugins, embedder, summaries, train, cache, seed)
    before = _accuracy(
        build(plugins, embedder, without, summaries, cache), held_vecs, held_gold, held_texts
    )
    after = _accuracy(
        build(plugins, embedder, with_train, summaries, cache), held_vecs, held_gold, held_texts
    )
    ex_before = without.report["examples_top1"] or 0.0
    ex_after = with_train.report["examples_top1"] or 0.0
    report.update(
        held_out=len(held),
        held_out_before=round(before, 4),
        held_out_after=round(after, 4),
        examples_before=ex_before,
        examples_after=ex_after,
    )
    if after < before or ex_after < ex_before - EXAMPLE_SLACK:
        report["reason"] = (
            f"not kept: the labels made routing worse (held-out labels {before:.1%} -> "
            f"{after:.1%}, plugins' examples {ex_before:.1%} -> {ex_after:.1%})"
        )
        return None, report
    final = auto_fit(plugins, embedder, summaries, usable, cache, seed)
    report["kept"] = True
    report["reason"] = (
        f"kept: held-out {before:.1%} -> {after:.1%}, examples {ex_before:.1%} -> {ex_after:.1%}"
    )
    final.report["refit"] = dict(report)
    return final, report


# --- the engine's side ---------------------------------------------------------------------


def _needs_fit(calib: Calibration | None, plugins: list[Plugin], mark: str) -> bool:
    if calib is None:
        return True
    if calib.report.get("auto"):
        return calib.report.get("fingerprint") != mark
    # A calibration made by `frontdesk calibrate` stands until the set of plugins changes.
    return calib.model is not None and calib.model.classes != [p.name for p in plugins]


def engine_router(engine: Any) -> Router:
    """The router of an engine: summaries loaded, calibration fitted when missing or stale."""
    from frontdesk import routing_cache

    plugins = list(engine.plugins.values())
    home = engine.settings.home
    cache = home / "cache" / "anchors.sqlite"
    names = [p.name for p in plugins]
    summaries = routing_cache.load(engine.store, names, home) if plugins else {}
    state = getattr(engine, "state", None)  # Postgres with FRONTDESK_MEMORY_URL (shared_state)
    calib = load_calibration(home, state)
    labels = calib.labels if calib else []
    if plugins and _needs_fit(calib, plugins, fingerprint(plugins, summaries, labels)):
        calib = auto_fit(plugins, engine.embedder, summaries, labels, cache)
        calib.save(home, state)
    if calib is None:
        calib = Calibration(Thresholds())
    return build(plugins, engine.embedder, calib, summaries, cache)


def refit_engine(engine: Any, extra_labels: Labels = ()) -> dict[str, Any]:
    """Engine.refit_routing: refit with the labels; saved and used only if kept."""
    from frontdesk import routing_cache

    # The fit takes seconds to minutes: it runs on a snapshot of the plugin set without the
    # engine's lock (turns take it to read the router), and is applied only if that set is
    # still the one serving — a refit of plugins a reload replaced meanwhile would be stale.
    plugin_set = engine.plugin_set
    plugins = list(plugin_set.plugins.values())
    summaries = routing_cache.load(engine.store, [p.name for p in plugins], engine.settings.home)
    cache = engine.settings.home / "cache" / "anchors.sqlite"
    calib, report = refit(plugins, engine.embedder, extra_labels, summaries, cache)
    if calib is None:
        return report
    with engine._lock:
        if engine.plugin_set is not plugin_set:
            reason = "the plugins changed during the refit; not applied (the next one will be)"
            return {**report, "kept": False, "reason": reason}
        calib.save(engine.settings.home, getattr(engine, "state", None))
        engine.__dict__.pop("router", None)
    return report


def plugin_overlaps(engine: Any) -> list[dict[str, Any]]:
    """Which plugins' examples route to another plugin (leave-one-out), worst pair first."""
    plugins = list(engine.plugins.values())
    if len(plugins) < 2:
        return []
    state = getattr(engine, "state", None)
    calib = load_calibration(engine.settings.home, state)
    if calib is None or not calib.report.get("auto"):
        _ = engine.router  # fits (and saves) the automatic calibration when there is none
        calib = load_calibration(engine.settings.home, state)
    if calib is not None and "overlaps" in calib.report:
        return list(calib.report["overlaps"])
    from frontdesk import routing_cache

    home = engine.settings.home
    summaries = routing_cache.load(engine.store, [p.name for p in plugins], home)
    return list(auto_fit(plugins, engine.embedder, summaries).report["overlaps"])
