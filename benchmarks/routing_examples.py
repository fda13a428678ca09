"""Routing only, on the example plugins' reference questions (issue 9's `examples` set).

    python -m benchmarks.routing_examples --home H [--json FILE]

The bundled example plugins are ingested into H (reused when run again), and every first turn
of benchmarks/data/examples_qa.jsonl goes through `Engine.route` (scores and thresholds; the
coordinator LLM is not asked, no answer is generated). A turn that follows another in its
thread is left out: the product routes it with the thread (it stays with the thread's plugin
unless another is confident), which needs the conversation. "right" = the first routed plugin
is the expected one (null: no plugin), as `frontdesk eval` counts it. The set has no dev split:
its figure is not a held-out estimate.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks import qa
from benchmarks.common import REPO, machine
from frontdesk.evaluate import load_cases


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="where the stores are kept (reused)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    cases = load_cases(REPO / "benchmarks" / "data" / "examples_qa.jsonl")
    seen: set[str] = set()
    firsts = []
    for c in cases:
        if c.thread is None or c.thread not in seen:
            firsts.append(c)
        if c.thread is not None:
            seen.add(c.thread)
    home = Path(args.home)
    engine = qa.make_engine(home / "home", None, bundled=True, router_llm=False)
    ingest = qa.ingest(engine)
    rows = []
    for c in firsts:
        route = engine.route(c.question)
        got = route.plugins[0].name if route.plugins else None
        rows.append(
            {
                "question": c.question,
                "plugin": c.plugin,
                "routed": got,
                "right": got == c.plugin,
                "mode": route.mode,
                "reason": route.reason,
                "scores": [s.as_dict() for s in route.scores],
            }
        )
        mark = "ok" if got == c.plugin else "XX"
        print(f"{mark} {c.question!r} -> {got} ({route.reason})", flush=True)
    right = sum(r["right"] for r in rows)
    print(f"routed right: {right} of {len(rows)} first turns ({right / len(rows):.1%})")
    out = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "ingest": ingest,
        "right": right,
        "questions": len(rows),
        "routes": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
