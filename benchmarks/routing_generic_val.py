"""Choosing the out-of-scope rule of the automatic routing fit on CLINC150 `val` only.

    python -m benchmarks.routing_generic_val [--seeds 3] [--vectors PICKLE]

Plugins as benchmarks.routing_auto writes them (description + 20 `train` examples, no topics).
For each draw, the router's similarities are computed once for `val`, `oos_val` and the
examples scored leave-one-out; each rule below picks its `reject` threshold from the examples
alone (keep K of them routed) and is scored on `val` / `oos_val`: "right" = routed to the right
plugin, "rejected" = out-of-scope question sent to no plugin. `test` is never read here.

- plain: the best similarity (main's automatic fit; K = 0.96 there);
- lowered λ: best similarity − λ · generic(q), generic(q) = mean similarity of the 3 nearest
  kept everyday questions (routing_generic.py);
- lowered λ, per plugin: the threshold of the chosen plugin from its own examples, halfway to
  the global one;
- closer than everyday: plain, and also rejected when generic(q) > best similarity;
- lowered 0.6, capped (the product's rule): the lowering is capped so that a similarity above
  99% of the kept everyday questions' passes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CachedEmbedder, machine, table
from benchmarks.routing import load, make_plugins
from frontdesk import routing_generic
from frontdesk.router import Router
from frontdesk.routing_fit import _leave_one_out
from frontdesk.routing_generic import GenericAnchors

KEEPS = (0.95, 0.96, 0.97, 0.98, 0.99)


def draw(emb: CachedEmbedder, data: Any, domains: Any, seed: int) -> dict[str, Any]:
    dname = {i: d.replace("_", "-") for d, intents in domains.items() for i in intents}
    plugins = [dataclasses.replace(p, topics=()) for p in make_plugins(data, domains, 20, seed)]
    names = [p.name for p in plugins]
    router = Router(plugins, emb)
    loo, gold = _leave_one_out(router, plugins)
    rows = [
        lo + j
        for p, (lo, _) in zip(plugins, router._bounds, strict=True)
        for j in range(len(p.examples))
    ]
    val = data["val"]
    vecs = emb.embed([t for t, _ in val])
    oos = emb.embed([t for t, _ in data["oos_val"]])
    generic = routing_generic.vectors(emb, emb.embed)
    examples = [
        router._anchors[lo : lo + len(p.examples)]
        for p, (lo, _) in zip(plugins, router._bounds, strict=True)
    ]
    owned = [routing_generic.plugin_rows(router, i) for i in range(len(plugins))]
    keep = routing_generic.kept(generic, examples, owned)
    return {
        "loo": loo,
        "gold": gold,
        "ex": router._anchors[rows],
        "sv": router.index.similarities(vecs),
        "so": router.index.similarities(oos),
        "gv": np.array([names.index(dname[i]) for _, i in val]),
        "v": vecs,
        "o": oos,
        "generic": GenericAnchors(generic[keep]),
        "everyday": router.index.similarities(generic[keep]).max(1),
        "kept": int(keep.sum()),
        "keep": keep,
        "plugins": plugins,
        "router": router,
    }


def rule(d: dict[str, Any], name: str, keep: float, lam: float = 0.6) -> tuple[float, float]:
    loo, gold, sv, so, gv = d["loo"], d["gold"], d["sv"], d["so"], d["gv"]
    g = d["generic"]
    close = {k: g.closeness(d[k]) for k in ("ex", "v", "o")}
    if name == "closer than everyday":
        t = np.quantile(loo.max(1), 1 - keep)
        okv = (sv.max(1) >= t) & (close["v"] <= sv.max(1))
        oko = (so.max(1) >= t) & (close["o"] <= so.max(1))
        return float(((sv.argmax(1) == gv) & okv).mean()), float(1 - oko.mean())
    weight = 0.0 if name == "plain" else lam
    lowered = {
        k: s.max(1) - weight * close[c]
        for k, s, c in (("l", loo, "ex"), ("v", sv, "v"), ("o", so, "o"))
    }
    t = float(np.quantile(lowered["l"], 1 - keep))
    if name.endswith("capped"):
        cap = max(0.0, float(np.quantile(d["everyday"], routing_generic.GENERIC_KEEP)) - t)
        shift = {c: np.minimum(weight * close[c], cap) for c in ("ex", "v", "o")}
        lowered = {"v": sv.max(1) - shift["v"], "o": so.max(1) - shift["o"]}
    tv = to = t
    if name.endswith("per plugin"):
        own = np.array(
            [np.quantile(lowered["l"][gold == p], 1 - keep) for p in range(loo.shape[1])]
        )
        per = 0.5 * own + 0.5 * t
        tv, to = per[sv.argmax(1)], per[so.argmax(1)]
    right = (sv.argmax(1) == gv) & (lowered["v"] >= tv)
    return float(right.mean()), float((lowered["o"] < to).mean())


def setup(
    argv: list[str] | None, doc: str, make: Any = draw
) -> tuple[argparse.Namespace, Any, list[Any]]:
    """The command line shared with routing_lexical_val and routing_oos_val: (args, CLINC150
    data, the draws made by `make`)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--vectors", help="a pickle of {text: MiniLM vector} made earlier")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    from frontdesk.embeddings import MiniLMEmbedder

    data, domains = load()
    emb = CachedEmbedder(MiniLMEmbedder())
    if args.vectors:
        emb.cache.update(pickle.loads(Path(args.vectors).read_bytes()))
    return args, data, [make(emb, data, domains, s) for s in range(args.seeds)]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args, data, draws = setup(argv, __doc__)
    rules = [("plain", 0.6), ("lowered", 0.5), ("lowered", 0.6), ("lowered", 0.7)]
    rules += [("lowered, per plugin", 0.6), ("closer than everyday", 0.6), ("lowered, capped", 0.6)]
    out: dict[str, Any] = {"machine": machine(), "kept": [d["kept"] for d in draws], "rules": {}}
    rows = []
    for name, lam in rules:
        label = name if name in ("plain", "closer than everyday") else f"{name} λ={lam}"
        cells = []
        for keep in KEEPS:
            got = np.array([rule(d, name, keep, lam) for d in draws]).mean(0)
            out["rules"].setdefault(label, {})[str(keep)] = got.round(4).tolist()
            cells.append(f"{got[0]:.1%} / {got[1]:.0%}")
        rows.append([label, *cells])
    print(table(["rule (val right / oos_val rejected)", *[f"keep {k}" for k in KEEPS]], rows))
    print(f"everyday questions kept per draw: {out['kept']} of {len(routing_generic.questions())}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
