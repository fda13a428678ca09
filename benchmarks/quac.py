"""QuAC answers: one plugin holding the passages, each dialog asked as one thread.

    python -m benchmarks.quac --limit 100 --json benchmarks/results/quac.json

One plugin `quac` holds every passage as its own document (`quac-0123.txt`). Each dialog is
asked as one thread through `frontdesk eval`, twice: scoped to the dialog's document ("ask about
this file") and unscoped (the whole plugin). Dialogs with index < 200 are the dev split (tune
there), the rest the test split (report only). `--retrieval-only` compares retrieval variants by
hit@k without generating. The eval files are written to the temporary folder, not to git.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import qa
from benchmarks.common import QUAC, machine, shared_text
from frontdesk.evaluate import Case, format_report

DEV = 200  # dialogs with a smaller index (file order) are the dev split


def load(split: str, limit: int | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every dialog, the chosen split's first `limit` dialogs)."""
    dialogs = [json.loads(line) for line in shared_text(QUAC).splitlines() if line.strip()]
    chosen = dialogs[:DEV] if split == "dev" else dialogs[DEV:]
    return dialogs, chosen[:limit] if limit else chosen


def cases(dialogs: list[dict[str, Any]], scoped: bool) -> list[Case]:
    out = []
    for d in dialogs:
        for turn in d["turns"]:
            out.append(
                Case(
                    question=turn["question"],
                    plugin="quac",
                    answers=list(turn["answers"]),
                    thread=d["id"] + ("" if scoped else "-all"),
                    document=f"{d['id']}.txt" if scoped else None,
                )
            )
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--limit", type=int, help="first N dialogs of the split")
    parser.add_argument("--k", type=int, default=3, help="chunks for hit@k")
    parser.add_argument(
        "--passages", type=int, help="only the chosen dialogs' passages plus this many others"
    )
    parser.add_argument("--runs", default="scoped,unscoped", help="scoped, unscoped or both")
    parser.add_argument("--retrieval-only", action="store_true", help="hit@k per variant only")
    parser.add_argument("--home", help="a folder to keep the store in (reused when run again)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--smoke", action="store_true", help="1 dialog, 5 other passages")
    args = parser.parse_args(argv)
    if args.smoke:
        args.limit, args.passages = args.limit or 1, 5 if args.passages is None else args.passages
    every, dialogs = load(args.split, args.limit)
    passages = every
    if args.passages is not None:
        chosen = {d["id"] for d in dialogs}
        others = [d for d in every if d["id"] not in chosen][: args.passages]
        passages = dialogs + others

    with tempfile.TemporaryDirectory(prefix="fd-quac-") as tmp:
        work = Path(tmp)
        home = Path(args.home) if args.home else work / "home"
        knowledge = home / "quac-passages"
        knowledge.mkdir(parents=True, exist_ok=True)
        for d in passages:
            path = knowledge / f"{d['id']}.txt"
            if not path.exists():
                path.write_text(d["passage"] + "\n")
        qa.write_plugin(
            work / "plugins",
            "quac",
            "Wikipedia passages about people, bands, places and events.",
            ["What did she do after the war?", "Did they have any children?"],
            knowledge,
        )
        engine = qa.make_engine(home, work / "plugins", bundled=False)
        ingest = qa.ingest(engine)
        print(
            f"ingested {ingest['documents']} passages, {ingest['chunks']} chunks in {ingest['seconds']}s"
        )
        out: dict[str, Any] = {
            "machine": machine(),
            "date": time.strftime("%Y-%m-%d"),
            "split": args.split,
            "dialogs": len(dialogs),
            "passages": len(passages),
            "ingest": ingest,
            "settings": {
                "retrieval": engine.settings.retrieval,
                "weight": engine.settings.keyword_weight,
                "followup_rerank": engine.settings.followup_rerank,
            },
        }
        if args.retrieval_only:
            out["retrieval"] = {}
            for run in args.runs.split(","):
                hits = qa.retrieval_variants(
                    engine, cases(dialogs, run == "scoped"), args.k, qa.RETRIEVAL_VARIANTS
                )
                out["retrieval"][run] = hits
                print(f"hit@{args.k} {run}: " + ", ".join(f"{n} {v:.1%}" for n, v in hits.items()))
        else:
            reports = {}
            for run in args.runs.split(","):
                reports[run] = qa.evaluate(
                    engine,
                    cases(dialogs, run == "scoped"),
                    args.k,
                    True,
                    work / f"quac-{run}.jsonl",
                )
                print(f"--- {run}")
                print("\n".join(format_report(reports[run])[:13]))
            print(qa.scores_table(reports, args.k))
            out["runs"] = {
                name: {k: v for k, v in r.items() if k != "results"} for name, r in reports.items()
            }
            out["answers"] = {name: r["results"] for name, r in reports.items()}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
