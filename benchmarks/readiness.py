"""How long `/readyz` takes (Engine.readiness, the body of the route) with every model host up,
with one host refusing connections, and with one host that accepts and never answers.

    python -m benchmarks.readiness            # 20 runs per case
    python -m benchmarks.readiness --smoke    # 2 runs per case (CI)

Three plugins on tiny knowledge folders (bag-of-words embeddings: readiness embeds nothing),
the coordinator on the bundled llama.cpp model, plugin models on a live Ollama-protocol server
(tests/ollama_server.py in its own process), a closed port, or a listening socket that never
answers. FRONTDESK_PROBE_TIMEOUT is left at its default.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.ollama_server import MODEL_NAME, OllamaProcess

from benchmarks.common import machine, percentile, table
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

PLUGINS = ("cooking", "gardening", "cycling")


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _engine(root: Path, models: dict[str, str]) -> Engine:
    for name in PLUGINS:
        folder = root / "plugins" / name
        (folder / "knowledge").mkdir(parents=True, exist_ok=True)
        (folder / "plugin.toml").write_text(
            f'name = "{name}"\ndescription = "Questions about {name}."\n'
            f'model = "{models[name]}"\n[knowledge]\npaths = ["knowledge"]\n'
        )
        (folder / "knowledge" / "notes.md").write_text(f"# {name}\n\nA note about {name}.")
    settings = Settings(
        home=root / "home",
        plugins_path=str(root / "plugins"),
        bundled_plugins=False,
        entry_point_plugins=False,
    )
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    return eng


def _measure(eng: Engine, runs: int) -> dict[str, Any]:
    seconds, statuses = [], set()
    for _ in range(runs):
        started = time.perf_counter()
        body = eng.readiness()
        seconds.append(time.perf_counter() - started)
        statuses.add(body["status"])
    down = [c["name"] for c in body["checks"] if not c["ok"]]
    return {
        "status": sorted(statuses),
        "down": down,
        "p50": percentile(seconds, 0.5),
        "p95": percentile(seconds, 0.95),
        "max": max(seconds),
        "timeout": eng.settings.probe_timeout,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    runs = 2 if args.smoke else 20
    results: dict[str, Any] = {}
    with OllamaProcess() as host, socket.socket() as hole, tempfile.TemporaryDirectory() as tmp:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # accepts into the backlog, never reads or answers
        live = f"ollama:{MODEL_NAME}@{host.url}"
        refused = f"ollama:{MODEL_NAME}@{_closed_port()}"
        blackhole = f"ollama:{MODEL_NAME}@http://127.0.0.1:{hole.getsockname()[1]}"
        cases = {
            "every host up": {n: live for n in PLUGINS},
            "one host refusing": {"cooking": live, "gardening": refused, "cycling": live},
            "one host never answering": {"cooking": live, "gardening": live, "cycling": blackhole},
        }
        for i, (case, models) in enumerate(cases.items()):
            results[case] = _measure(_engine(Path(tmp) / str(i), models), runs)
    rows = [
        [
            case,
            "/".join(r["status"]),
            ", ".join(r["down"]).replace(f"@{host.url}", "") or "-",
            f"{r['p50'] * 1000:.0f}",
            f"{r['p95'] * 1000:.0f}",
            f"{r['max'] * 1000:.0f}",
        ]
        for case, r in results.items()
    ]
    print(f"readiness ({runs} runs per case; {machine()})")
    print(table(["case", "status", "checks down", "p50 ms", "p95 ms", "max ms"], rows))
    out = {"runs": runs, "machine": machine(), "results": results}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
