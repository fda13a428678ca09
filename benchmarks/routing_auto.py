"""Routing without tuning, and corrections as routing labels, on CLINC150 (issues 10 and 12).

    python -m benchmarks.routing_auto                  # after: the product's Engine
    python -m benchmarks.routing_auto --before         # today's Router, no calibration
    python -m benchmarks.routing_auto --corrections    # + a stream of corrections
    python -m benchmarks.routing_auto --smoke          # small and fast (CI)
    python -m benchmarks.routing_auto --split val      # score val/oos_val (for choosing)

Plugins as a user writes them: one `plugin.toml` per CLINC150 domain with a description (the
domain and its intents, as benchmarks.routing writes it) and 20 examples drawn from `train`; no
topics, no knowledge, no `frontdesk calibrate`. The Engine fits its routing on its own; `test`
and `oos_test` are only scored. With --corrections, `val` questions (then `oos_val`, then unused
`train` questions if needed) are routed one by one as a user would ask them; each one routed
wrongly becomes a correction (question, right plugin or None), and `Engine.refit_routing` is
called with all corrections so far after every 50 (the webchat's feedback store is not used: the
benchmark passes the corrections directly).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import CachedEmbedder, machine
from benchmarks.routing import load, make_plugins

CHECKPOINTS = (50, 200, 500)


def write_plugins(root: Path, seed: int, n: int = 20) -> list[Any]:
    """Manifests with a description and n examples (no topics); returns the draws."""
    data, domains = load()
    plugins = make_plugins(data, domains, n, seed)
    for p in plugins:
        folder = root / p.name
        folder.mkdir(parents=True)
        examples = ",\n  ".join(json.dumps(e) for e in p.examples)
        (folder / "plugin.toml").write_text(
            f"name = {json.dumps(p.name)}\ndescription = {json.dumps(p.description)}\n"
            f"examples = [\n  {examples},\n]\n"
        )
    return plugins


def score(route: Any, inscope: list[tuple[str, str]], oos: list[str]) -> dict[str, float]:
    right = sum(
        bool(r.plugins) and r.plugins[0].name == d
        for r, (_, d) in zip(map(route, [t for t, _ in inscope]), inscope, strict=True)
    )
    rejected = sum(not route(t).plugins for t in oos)
    return {
        "in_scope_right": round(right / len(inscope), 4),
        "oos_rejected": round(rejected / len(oos), 4) if oos else float("nan"),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", action="store_true", help="today's Router, no calibration")
    parser.add_argument("--corrections", action="store_true")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json")
    parser.add_argument(
        "--split", choices=["test", "val"], default="test", help="val: score val and oos_val"
    )
    parser.add_argument(
        "--vectors", help="a pickle of {text: MiniLM vector} made earlier (skips re-embedding)"
    )
    args = parser.parse_args(argv)

    from frontdesk.embeddings import MiniLMEmbedder

    data, domains = load()
    dname = {i: d.replace("_", "-") for d, intents in domains.items() for i in intents}
    test = [(t, dname[i]) for t, i in data[args.split]]
    oos_test = [t for t, _ in data[f"oos_{args.split}"]]
    stream: list[tuple[str, str | None]] = [(t, dname[i]) for t, i in data["val"]]
    random.Random(7).shuffle(stream)
    stream += [(t, None) for t, _ in data["oos_val"]]
    spare = [(t, dname[i]) for t, i in data["train"]]
    random.Random(8).shuffle(spare)
    seeds = args.seeds
    if args.smoke:
        rng = random.Random(0)
        test, oos_test, stream, seeds = (
            rng.sample(test, 150),
            rng.sample(oos_test, 50),
            stream[:80],
            1,
        )
    emb = CachedEmbedder(MiniLMEmbedder())
    if args.vectors:
        import pickle

        emb.cache.update(pickle.loads(Path(args.vectors).read_bytes()))
    emb.warm([t for t, _ in test] + oos_test)

    runs = []
    for seed in range(seeds):
        with tempfile.TemporaryDirectory(prefix="frontdesk-routing-auto-") as tmp:
            plugins = write_plugins(Path(tmp) / "plugins", seed, 5 if args.smoke else 20)
            used = {e for p in plugins for e in p.examples}
            if args.before:  # what main did with no calibration file: default thresholds
                import dataclasses

                from frontdesk.router import Router

                as_written = [dataclasses.replace(p, topics=()) for p in plugins]  # no topics
                router = Router(as_written, emb)
                runs.append({"seed": seed, "start": score(router.route, test, oos_test)})
                continue
            from frontdesk.engine import Engine
            from frontdesk.settings import Settings

            settings = Settings(
                home=Path(tmp) / "home",
                plugins_path=str(Path(tmp) / "plugins"),
                bundled_plugins=False,
                entry_point_plugins=False,
                router_llm=False,
            )
            engine = Engine(settings, embedder=emb)  # type: ignore[arg-type]
            run: dict[str, Any] = {"seed": seed, "start": score(engine.route, test, oos_test)}
            from frontdesk.calibration import load_calibration

            calib = load_calibration(settings.home)
            run["fit"] = calib.report["lines"][:2] if calib else None
            print(f"seed {seed}: {run['start']}  ({run['fit']})", flush=True)
            if args.corrections:
                run["corrections"] = corrections(engine, stream, spare, used, test, oos_test, args)
            runs.append(run)
    out = {"machine": machine(), "before": args.before, "split": args.split, "runs": runs}
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


def corrections(
    engine: Any,
    stream: list[tuple[str, str | None]],
    spare: list[tuple[str, str]],
    used: set[str],
    test: list[tuple[str, str]],
    oos_test: list[str],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Route the stream; every wrong route becomes a correction; refit every 50."""
    marks = (10, 20) if args.smoke else CHECKPOINTS
    every = 10 if args.smoke else 50
    labels: list[tuple[str, str | None]] = []
    out: list[dict[str, Any]] = []
    asked = 0
    source = "val"
    questions = iter(stream + [(t, d) for t, d in spare if t not in used])
    last_report: dict[str, Any] = {}
    while len(labels) < marks[-1]:
        try:
            text, gold = next(questions)
        except StopIteration:
            break
        asked += 1
        if asked > len(stream):
            source = "val, then train"
        route = engine.route(text)
        got = route.plugins[0].name if route.plugins else None
        if got != gold:
            labels.append((text, gold))
            if len(labels) % every == 0:
                last_report = engine.refit_routing(labels)
            if len(labels) in marks:
                figures = score(engine.route, test, oos_test)
                row = {
                    "corrections": len(labels),
                    "asked": asked,
                    "from": source,
                    **figures,
                    "refit": {k: last_report.get(k) for k in ("kept", "reason", "held_out")},
                }
                print(row, flush=True)
                out.append(row)
    return out


if __name__ == "__main__":
    main()
