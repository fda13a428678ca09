"""Conversations on the bundled models: follow-ups, repeats, multi-part answers, the desk.

Runs the threads from issue 9 through the real engine (SmolLM2-135M, MiniLM) and prints, per
turn, what the question was understood as, where it went and what came back; then the
coordinator's answer language with the old and the new coordinator prompt.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from benchmarks.common import machine, table
from frontdesk import prompts
from frontdesk.engine import Engine
from frontdesk.settings import Settings

THREADS = [
    [("How long should I rest a steak?", "cooking"), ("Can I freeze cooked rice?", "cooking")],
    [("What is the capital of Peru?", None), ("And what is its population?", None)],
    [("How often should I water tomato plants?", None), ("And what if they are in pots?", None)],
    [("When should I prune my roses?", None), ("And what about the hydrangeas?", None)],
    [("How long should I rest a steak?", None), ("Why?", None)],
    [("How long should I rest a steak, and when should I prune my roses?", None)],
    [("What can you help me with?", None)],
]
OLD_SYSTEM = (
    "You are frontdesk's coordinator, a helpful general assistant. Answer clearly and briefly. "
    "If you are not sure of a fact, say so."
)
PROBES = [
    ("What is the capital of Peru?", "lima"),
    ("What is the capital of Mexico?", "mexico city"),
    ("What is the capital of Spain?", "madrid"),
    ("What language is spoken in Brazil?", "portuguese"),
    ("Who painted the Mona Lisa?", "leonardo"),
]


def run_threads(engine: Engine, threads: list[list[tuple[str, str | None]]]) -> list[dict]:
    rows = []
    for n, thread in enumerate(threads):
        previous = None
        for question, plugin in thread:
            started = time.perf_counter()
            a = engine.ask(question, thread_id=f"bench-{n}", plugin=plugin)
            rows.append(
                {
                    "question": question,
                    "standalone": a.route.get("standalone") or "",
                    "mode": a.route["mode"],
                    "plugins": [p["name"] for p in a.route["plugins"]],
                    "origin": a.route.get("origin"),
                    "answer": a.answer,
                    "repeats_previous": previous is not None and a.answer.strip() == previous,
                    "parts": a.route.get("parts") or [],
                    "seconds": time.perf_counter() - started,
                }
            )
            previous = a.answer.strip()
    return rows


def language_probe(engine: Engine, probes: list[tuple[str, str]]) -> dict[str, Any]:
    model = engine.chat_model(engine.settings.coordinator_model)
    out: dict[str, Any] = {}
    layouts = {
        "before (frontdesk's coordinator, no language)": lambda q: [
            SystemMessage(OLD_SYSTEM),
            HumanMessage(q),
        ],
        "after (COORDINATOR_SYSTEM + coordinator_user)": lambda q: [
            SystemMessage(prompts.COORDINATOR_SYSTEM),
            HumanMessage(prompts.coordinator_user(q)),
        ],
    }
    for name, build in layouts.items():
        replies = [str(model.invoke(build(q)).content) for q, _ in probes]
        out[name] = {
            "english": sum(prompts.language_of(r) == "English" for r in replies),
            "right": sum(key in r.lower() for r, (_, key) in zip(replies, probes, strict=True)),
            "n": len(probes),
            "replies": replies,
        }
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    threads = THREADS[1:2] + THREADS[-1:] if args.smoke else THREADS
    probes = PROBES[:1] if args.smoke else PROBES
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Settings(home=Path(tmp), entry_point_plugins=False))
        engine.ingest()
        rows = run_threads(engine, threads)
        language = language_probe(engine, probes)
    print(f"machine: {machine()}\n")
    print(
        table(
            ["question", "understood as", "mode", "plugins", "answer", "s"],
            [
                [
                    r["question"],
                    r["standalone"],
                    r["mode"],
                    ", ".join(r["plugins"]) or "-",
                    r["answer"].replace("\n", " ")[:90],
                    f"{r['seconds']:.1f}",
                ]
                for r in rows
            ],
        )
    )
    repeats = sum(r["repeats_previous"] for r in rows)
    print(f"\nanswers repeating the thread's previous answer: {repeats} of {len(rows)}\n")
    print(
        table(
            ["coordinator prompt", "answers in English", "right"],
            [
                [k, f"{v['english']}/{v['n']}", f"{v['right']}/{v['n']}"]
                for k, v in language.items()
            ],
        )
    )
    out = {"machine": machine(), "turns": rows, "language": language}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
