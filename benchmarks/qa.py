"""Shared by the answer benchmarks: a throwaway engine over given plugins, `frontdesk eval`
scoring, retrieval-only comparisons, and tables."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CachedEmbedder, table
from frontdesk.engine import Engine
from frontdesk.evaluate import Case, contains_answer, report, run_eval
from frontdesk.settings import Settings

RETRIEVAL_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("embedding", {"retrieval": "embedding"}),
    ("rrf", {"retrieval": "rrf"}),
    ("hybrid w=0.2", {"retrieval": "hybrid", "keyword_weight": 0.2}),
    ("hybrid w=0.3", {"retrieval": "hybrid", "keyword_weight": 0.3}),
    ("hybrid w=0.4", {"retrieval": "hybrid", "keyword_weight": 0.4}),
    ("hybrid w=0.5", {"retrieval": "hybrid", "keyword_weight": 0.5}),
    ("hybrid w=0.6", {"retrieval": "hybrid", "keyword_weight": 0.6}),
]


def write_plugin(
    root: Path, name: str, description: str, examples: list[str], knowledge: Path
) -> None:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.toml").write_text(
        f"name = {json.dumps(name)}\ndescription = {json.dumps(description)}\n"
        f"examples = {json.dumps(examples)}\n"
        f'system_prompt = "You answer questions from the {name} documents."\n\n'
        f"[knowledge]\npaths = [{json.dumps(str(knowledge))}]\n"
    )


def make_engine(home: Path, plugins: Path | None, bundled: bool, **overrides: Any) -> Engine:
    values: dict[str, Any] = {
        "home": home,
        "plugins_path": str(plugins) if plugins else "",
        "bundled_plugins": bundled,
        "entry_point_plugins": False,
    }
    values.update(overrides)
    return Engine(Settings(**values))


def ingest(engine: Engine) -> dict[str, Any]:
    started = time.perf_counter()
    reports = engine.ingest()
    return {
        "documents": sum(r.files for r in reports),
        "chunks": sum(r.chunks_total for r in reports),
        "seconds": round(time.perf_counter() - started, 1),
    }


def evaluate(
    engine: Engine, cases: list[Case], k: int, force_plugin: bool, jsonl: Path | None = None
) -> dict[str, Any]:
    """`frontdesk eval` on these cases (the file written too, for a look or a rerun)."""
    if jsonl is not None:
        jsonl.write_text(
            "".join(
                json.dumps({key: v for key, v in c.__dict__.items() if v is not None}) + "\n"
                for c in cases
            )
        )

    def progress(done: int, total: int) -> None:
        print(f"  {done}/{total} questions", file=sys.stderr, flush=True)

    return report(run_eval(engine, cases, k, force_plugin, progress), k)


def retrieval_variants(
    engine: Engine, cases: Iterable[Case], k: int, variants: list[tuple[str, dict[str, Any]]]
) -> dict[str, float]:
    """hit@k of each retrieval variant (no generation): answerable cases with a plugin."""
    cases = [c for c in cases if c.answers and c.plugin]
    engine.__dict__["embedder"] = cached = CachedEmbedder(engine.embedder)
    engine.store.embedder = cached
    cached.warm([c.question for c in cases])
    out: dict[str, float] = {}
    for name, overrides in variants:
        for key, value in overrides.items():
            setattr(engine.settings, key, value)
        hits = [
            any(
                contains_answer(h.text, c.answers)
                for h in engine.search(c.question, c.plugin or "", k, document=c.document)
            )
            for c in cases
        ]
        out[name] = round(sum(hits) / len(hits), 4) if hits else 0.0
    return out


def fmt(value: Any, pct: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if pct else f"{value:.3f}"


def scores_table(reports: dict[str, dict[str, Any]], k: int) -> str:
    rows = []
    for name, rep in reports.items():
        o = rep["overall"]
        rows.append(
            [
                name,
                str(o["questions"]),
                fmt(o["correct"]),
                fmt(o["routing_accuracy"]),
                fmt(o["hit_at_k"]),
                fmt(o["f1_first_turns"], False),
                fmt(o["f1_follow_ups"], False),
                fmt(o["decline_recall"]),
                fmt(o["wrongly_declined"]),
                fmt(o["seconds_p50"], False),
            ]
        )
    header = [
        "run",
        "questions",
        "correct",
        "routing",
        f"hit@{k}",
        "F1 first turns",
        "F1 follow-ups",
        "unanswerable declined",
        "answerable declined",
        "answer p50 s",
    ]
    return table(header, rows)


def selection_only(engine: Engine, cases: list[Case]) -> dict[str, Any]:
    """Retrieval and answer selection without generating (the plugin forced): does the selected
    evidence hold a reference answer, and are the unanswerable questions declined?"""
    from frontdesk import answering

    rows = []
    for c in cases:
        plugin = engine.plugins[c.plugin or ""]
        hits = engine.search(c.question, plugin.name, plugin.top_k, document=c.document)
        sel = answering.select(c.question, hits, engine.embedder)
        said = " ".join(x.sentence for x in sel.evidence()) if sel.covered else ""
        ok = contains_answer(said, c.answers) if c.answers else not sel.covered
        # An option entry is shown alone (answering.entry_answer): is the best candidate right?
        best = sel.best.sentence if sel.covered and sel.best else ""
        alone = contains_answer(best, c.answers) if c.answers else not sel.covered
        rows.append(
            {
                "question": c.question,
                "correct": ok,
                "best": alone,
                "covered": sel.covered,
                "said": said,
            }
        )
    answerable = [r for r, c in zip(rows, cases, strict=True) if c.answers]
    return {
        "questions": len(rows),
        "correct": round(sum(r["correct"] for r in rows) / max(len(rows), 1), 4),
        "best_alone": round(sum(r["best"] for r in rows) / max(len(rows), 1), 4),
        "answerable_held": round(
            sum(r["correct"] for r in answerable) / max(len(answerable), 1), 4
        ),
        "results": rows,
    }


def fit_structure(engine: Engine, cases: list[Case]) -> list[float]:
    """Fit answering.STRUCTURE's weights on `cases` (a dev set): logistic loss over every
    retrieved sentence (positive: it holds a reference answer), with the QuAC-fitted sentence
    logit as a fixed offset, L2 penalty 1."""
    from scipy.optimize import minimize

    from frontdesk import answering

    model = answering.default_model()
    offsets, docs, labels = [], [], []
    for c in cases:
        if not c.answers:
            continue
        plugin = engine.plugins[c.plugin or ""]
        hits = engine.search(c.question, plugin.name, plugin.top_k, document=c.document)
        pool = answering.candidates(hits)
        if not pool:
            continue
        vectors = engine.embedder.embed([c.question, *(s for _, s in pool)])
        x = answering.features(c.question, pool, vectors[1:] @ vectors[0], None)
        offsets.append(x @ model.coef + model.intercept)
        docs.append(answering.structure_features(c.question, pool))
        labels.append(np.array([contains_answer(s, c.answers) for _, s in pool], dtype=float))
    off, doc, y = np.concatenate(offsets), np.vstack(docs), np.concatenate(labels)

    def loss(w: np.ndarray) -> float:
        z = off + doc @ w
        return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * w @ w)

    return [round(float(v), 4) for v in minimize(loss, np.zeros(doc.shape[1])).x]
