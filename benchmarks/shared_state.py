"""What shared state costs: one machine's SQLite and files against PostgreSQL (a private server
from tests/pg.py, on this machine), and how soon a change reaches another replica.

    python -m benchmarks.shared_state            # 200 turns per backend, 10 signals per interval
    python -m benchmarks.shared_state --smoke    # a few of each (CI)

- per answer: `Engine.ask` on a thread (check the owner, read the thread, claim it, store the
  turn's checkpoint, log the answer) with test models that answer at once and bag-of-words
  embeddings, so what is left is ours: routing, retrieval, the graph and the state writes;
- the answer log's own reads behind the web chat: the thread list and the Stats (1,000 rows);
- one poll of the change signal (what every replica does every FRONTDESK_SYNC_SECONDS);
- from one replica's announce (after an ingest) to another replica having reloaded its plugins,
  with its poller running at 0.5 s and at the default 2 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.conftest import MINI_PLUGINS, write_plugin
from tests.pg import PgServer

from benchmarks.common import machine, percentile, table
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder


def _settings(root: Path, home: str, **extra: Any) -> Settings:
    return Settings(
        home=root / home,
        plugins_path=str(root / "plugins"),
        bundled_plugins=False,
        entry_point_plugins=False,
        coordinator_model="fake:echo",
        default_model="fake:facts",
        router_llm=False,
        **extra,
    )


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5) * 1000, "p95": percentile(values, 0.95) * 1000}


def _timed(fn: Any, n: int) -> list[float]:
    out = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - started)
    return out


def _backend(eng: Engine, turns: int) -> dict[str, Any]:
    eng.ingest()
    questions = [q for _, examples, _ in MINI_PLUGINS.values() for q in examples]
    eng.ask(questions[0], thread_id="warm-up")
    # Threads of two turns, like a short conversation.
    ask = _timed(lambda i: eng.ask(questions[i % len(questions)], f"t-{i // 2}"), turns)
    for _ in range(1000 - turns):  # the log as a busy day leaves it
        eng.log.record(None, "filler", {"route": {"mode": "specialist", "plugins": []},
                                        "reached_coordinator": False, "seconds": 0.1,
                                        "usage": []})  # fmt: skip
    threads = _timed(lambda i: eng.threads(100), 50)
    stats = _timed(lambda i: eng.stats(since_start=False), 20)
    poll = _timed(lambda i: eng.sync.poll(), 200)
    return {
        "ask_on_thread_ms": _ms(ask),
        "thread_list_ms": _ms(threads),
        "stats_1000_answers_ms": _ms(stats),
        "signal_poll_ms": _ms(poll),
        "turns": turns,
    }


def _propagation(root: Path, url: str, interval: float, n: int) -> dict[str, Any]:
    a = Engine(_settings(root, "a", memory_url=url), embedder=HashEmbedder())
    b = Engine(_settings(root, "b", memory_url=url, sync_seconds=interval), embedder=HashEmbedder())
    b.sync.start()
    delays = []
    try:
        for _ in range(n):
            seen = b.sync.reloads
            started = time.perf_counter()
            a.sync.announce("benchmark")
            while b.sync.reloads == seen:
                time.sleep(0.005)
            delays.append(time.perf_counter() - started)
            time.sleep(interval * 0.37)  # announce at varying points of B's polling cycle
    finally:
        b.sync.stop()
        a.close()
        b.close()
    return {"interval_s": interval, "n": n, **_ms(delays), "max": max(delays) * 1000}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    turns, signals = (6, 2) if args.smoke else (200, 10)
    pg = PgServer()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, (desc, examples, docs) in MINI_PLUGINS.items():
            write_plugin(root / "plugins", name, desc, examples, docs)
        pg.start()
        try:
            results["SQLite + files"] = _backend(
                Engine(_settings(root, "one-machine"), embedder=HashEmbedder()), turns
            )
            eng = Engine(_settings(root, "pg", memory_url=pg.url), embedder=HashEmbedder())
            results["PostgreSQL"] = _backend(eng, turns)
            eng.close()
            propagation = [_propagation(root, pg.url, s, signals) for s in (0.5, 2.0)]
        finally:
            pg.stop()
    rows = [
        [
            name,
            f"{r['ask_on_thread_ms']['p50']:.1f} / {r['ask_on_thread_ms']['p95']:.1f}",
            f"{r['thread_list_ms']['p50']:.2f} / {r['thread_list_ms']['p95']:.2f}",
            f"{r['stats_1000_answers_ms']['p50']:.1f} / {r['stats_1000_answers_ms']['p95']:.1f}",
            f"{r['signal_poll_ms']['p50']:.3f} / {r['signal_poll_ms']['p95']:.3f}",
        ]
        for name, r in results.items()
    ]
    print(f"shared state ({turns} turns per backend; {machine()})")
    print(
        table(
            [
                "state on",
                "answer on a thread p50 / p95 ms",
                "thread list ms",
                "Stats over 1,000 answers ms",
                "change-signal poll ms",
            ],
            rows,
        )
    )
    print(
        table(
            ["poll interval", "signals", "change seen p50 ms", "p95 ms", "max ms"],
            [
                [
                    f"{p['interval_s']} s",
                    str(p["n"]),
                    f"{p['p50']:.0f}",
                    f"{p['p95']:.0f}",
                    f"{p['max']:.0f}",
                ]
                for p in propagation
            ],
        )  # fmt: skip
    )
    out = {"machine": machine(), "results": results, "propagation": propagation}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
