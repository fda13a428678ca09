"""Routing benchmark on CLINC150: one plugin per domain, the product's own router.

    python -m benchmarks.routing            # full run (about 10 minutes on 2 cores)
    python -m benchmarks.routing --smoke    # a small, fast version (CI)

Each of the 10 domains becomes a plugin whose examples are N utterances drawn from `train`
(N = 5, 10, 20, 50, all), whose topics are its intent names and whose description lists them.
`frontdesk.calibration.fit` fits the routing model on those examples and topics, and the
thresholds on `val` (keep 95% of in-scope `val` routed); `test` and `oos_test` are only scored.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import (
    CLINC,
    CachedEmbedder,
    machine,
    mean_sd,
    percentile,
    shared_text,
    table,
)
from frontdesk.calibration import fit
from frontdesk.plugins import Plugin
from frontdesk.router import Router


def load() -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
    data = json.loads(shared_text(CLINC / "data_full.json"))
    domains = json.loads(shared_text(CLINC / "domains.json"))
    return data, domains


def make_plugins(
    data: dict[str, list[list[str]]], domains: dict[str, list[str]], n: int | None, seed: int
) -> list[Plugin]:
    rng = random.Random(seed)
    by_domain: dict[str, list[str]] = {d: [] for d in domains}
    intent_domain = {i: d for d, intents in domains.items() for i in intents}
    for text, intent in data["train"]:
        by_domain[intent_domain[intent]].append(text)
    plugins = []
    for d, intents in domains.items():
        topics = tuple(i.replace("_", " ") for i in intents)
        pool = by_domain[d]
        examples = tuple(pool if n is None else rng.sample(pool, n))
        plugins.append(
            Plugin(
                name=d.replace("_", "-"),
                description=f"{d.replace('_', ' ')}: {', '.join(topics)}",
                examples=examples,
                topics=topics,
                model="llamacpp:smollm2",
                system_prompt="",
                knowledge_paths=(),
                top_k=3,
                chunk_size=700,
                chunk_overlap=100,
                root=Path("."),
                origin="benchmark",
            )
        )
    return plugins


def macro_f1(gold: list[str], pred: list[str], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def evaluate(router: Router, inscope: list[tuple[str, str]], oos: list[str]) -> dict[str, float]:
    gold, pred, routed, in_scores = [], [], [], []
    for text, domain in inscope:
        route = router.route(text)
        gold.append(domain)
        pred.append(route.scores[0].name)
        routed.append(bool(route.plugins))
        in_scores.append(route.scores[0].score)
    oos_routes = [router.route(text) for text in oos]
    rejected = [not r.plugins for r in oos_routes]
    # The operating point keeping 95% of in-scope test questions routed (like FPR@95%TPR):
    # a measurement on test, not a setting; the deployed threshold comes from val.
    at95 = float(np.quantile(in_scores, 0.05))
    labels = sorted(set(gold))
    return {
        "top1": float(np.mean([g == p for g, p in zip(gold, pred, strict=True)])),
        "macro_f1": macro_f1(gold, pred, labels),
        "in_scope_routed": float(np.mean(routed)),
        "oos_rejected": float(np.mean(rejected)) if rejected else float("nan"),
        "oos_rejected_at95": float(np.mean([r.scores[0].score < at95 for r in oos_routes]))
        if oos_routes
        else float("nan"),
    }


def knn_baseline(
    plugins: list[Plugin], emb: CachedEmbedder, inscope: list[tuple[str, str]]
) -> float:
    """Plain nearest-neighbour routing over the examples (no topics, no model)."""
    ex = [(e, p.name) for p in plugins for e in p.examples]
    vecs = emb.embed([e for e, _ in ex])
    owners = [o for _, o in ex]
    q = emb.embed([t for t, _ in inscope])
    best = (q @ vecs.T).argmax(1)
    return float(np.mean([owners[b] == d for b, (_, d) in zip(best, inscope, strict=True)]))


def latency(router: Router, questions: list[str]) -> tuple[float, float]:
    times = []
    for q in questions:
        started = time.perf_counter()
        router.route(q)
        times.append(time.perf_counter() - started)
    return percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000


def llm_baseline(plugins: list[Plugin], sample: list[tuple[str, str | None]]) -> dict[str, float]:
    """The coordinator model (bundled SmolLM2) choosing a plugin from the descriptions."""
    from langchain_core.messages import HumanMessage

    from frontdesk.models import ModelOptions, load_chat_model
    from frontdesk.router import make_llm_chooser

    model = load_chat_model("llamacpp:smollm2", ModelOptions(max_tokens=16))
    chooser = make_llm_chooser(lambda prompt: str(model.invoke([HumanMessage(prompt)]).content))
    right, times = 0, []
    for text, domain in sample:
        started = time.perf_counter()
        named = chooser(text, plugins)
        times.append(time.perf_counter() - started)
        if domain is None:
            right += named == []
        else:
            right += bool(named) and named[0] == domain  # type: ignore[index]
    return {
        "accuracy": right / len(sample),
        "p50_ms": percentile(times, 0.5) * 1000,
        "p95_ms": percentile(times, 0.95) * 1000,
        "n": len(sample),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small and fast (CI)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--llm-sample", type=int, default=100)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    from frontdesk.embeddings import MiniLMEmbedder

    data, domains = load()
    dname = {d: d.replace("_", "-") for d in domains}
    intent_domain = {i: dname[d] for d, intents in domains.items() for i in intents}
    test = [(t, intent_domain[i]) for t, i in data["test"]]
    oos_test = [t for t, _ in data["oos_test"]]
    val = [(t, intent_domain[i]) for t, i in data["val"]]
    oos_val = [t for t, _ in data["oos_val"]]
    sizes: list[int | None] = [5, 10, 20, 50, None]
    seeds = args.seeds
    if args.smoke:
        rng = random.Random(0)
        test, oos_test = rng.sample(test, 300), rng.sample(oos_test, 100)
        val, sizes, seeds = rng.sample(val, 300), [5, 20], 1
        args.llm_sample = min(args.llm_sample, 4)

    import tempfile

    # As in the product: short questions go through the ONNX export of MiniLM.
    raw = MiniLMEmbedder(cache_dir=Path(tempfile.mkdtemp(prefix="frontdesk-bench-")))
    emb = CachedEmbedder(raw)
    emb.warm([t for t, _ in test] + oos_test + [t for t, _ in val] + oos_val)
    labelled: list[tuple[str, str | None]] = [(t, d) for t, d in val] + [(t, None) for t in oos_val]

    rows, results = [], []
    latency_routers: dict[str, tuple[list[Plugin], Any]] = {}
    for n in sizes:
        runs = []
        for seed in range(1 if n is None else seeds):
            plugins = make_plugins(data, domains, n, seed)
            started = time.perf_counter()
            calib = fit(plugins, emb, labelled, seed=seed)
            fit_s = time.perf_counter() - started
            router = Router(
                plugins, emb, thresholds=calib.plugins, default=calib.default, model=calib.model
            )
            scores = evaluate(router, test, oos_test)
            scores["knn_top1"] = knn_baseline(plugins, emb, test)
            scores["fit_s"] = fit_s
            runs.append(scores)
            if seed == 0 and n in (20, None):
                latency_routers["all" if n is None else str(n)] = (plugins, calib)
        label = "all" if n is None else str(n)
        results.append({"n": label, "runs": runs})
        rows.append(
            [
                label,
                mean_sd([r["knn_top1"] for r in runs]),
                mean_sd([r["top1"] for r in runs]),
                mean_sd([r["macro_f1"] for r in runs]),
                mean_sd([r["oos_rejected_at95"] for r in runs]),
                mean_sd([r["in_scope_routed"] for r in runs]),
                mean_sd([r["oos_rejected"] for r in runs]),
                f"{np.mean([r['fit_s'] for r in runs]):.1f}",
            ]
        )

    # Latency: the real router, embedding each question afresh, one at a time.
    sample = [t for t, _ in random.Random(1).sample(test, 50 if args.smoke else 500)]
    lat: dict[str, dict[str, float]] = {}
    for label, (plugins, calib) in latency_routers.items():
        live = Router(
            plugins, raw, thresholds=calib.plugins, default=calib.default, model=calib.model
        )
        live.route(sample[0])  # warm-up
        p50, p95 = latency(live, sample)
        lat[label] = {"p50": p50, "p95": p95, "anchors": sum(len(p.anchors) for p in plugins)}

    llm = None
    if args.llm_sample:
        rng = random.Random(2)
        k_oos = max(1, args.llm_sample // 5)
        llm_set: list[tuple[str, str | None]] = [*rng.sample(test, args.llm_sample - k_oos)]
        llm_set += [(t, None) for t in rng.sample(oos_test, k_oos)]
        llm = llm_baseline(plugins, llm_set)

    print(f"machine: {machine()}")
    print(
        f"test: {len(test)} in-scope, {len(oos_test)} out-of-scope; seeds per N: {seeds}. "
        "'deployed' = thresholds fitted on val to keep 95% of in-scope val routed.\n"
    )
    print(
        table(
            [
                "examples per domain",
                "plain kNN top-1",
                "frontdesk top-1",
                "macro-F1",
                "OOS rejected at 95% in-scope kept",
                "deployed: in-scope routed",
                "deployed: OOS rejected",
                "fit (s)",
            ],
            rows,
        )
    )
    print(
        f"\nrouting latency (embedding included, one question at a time, {len(sample)} questions):"
    )
    for label, v in lat.items():
        print(
            f"- {label} examples per domain ({v['anchors']} anchors): "
            f"p50 {v['p50']:.1f} ms, p95 {v['p95']:.1f} ms"
        )
    if llm:
        print(
            f"LLM routing baseline (SmolLM2-135M choosing from descriptions, {llm['n']} "
            f"questions incl. out-of-scope): accuracy {llm['accuracy']:.1%}, "
            f"p50 {llm['p50_ms']:.0f} ms, p95 {llm['p95_ms']:.0f} ms"
        )
    out = {
        "machine": machine(),
        "results": results,
        "latency_ms": lat,
        "llm_baseline": llm,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
