"""Specialist answer time and the answers themselves, bundled models, example plugins.

    python -m benchmarks.answer_latency
    python -m benchmarks.answer_latency --followups 5   # a follow-up's time, re-ranking off / on

`pipeline.bench_answer` (6 in-domain questions, 3 rounds) for the times, then each question
once more to print the answer and its mode (and the README example, "How long should I rest a
steak?"). Run it on two checkouts to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import pipeline
from frontdesk.engine import Engine
from frontdesk.settings import Settings

FOLLOWUPS = [
    ("How often should I water tomatoes?", "And what if they are in pots?"),
    ("How long should I rest a steak?", "What about a roast?"),
    ("When should I prune roses?", "How much should I cut back?"),
]


def followups(rounds: int) -> None:
    """Seconds per follow-up answer (its thread's first question not counted), with
    FRONTDESK_FOLLOWUP_RERANK off and lm on one engine (the setting is read per answer); one
    warm-up thread each first (model loads)."""
    home = Path(tempfile.mkdtemp())
    engine = Engine(Settings(home=home, entry_point_plugins=False, router_llm=False))
    engine.ingest()
    for mode in ("off", "lm"):
        engine.settings.followup_rerank = mode  # type: ignore[assignment]
        times: list[float] = []
        for n in range(rounds + 1):
            first, then = FOLLOWUPS[n % len(FOLLOWUPS)]
            thread = f"{mode}-{n}"
            engine.ask(first, thread_id=thread)
            started = time.perf_counter()
            answer = engine.ask(then, thread_id=thread)
            if n:
                times.append(time.perf_counter() - started)
            print(f"{mode} {then} -> {answer.answer!r}", flush=True)
        print(
            json.dumps(
                {
                    "followup_rerank": mode,
                    "followups": len(times),
                    "p50_s": round(statistics.median(times), 3),
                    "mean_s": round(statistics.mean(times), 3),
                    "max_s": round(max(times), 3),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followups", type=int, help="time this many follow-ups per setting")
    args = parser.parse_args()
    if args.followups:
        followups(args.followups)
        return
    home = Path(tempfile.mkdtemp())
    print(json.dumps(pipeline.bench_answer(home, 3), indent=1))
    engine = Engine(Settings(home=home, entry_point_plugins=False, router_llm=False))
    for question in [*pipeline.QUESTIONS, "How long should I rest a steak?"]:
        answer = engine.ask(question)
        print(f"{question} -> [{answer.route['mode']}] {answer.answer!r}")


if __name__ == "__main__":
    main()
