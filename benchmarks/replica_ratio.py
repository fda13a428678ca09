"""Two replicas against one, each replica on a core of its own: what the code can do, measured as
a ratio in one run (issue 11: two replicas >= 1.7x one replica's rate).

    python -m benchmarks.replica_ratio --json benchmarks/results/replica_ratio.json
    python -m benchmarks.replica_ratio --seconds 3 --modes pinned     # a quick look

The bundled plugins (their real knowledge, MiniLM routing and retrieval, API keys, the SQLite
answer log) on one FRONTDESK_HOME, served by two `frontdesk serve` replicas whose every model is
`fake:facts` from frontdesk.testing, run inside the replica (benchmarks/instant.py): it answers
at once with the first fact it is given, so no model host takes CPU from the replicas. The load
comes from `wrk` (C, Debian package `wrk`) with a Lua script cycling through
benchmarks/data/mixed.jsonl: closed-loop connections, first all on replica A, then half on A and
half on B, in the same run. Before the phases each replica answers every question once and
is left to finish its start-up work (the knowledge warm-up), so no phase pays a first pass.

Modes: `pinned` puts replica A on CPU 0 and B on CPU 1 (`sched_setaffinity`, as `taskset` does), so a second replica brings
a core the first did not have; `unpinned` lets the scheduler place everything (one replica may
then use both cores through its own threads: ONNX, Chroma, the graph's pool). The answer log
is counted before and after each phase: every request wrk saw answered is a row written by a
replica (routing, retrieval, selection and logging really ran).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.servers import free_port, wait_ready

from benchmarks.common import REPO, machine
from benchmarks.scaleout import (
    KEY,
    ask,
    cpu_seconds,
    finish,
    load_average,
    prepare,
    questions,
    wait_idle,
)

MODEL = "fake:facts"

LUA = """
local questions = {%s}
local n = 0
request = function()
  n = n + 1
  local q = questions[(n %% #questions) + 1]
  local body = '{"model": "frontdesk", "messages": [{"role": "user", "content": ' .. q .. '}]}'
  return wrk.format("POST", "/v1/chat/completions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "status_errors": %%d, "socket_errors": %%d, '
    .. '"p50_ms": %%f, "p95_ms": %%f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def answers_logged(home: Path) -> int:
    with sqlite3.connect(home / "history.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of `pid` (and so those they start later) on `cpus`; a thread that ends
    meanwhile is skipped (LangGraph's per-run pools come and go)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError, FileNotFoundError):
            os.sched_setaffinity(int(task.name), cpus)


def wrk(url: str, connections: int, seconds: float, script: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(script)]
        + [url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate()
    found = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if not found:
        raise RuntimeError(f"wrk gave no result:\n{out}")
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def phase(
    urls: list[str], pids: list[int], home: Path, connections: int, seconds: float, script: Path
) -> dict[str, Any]:
    """`connections` spread evenly over `urls` for `seconds`."""
    load_before = load_average()
    logged = answers_logged(home)
    cpu = [cpu_seconds(p) for p in pids]
    procs = [wrk(url, connections // len(urls), seconds, script) for url in urls]
    runs = [result(p) for p in procs]
    answered = sum(r["requests"] - r["status_errors"] for r in runs)
    return {
        "replicas": len(urls),
        "connections": connections,
        "answers": answered,
        "answers_per_s": sum((r["requests"] - r["status_errors"]) / r["seconds"] for r in runs),
        "per_replica": [r["requests"] - r["status_errors"] for r in runs],
        "latency_p50_ms": [round(r["p50_ms"], 1) for r in runs],
        "latency_p95_ms": [round(r["p95_ms"], 1) for r in runs],
        "errors": sum(r["status_errors"] + r["socket_errors"] for r in runs),
        "answers_logged": answers_logged(home) - logged,
        "replica_cpu_s": [round(cpu_seconds(p) - c, 1) for p, c in zip(pids, cpu, strict=True)],
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=8, help="closed-loop connections")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--modes", nargs="+", default=["pinned", "unpinned"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    limits = {
        "FRONTDESK_MAX_CONCURRENCY": str(args.connections),
        "FRONTDESK_MAX_QUEUE": "64",
        "FRONTDESK_PLUGIN_POLL_SECONDS": "0",
    }
    out: dict[str, Any] = {"cpus": os.cpu_count(), "connections": args.connections}
    with tempfile.TemporaryDirectory(prefix="frontdesk-ratio-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        env = prepare(root, None, limits)  # ingested with the plugins' own specs
        for toml in (root / "plugins").glob("*/plugin.toml"):
            text = re.sub(r'^model = ".*"$', f'model = "{MODEL}"', toml.read_text(), flags=re.M)
            toml.write_text(text)
        env |= {"FRONTDESK_COORDINATOR_MODEL": MODEL, "FRONTDESK_DEFAULT_MODEL": MODEL}
        home = Path(env["FRONTDESK_HOME"])
        script = root / "questions.lua"
        quoted = ", ".join(f"[==[{json.dumps(q)}]==]" for q in questions())
        script.write_text(LUA % (quoted, KEY))
        urls, pids = [], []
        for i in range(2):
            port = free_port()
            log = stack.enter_context((root / f"replica{i}.log").open("wb"))
            proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.instant", "serve", "--port", str(port)],
                env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(proc.wait, 20)
            stack.callback(proc.terminate)
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc, timeout=300)
            body = ask(url, "How long should I rest a steak?", timeout=900)
            assert body["choices"][0]["message"]["content"], body
            urls.append(url)
            pids.append(proc.pid)
        for url in urls:  # every question once: what is left to learn is learnt (both codes)
            for question in questions():
                ask(url, question, timeout=120)
        out["start_up_idle_wait_s"] = round(wait_idle(pids), 1)
        cpus = os.cpu_count() or 1
        for mode in args.modes:
            for i, pid in enumerate(pids):
                pin(pid, {i % cpus} if mode == "pinned" else set(range(cpus)))
            one = phase(urls[:1], pids, home, args.connections, args.seconds, script)
            two = phase(urls, pids, home, args.connections, args.seconds, script)
            ratio = two["answers_per_s"] / one["answers_per_s"] if one["answers_per_s"] else 0.0
            out[mode] = {"one_replica": one, "two_replicas": two, "ratio": ratio}
            for name, r in (("1 replica ", one), ("2 replicas", two)):
                print(
                    f"{mode:8} {name}: {r['answers_per_s']:.1f} answers/s "
                    f"({r['answers']} answered, {r['answers_logged']} logged, per replica "
                    f"{r['per_replica']}, errors {r['errors']}, p50 {r['latency_p50_ms']} ms, "
                    f"replica CPU s {r['replica_cpu_s']}, load {r['load_average_before']} → "
                    f"{r['load_average_after']})",
                    flush=True,
                )
            print(f"{mode:8} two replicas / one replica: {ratio:.2f}x", flush=True)
    print(f"machine: {machine()}")
    return finish(out, args.json)


if __name__ == "__main__":
    main()
