"""Escalation that looks at the answer: specialists alone vs. grounded answers, with the
bundled models on the example plugins, with and without the grounding gate.

    python -m benchmarks.escalation            # 26 mixed questions, twice (about 5 minutes)
    python -m benchmarks.escalation --smoke    # 4 questions (CI)

A strict, independent check decides whether an answer is grounded: every number in the answer
and at least 80% of its content words must appear in the chunks the answer cites (the gate in
the product reads the evidence sentences with a looser 55% bar, so the two can disagree).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, machine, table
from frontdesk.engine import Engine
from frontdesk.grounding import content_words
from frontdesk.settings import Settings

QUESTIONS = REPO / "benchmarks" / "data" / "mixed.jsonl"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def strictly_grounded(answer: str, citations: list[dict[str, Any]], texts: dict[str, str]) -> bool:
    if not citations:
        return False
    cited = " ".join(texts.get(c["chunk_id"], c["snippet"]) for c in citations)
    if any(n not in cited for n in _NUMBER.findall(answer)):
        return False
    words = content_words(answer)
    known = set(content_words(cited))
    return bool(words) and sum(w in known for w in words) / len(words) >= 0.8


def run(home: Path, escalate: bool, questions: list[dict[str, str]]) -> dict[str, Any]:
    engine = Engine(
        Settings(home=home, escalate=escalate, entry_point_plugins=False, router_llm=False)
    )
    texts: dict[str, str] = {}
    rows = []
    for q in questions:
        answer = engine.ask(q["question"])
        for c in answer.citations:
            if c["chunk_id"] not in texts:
                coll = engine.store._collection(c["plugin"])
                got = coll.get(ids=[c["chunk_id"]], include=["metadatas"])
                texts[c["chunk_id"]] = str(got["metadatas"][0]["text"])
        rows.append(
            {
                "kind": q["kind"],
                "mode": answer.route["mode"],
                "specialists_only": not answer.reached_coordinator,
                "grounded": strictly_grounded(answer.answer, answer.citations, texts),
                "seconds": answer.seconds,
            }
        )
    return summarize(rows)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def share(items: list[dict[str, Any]], key: str) -> float:
        return sum(r[key] for r in items) / len(items) if items else float("nan")

    domain = [r for r in rows if r["kind"] != "out"]
    modes: dict[str, int] = {}
    for r in rows:
        modes[r["mode"]] = modes.get(r["mode"], 0) + 1
    return {
        "questions": len(rows),
        "specialists_only": share(rows, "specialists_only"),
        "specialists_only_in_domain": share(
            [r for r in rows if r["kind"] == "in"], "specialists_only"
        ),
        "grounded_in_or_cross": share(domain, "grounded"),
        "out_of_domain_to_coordinator": share(
            [dict(r, c=not r["specialists_only"]) for r in rows if r["kind"] == "out"], "c"
        ),
        "modes": modes,
        "mean_seconds": sum(r["seconds"] for r in rows) / len(rows),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    if args.smoke:
        questions = [questions[0], questions[12], questions[18], questions[22]]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        Engine(Settings(home=home, entry_point_plugins=False)).ingest()
        results = {
            "with escalation": run(home, True, questions),
            "without escalation": run(home, False, questions),
        }
    print(f"machine: {machine()}")
    kinds = {k: sum(q["kind"] == k for q in questions) for k in ("in", "cross", "out")}
    print(
        f"questions: {kinds['in']} in-domain, {kinds['cross']} cross-domain, "
        f"{kinds['out']} out-of-domain (benchmarks/data/mixed.jsonl); bundled SmolLM2-135M\n"
    )
    rows = [
        [
            name,
            f"{r['specialists_only']:.0%}",
            f"{r['specialists_only_in_domain']:.0%}",
            f"{r['grounded_in_or_cross']:.0%}",
            f"{r['out_of_domain_to_coordinator']:.0%}",
            ", ".join(f"{k} {v}" for k, v in sorted(r["modes"].items())),
            f"{r['mean_seconds']:.1f}",
        ]
        for name, r in results.items()
    ]
    print(
        table(
            [
                "",
                "answered by specialists alone",
                "in-domain by specialists alone",
                "grounded (in + cross-domain)",
                "out-of-domain to coordinator",
                "modes",
                "mean s/answer",
            ],
            rows,
        )
    )
    out = {"machine": machine(), "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
