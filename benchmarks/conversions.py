"""Kitchen unit conversions answered by the bundled models, with and without the cooking
plugin's `convert_units` tool (issue 10: specialists with tools).

    python -m benchmarks.conversions                 # the bundled plugins as they are
    python -m benchmarks.conversions --no-tools      # cooking without its hooks.py / [tools]
    python -m benchmarks.conversions --smoke         # 3 conversions, 1 other question (CI)

Every question goes through `Engine.ask` unforced (routing included), on SmolLM2-135M and
MiniLM, offline. A conversion is right when the answer states the expected figure (worked out
here, independently of the tool); the other cooking questions check that no tool runs where
none fits. Run the same file with another checkout's interpreter to get its figures.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, machine, table
from frontdesk.engine import Engine
from frontdesk.settings import Settings

# (question, the figure a right answer states)
CONVERSIONS = [
    ("What is 180 C in Fahrenheit?", 180 * 9 / 5 + 32),
    ("Convert 350 F to Celsius.", (350 - 32) * 5 / 9),
    ("What is 200 degrees Celsius in Fahrenheit?", 200 * 9 / 5 + 32),
    ("What is 425F in C?", (425 - 32) * 5 / 9),
    ("What is 160 C in F for a fan oven?", 160 * 9 / 5 + 32),
    ("How many grams is 8 oz?", 8 * 28.3495),
    ("How many grams are in 1 pound?", 453.592),
    ("Convert 500 g to ounces.", 500 / 28.3495),
    ("How many kg is 3 lb?", 3 * 0.453592),
    ("How many ml in 2 cups?", 2 * 236.588),
    ("How many tablespoons are in 1 cup?", 16),
    ("Convert 9 teaspoons to tablespoons.", 3),
    ("How many ml is 1 tablespoon?", 14.787),
    ("What is 250 ml in cups?", 250 / 236.588),
    ("Convert 1 pint to ml.", 473.176),
    ("How many fluid ounces in 500 ml?", 500 / 29.5735),
]
OTHERS = [
    "How long should I rest a steak after cooking it?",
    "Can I freeze cooked rice?",
    "Why did my bread dough not rise?",
    "How do I season a cast iron pan?",
]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def right(answer: str, expected: float) -> bool:
    """The answer states the figure (rounded as a cook would: whole numbers from 100 up)."""
    said = {float(n.replace(",", ".")) for n in _NUMBER.findall(answer)}
    step = 1.0 if abs(expected) >= 100 else 0.1
    return any(abs(n - expected) <= step / 2 + 1e-9 for n in said)


def _plugins(root: Path, tools: bool) -> str:
    """The bundled plugins; without tools, cooking is a copy with no hooks and no [tools]."""
    if tools:
        return str(REPO / "plugins")
    cooking = root / "plugins" / "cooking"
    shutil.copytree(REPO / "plugins" / "cooking", cooking, ignore=shutil.ignore_patterns("*.py"))
    toml = (cooking / "plugin.toml").read_text()
    toml = re.sub(r"(?m)^hooks = .*\n", "", toml).split("\n[tools]")[0]
    toml = toml.replace("../../knowledge/cooking", str(REPO / "knowledge" / "cooking"))
    (cooking / "plugin.toml").write_text(toml)
    return f"{cooking}:{REPO / 'plugins' / 'gardening'}:{REPO / 'plugins' / 'cycling'}"


def run(tools: bool, smoke: bool) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="fd-conversions-"))
    settings = Settings(
        home=root / "home",
        plugins_path="" if tools else _plugins(root, tools),
        bundled_plugins=tools,
        entry_point_plugins=False,
    )
    engine = Engine(settings)
    engine.ingest()
    conversions = CONVERSIONS[:3] if smoke else CONVERSIONS
    others = OTHERS[:1] if smoke else OTHERS
    rows: list[dict[str, Any]] = []
    for question, expected in [*conversions, *((q, None) for q in others)]:
        started = time.perf_counter()
        answer = engine.ask(question).as_dict()
        seconds = time.perf_counter() - started
        route = answer["route"]
        rows.append(
            {
                "question": question,
                "conversion": expected is not None,
                "right": expected is not None and right(answer["answer"], expected),
                "plugins": [p["name"] for p in route["plugins"]],
                "mode": route["mode"],
                "tool_calls": len(route.get("tools", [])),
                "answer": answer["answer"],
                "seconds": round(seconds, 3),
            }
        )
    shutil.rmtree(root, ignore_errors=True)
    conv = [r for r in rows if r["conversion"]]
    rest = [r for r in rows if not r["conversion"]]
    return {
        "tools": tools,
        "conversions": len(conv),
        "right": sum(r["right"] for r in conv),
        "to_cooking": sum(r["plugins"] == ["cooking"] for r in conv),
        "with_tool_call": sum(r["tool_calls"] > 0 for r in conv),
        "others": len(rest),
        "others_with_tool_call": sum(r["tool_calls"] > 0 for r in rest),
        "p50_s": round(statistics.median(r["seconds"] for r in conv), 2),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tools", action="store_true", help="cooking without its tool")
    parser.add_argument("--smoke", action="store_true", help="a few questions only")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    out = run(tools=not args.no_tools, smoke=args.smoke)
    out["machine"] = machine()
    print(
        table(
            ["cooking tool", "conversions right", "routed to cooking", "tool called",
             "other questions with a tool call", "p50 s (conversions)"],
            [[
                "on" if out["tools"] else "off",
                f"{out['right']}/{out['conversions']}",
                f"{out['to_cooking']}/{out['conversions']}",
                f"{out['with_tool_call']}/{out['conversions']}",
                f"{out['others_with_tool_call']}/{out['others']}",
                f"{out['p50_s']:.2f}",
            ]],
        )
    )  # fmt: skip
    for r in out["rows"]:
        mark = "ok " if r["right"] else ("-  " if not r["conversion"] else "BAD")
        print(f"{mark} {r['question']} -> {r['mode']} {r['plugins']}: {r['answer'][:90]!r}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
