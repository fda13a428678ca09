"""Specialist answers holding a number their cited documents do not state, over eval results.

    python -m benchmarks.invented_numbers RESULTS.json [...] [--docs DIR ...]

RESULTS are the `--json` files of benchmarks.reference_qa or benchmarks.quac. A cited source
(`plugin/file`) is looked up under each --docs folder (as `plugin/file` and as `file`); QuAC's
sources are the dialogs' passages. Only answers in mode `specialist` or `multi` are counted
(the coordinator's are labelled as the general model's); the question's own numbers count as
evidence. Prints the count and the offending answers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.common import QUAC, REPO
from frontdesk.declines import is_decline
from frontdesk.verify import numbers_not_in


def _answers(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "sets" in data:
        return [a for s in data["sets"].values() for a in s.get("answers", [])]
    return [a for run in data.get("answers", {}).values() for a in run]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--docs", action="append", default=[str(REPO / "knowledge")])
    args = parser.parse_args(argv)
    passages = {}
    if QUAC.exists():
        for line in QUAC.read_text().splitlines():
            d = json.loads(line)
            passages[f"{d['id']}.txt"] = d["passage"]
    counted, bad = 0, []
    for path in args.results:
        for a in _answers(json.loads(Path(path).read_text())):
            if a.get("mode") not in ("specialist", "multi") or is_decline(a.get("answer", "")):
                continue
            evidence = [a["question"]]
            for cite in a.get("citations", []):
                name = cite.split("/", 1)[-1]
                if name in passages:
                    evidence.append(passages[name])
                for root in args.docs:
                    for candidate in (Path(root) / cite, Path(root) / name):
                        if candidate.is_file():
                            evidence.append(candidate.read_text(errors="replace"))
            counted += 1
            missing = numbers_not_in(a["answer"], " ".join(evidence))
            if missing:
                bad.append((path, a["question"], missing, a["answer"][:120]))
    print(f"{len(bad)} of {counted} specialist answers hold a number not in their cited documents")
    for path, q, missing, answer in bad:
        print(f"  {Path(path).name}: {q!r}: {missing} in {answer!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
