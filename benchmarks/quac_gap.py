"""Where the product loses what the selector finds: QuAC dialogs through the engine, step by step.

    nice -n 10 python -m benchmarks.quac_gap --split dev --limit 15 --passages 30 --json J

Each dialog is asked as one scoped thread through Engine.ask (as `frontdesk eval` does); at the
selection step (graph.consult -> answering.select) the question, chunks and previous answer the
product used are recorded, and the selection is redone with one input at a time set back to
what `benchmarks.answer_selection` gives it (the whole passage, the question as asked, the
selector's own previous sentence). Scored per step on answerable questions (token F1 of the
best sentence, declined = 0) and as the share declined:

- `select`: benchmarks.answer_selection's choice (whole passage, raw question, own previous);
- `+chunks`: the product's chunks instead of the whole passage;
- `+standalone`: and the product's standalone (rewritten) question;
- `+previous`: and the product's previous answer (what the thread stored) — the product's
  own selection;
- `product`: the answer the user got (the model's phrasing, verified).
Diagnosis only (instrumentation wraps answering.select and specialist.verified in this
process); tune on the dev split (dialogs 0-199) only.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import qa
from benchmarks.answer_selection import extractive, hit_for
from benchmarks.common import machine
from benchmarks.quac import load
from frontdesk import answering, specialist
from frontdesk.declines import is_decline
from frontdesk.evaluate import token_f1

STEPS = ("select", "+chunks", "+standalone", "+previous", "product")


class Recorder:
    """Wraps answering.select and specialist.verified to keep the last call's inputs/outputs."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._select = answering.select
        self._verified = specialist.verified
        self._verify = specialist.verify

    def install(self) -> None:
        def select(
            question: str, hits: Any, embedder: Any, previous: Any = None, *a: Any, **k: Any
        ) -> Any:
            sel = self._select(question, hits, embedder, previous, *a, **k)
            self.calls.append(
                {
                    "question": question,
                    "hits": list(hits),
                    "previous": previous,
                    "sel": sel,
                    "embedder": embedder,
                    "kw": k,
                }
            )
            return sel

        def verified(plugin: str, question: str, said: str, *a: Any, **k: Any) -> Any:
            out = self._verified(plugin, question, said, *a, **k)
            if self.calls:
                self.calls[-1]["generated"] = said
                self.calls[-1]["verified"] = out["answer"]
            return out

        def verify(answer: str, question: str, facts: list[str], *a: Any, **k: Any) -> Any:
            # what verification was given, so a rule can be replayed on it without the model
            if self.calls:
                self.calls[-1]["verify_args"] = [answer, question, facts, *map(list, a)]
            return self._verify(answer, question, facts, *a, **k)

        answering.select = select  # type: ignore[assignment]
        specialist.verified = verified  # type: ignore[assignment]
        specialist.verify = verify  # type: ignore[assignment]


def run(engine: Any, dialogs: list[dict[str, Any]], rec: Recorder) -> list[dict[str, Any]]:
    rows = []
    for d in dialogs:
        thread = f"gap-{d['id']}-{time.time_ns()}"
        own_prev: str | None = None
        for turn_no, t in enumerate(d["turns"]):
            rec.calls.clear()
            answer = engine.ask(t["question"], thread, plugin="quac", document=f"{d['id']}.txt")
            call = rec.calls[-1] if rec.calls else None
            row: dict[str, Any] = {
                "dialog": d["id"],
                "turn": turn_no,
                "question": t["question"],
                "answers": t["answers"],
                "answerable": t["answerable"],
                "product": answer.answer,
            }
            outs: dict[str, str] = {}
            whole = [hit_for(d)]
            base = rec._select(t["question"], whole, engine.embedder, own_prev)
            outs["select"] = extractive(base)
            if call is not None:
                emb, kw = call["embedder"], call["kw"]
                sel = rec._select(t["question"], call["hits"], emb, own_prev, **kw)
                outs["+chunks"] = extractive(sel)
                sel = rec._select(call["question"], call["hits"], emb, own_prev, **kw)
                outs["+standalone"] = extractive(sel)
                outs["+previous"] = extractive(call["sel"])
                row.update(
                    standalone=call["question"],
                    previous=call["previous"],
                    own_prev=own_prev,
                    generated=call.get("generated"),
                    verify_args=call.get("verify_args"),
                    chunks=len(call["hits"]),
                    hits=[
                        (h.chunk_id, h.source_name, round(h.score, 3), h.text[:50], len(h.text))
                        for h in call["hits"]
                    ],
                )
            outs["product"] = answer.answer
            row["outs"] = outs
            rows.append(row)
            own_prev = None if is_decline(outs["select"]) else outs["select"]
        engine.delete_thread(thread)
    return rows


def score(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, list[float]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    for r in rows:
        for step, text in r["outs"].items():
            s = out[step]
            declined = is_decline(text)
            if r["answerable"]:
                key = "f1_first" if r["turn"] == 0 else "f1_follow"
                s[key].append(0.0 if declined else token_f1(text, r["answers"]))
                s["answerable_declined"].append(float(declined))
            else:
                s["unanswerable_declined"].append(float(declined))
    return {
        step: {k: round(sum(v) / len(v), 4) for k, v in out[step].items()}
        | {"n": len(out[step]["f1_first"]) + len(out[step]["f1_follow"])}
        for step in STEPS
        if step in out
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--start", type=int, default=0, help="skip this many dialogs of the split")
    parser.add_argument("--limit", type=int, default=15)
    parser.add_argument("--passages", type=int, default=30, help="other passages in the store")
    parser.add_argument("--json", help="write every row and the scores here")
    args = parser.parse_args(argv)
    every, chosen = load(args.split, args.start + args.limit)
    dialogs = chosen[args.start :]
    ids = {d["id"] for d in dialogs}
    passages = dialogs + [d for d in every if d["id"] not in ids][: args.passages]
    rec = Recorder()
    rec.install()
    with tempfile.TemporaryDirectory(prefix="fd-quacgap-") as tmp:
        work = Path(tmp)
        knowledge = work / "home" / "quac-passages"
        knowledge.mkdir(parents=True)
        for d in passages:
            (knowledge / f"{d['id']}.txt").write_text(d["passage"] + "\n")
        qa.write_plugin(
            work / "plugins",
            "quac",
            "Wikipedia passages.",
            ["Did they have any children?"],
            knowledge,
        )
        engine = qa.make_engine(work / "home", work / "plugins", bundled=False)
        print("ingest", qa.ingest(engine))
        started = time.perf_counter()
        rows = run(engine, dialogs, rec)
        seconds = time.perf_counter() - started
    scores = score(rows)
    for step, s in scores.items():
        print(f"{step:12s} " + "  ".join(f"{k} {v}" for k, v in s.items()))
    out = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "split": args.split,
        "dialogs": [d["id"] for d in dialogs],
        "seconds": round(seconds),
        "scores": scores,
        "rows": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    return out


if __name__ == "__main__":
    main()
