"""Replay quac_phrasing_rule.narrow on what verification was given in a recorded quac_gap run.

    python -m benchmarks.quac_phrasing J [--kept 0.3,0.4,0.5,0.6]

J: the JSON `benchmarks.quac_gap --json` writes (each row keeps the model's answer, the question
and the evidence verification got). The model is not called again: the product's answer is
rebuilt by verify.verify and narrowed with each threshold of MIN_KEPT, then scored as quac_gap
scores it (token F1 on answerable first turns and follow-ups). Diagnosis on dev only; the
evidence is replayed in reading order (the product gave it best first, so ties may differ).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks import quac_phrasing_rule as phrasing
from frontdesk.declines import is_decline
from frontdesk.evaluate import token_f1
from frontdesk.verify import verify


def unquoted(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The product's F1 with its quote marks taken out: SQuAD's normalisation drops ASCII
    punctuation only, so “ and ” stay glued to the first and last word of every quoted answer
    (“his and his” count as two tokens that match nothing)."""
    scores: dict[str, list[float]] = {"f1_first": [], "f1_follow": []}
    for r in rows:
        if r["answerable"]:
            text = r["product"].replace("“", "").replace("”", "")
            f1 = 0.0 if is_decline(text) else token_f1(text, r["answers"])
            scores["f1_first" if r["turn"] == 0 else "f1_follow"].append(f1)
    return {k: round(sum(v) / len(v), 4) for k, v in scores.items()}


def replay(rows: list[dict[str, Any]], kept: float | None) -> dict[str, Any]:
    scores: dict[str, list[float]] = {"f1_first": [], "f1_follow": []}
    changed = []
    for r in rows:
        if not r["answerable"]:
            continue
        text = r["product"]
        args = r.get("verify_args")
        if args and kept is not None and not is_decline(text):
            answer, question, facts, *rest = args
            verdict = verify(answer, question, facts, *rest)
            if text.startswith(verdict.answer):  # the gaps a compound question adds stay
                phrasing.MIN_KEPT = kept
                new = phrasing.narrow(verdict.answer, question, facts).answer
                if new != verdict.answer:
                    changed.append(
                        (
                            r["question"],
                            verdict.answer,
                            new,
                            r["answers"][0] if r["answers"] else "",
                        )
                    )
                text = new + text[len(verdict.answer) :]
        f1 = 0.0 if is_decline(text) else token_f1(text, r["answers"])
        scores["f1_first" if r["turn"] == 0 else "f1_follow"].append(f1)
    out: dict[str, Any] = {k: round(sum(v) / len(v), 4) for k, v in scores.items()}
    out["changed"] = changed
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("--kept", default="0.3,0.4,0.5,0.6")
    parser.add_argument("--show", type=float, help="print the answers this threshold changes")
    args = parser.parse_args(argv)
    rows = json.loads(Path(args.json).read_text())["rows"]
    plain = unquoted(rows)
    print(f"quote marks out  first {plain['f1_first']}  follow {plain['f1_follow']}")
    for kept in [None, *map(float, args.kept.split(","))]:
        res = replay(rows, kept)
        name = "as run" if kept is None else f"kept>={kept}"
        print(
            f"{name:12s} first {res['f1_first']}  follow {res['f1_follow']}  "
            f"changed {len(res['changed'])}"
        )
        if kept is not None and kept == args.show:
            for q, before, after, ref in res["changed"]:
                print(
                    f"  Q {q}\n    was {before[:150]}\n    now {after[:150]}\n    ref {ref[:100]}"
                )


if __name__ == "__main__":
    main()
