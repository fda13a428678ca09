"""What was tried for few-shot routing, measured on CLINC150 `val` (never `test`).

    python -m benchmarks.routing_variants [--n 20] [--seeds 3]

Each variant chooses one of the 10 domain plugins for every `val` question; plugins get N
examples drawn from `train` (same draws as benchmarks.routing). Accuracy is top-1.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from benchmarks.common import CachedEmbedder, machine, mean_sd, table
from benchmarks.routing import load, make_plugins
from frontdesk.calibration import fit
from frontdesk.router import Router


def _neighbour_scores(anchors: np.ndarray, owner: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    sims = q @ anchors.T
    out = np.full((len(q), owner.max() + 1), -1.0)
    for c in range(owner.max() + 1):
        own = np.sort(sims[:, owner == c], axis=1)[:, ::-1]
        out[:, c] = own[:, :k].mean(1)
    return out


def _vote(anchors: np.ndarray, owner: np.ndarray, q: np.ndarray, k: int = 10) -> np.ndarray:
    sims = q @ anchors.T
    top = np.argsort(-sims, axis=1)[:, :k]
    out = np.zeros((len(q), owner.max() + 1))
    rows = np.arange(len(q))
    for j in range(k):
        out[rows, owner[top[:, j]]] += np.exp(10 * sims[rows, top[:, j]])
    return out


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression

    from frontdesk.embeddings import MiniLMEmbedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    data, domains = load()
    names = [d.replace("_", "-") for d in domains]
    intent_domain = {i: d.replace("_", "-") for d, intents in domains.items() for i in intents}
    val = [(t, intent_domain[i]) for t, i in data["val"]]
    gold = np.array([names.index(d) for _, d in val])
    emb = CachedEmbedder(MiniLMEmbedder())
    q = emb.embed([t for t, _ in val])

    results: dict[str, list[float]] = {}

    def record(name: str, scores: np.ndarray) -> None:
        results.setdefault(name, []).append(float((scores.argmax(1) == gold).mean()))

    for seed in range(args.seeds):
        plugins = make_plugins(data, domains, args.n, seed)
        ex = emb.embed([e for p in plugins for e in p.examples])
        ex_owner = np.array([i for i, p in enumerate(plugins) for _ in p.examples])
        an = emb.embed([a for p in plugins for a in p.anchors])
        an_owner = np.array([i for i, p in enumerate(plugins) for _ in p.anchors])
        record("examples: nearest neighbour", _neighbour_scores(ex, ex_owner, q, 1))
        record("examples: mean of 2 nearest", _neighbour_scores(ex, ex_owner, q, 2))
        record("examples: weighted vote of 10 nearest", _vote(ex, ex_owner, q))
        lr = LogisticRegression(C=10.0, max_iter=2000).fit(ex, ex_owner)
        record("examples: logistic regression", lr.predict_proba(q))
        lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto").fit(ex, ex_owner)
        record("examples: shrinkage LDA", lda.predict_proba(q))
        record("examples + topics: mean of 2 nearest", _neighbour_scores(an, an_owner, q, 2))
        record("examples + topics: mean of 3 nearest", _neighbour_scores(an, an_owner, q, 3))
        router = Router(plugins, emb)
        record("frontdesk router, no model", np.array([router.similarities(v) for v in q]))
        calib = fit(plugins, emb, seed=seed)
        routed = Router(plugins, emb, model=calib.model)
        ranks = np.array(
            [
                [s.rank for s in sorted(routed.score_vector(v), key=lambda s: names.index(s.name))]
                for v in q
            ]
        )
        record("frontdesk router + routing model (product)", ranks)

    print(f"machine: {machine()}")
    print(
        f"CLINC150 val, {len(val)} in-scope questions; {args.n} examples per domain; "
        f"{args.seeds} draws\n"
    )
    print(table(["variant", "top-1 on val"], [[k, mean_sd(v)] for k, v in results.items()]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine(), "n": args.n, "results": results}, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
