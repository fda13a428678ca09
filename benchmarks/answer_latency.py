"""Specialist answer time and the answers themselves, bundled models, example plugins.

    python -m benchmarks.answer_latency

`pipeline.bench_answer` (6 in-domain questions, 3 rounds) for the times, then each question
once more to print the answer and its mode (and the README example, "How long should I rest a
steak?"). Run it on two checkouts to compare before and after.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from benchmarks import pipeline
from frontdesk.engine import Engine
from frontdesk.settings import Settings


def main() -> None:
    home = Path(tempfile.mkdtemp())
    print(json.dumps(pipeline.bench_answer(home, 3), indent=1))
    engine = Engine(Settings(home=home, entry_point_plugins=False, router_llm=False))
    for question in [*pipeline.QUESTIONS, "How long should I rest a steak?"]:
        answer = engine.ask(question)
        print(f"{question} -> [{answer.route['mode']}] {answer.answer!r}")


if __name__ == "__main__":
    main()
