"""What hot reload costs: the watcher's idle poll, and a reload after one manifest changed.

    python -m benchmarks.reload [--sizes 10,100] [--runs 5] [--json FILE]
    python -m benchmarks.reload --smoke     # 3 plugins, 1 run, bag-of-words embeddings (CI)

N synthetic plugins (a description and five examples each, one small knowledge file) on
FRONTDESK_PLUGINS_PATH, the real MiniLM embedder (the router embeds every example). For each
size: `reload.signature` (one watcher poll round, nothing changed) and `reload_plugins` after
one manifest's description changed (discovery, the swap, and the router rebuilt).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, percentile, table
from frontdesk.engine import Engine
from frontdesk.reload import reload_plugins, signature
from frontdesk.settings import Settings

TOPICS = ["bread", "roses", "chains", "tax", "chess", "tides", "bees", "glass", "clocks", "maps"]


def _plugins(root: Path, n: int) -> None:
    for i in range(n):
        topic = f"{TOPICS[i % len(TOPICS)]} {i}"
        folder = root / f"p{i:04d}"
        (folder / "knowledge").mkdir(parents=True)
        examples = ", ".join(
            f'"{q} {topic}?"'
            for q in ("What is", "How do I fix", "Why does", "When to use", "Who makes")
        )
        (folder / "plugin.toml").write_text(
            f'name = "p{i:04d}"\ndescription = "Everything about {topic} for the benchmark."\n'
            f'examples = [{examples}]\n[knowledge]\npaths = ["knowledge"]\n'
        )
        (folder / "knowledge" / "notes.md").write_text(f"# {topic}\n\nA note about {topic}.")


def _ms(values: list[float]) -> list[str]:
    return [f"{percentile(values, 0.5) * 1000:.0f}", f"{max(values) * 1000:.0f}"]


def measure(n: int, runs: int, embedder: Any = None) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp())
    _plugins(root / "plugins", n)
    settings = Settings(
        home=root / "home",
        plugins_path=str(root / "plugins"),
        bundled_plugins=False,
        entry_point_plugins=False,
    )
    eng = Engine(settings, embedder=embedder)
    eng.router  # noqa: B018  built once, as a serving engine has it
    polls, reloads = [], []
    for run in range(runs):
        started = time.perf_counter()
        signature(eng)
        polls.append(time.perf_counter() - started)
        manifest = root / "plugins" / "p0000" / "plugin.toml"
        text = manifest.read_text()
        manifest.write_text(text.replace("for the benchmark", f"for the benchmark, round {run}"))
        started = time.perf_counter()
        report = reload_plugins(eng)
        reloads.append(time.perf_counter() - started)
        assert report["changed"] == ["p0000"], report
    return {"plugins": n, "runs": runs, "poll_s": polls, "reload_s": reloads}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="3 plugins, 1 run, no MiniLM")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    embedder = None
    if args.smoke:
        from frontdesk.testing import HashEmbedder

        args.sizes, args.runs, embedder = "3", 1, HashEmbedder()
    results = [measure(int(n), args.runs, embedder) for n in args.sizes.split(",")]
    rows = [[str(r["plugins"]), *_ms(r["poll_s"]), *_ms(r["reload_s"])] for r in results]
    print(machine())
    print(table(["plugins", "poll p50 ms", "poll max ms", "reload p50 ms", "reload max ms"], rows))
    out = {"machine": machine(), "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
