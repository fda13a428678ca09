"""Shared set-up for the scale-out benchmarks (benchmarks/overhead.py, benchmarks/replicas.py):
the bundled plugins in a temporary FRONTDESK_HOME (optionally on another model spec), ingested
once, `frontdesk serve` replicas on that home, and closed-loop clients spread over them."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.servers import ServeProcess

from benchmarks.common import REPO, machine, percentile, table
from benchmarks.load import _ingest

KEY = "sk-scaleout-benchmark"
QUESTIONS = REPO / "benchmarks" / "data" / "mixed.jsonl"


def questions() -> list[str]:
    import json

    return [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (all its threads) has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: list[int], quiet: float = 2.0, timeout: float = 300) -> float:
    """Wait until the processes have used almost no CPU for `quiet` seconds (start-up work such
    as the knowledge warm-up done); returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        before = sum(cpu_seconds(p) for p in pids)
        time.sleep(quiet)
        if sum(cpu_seconds(p) for p in pids) - before < 0.05 * quiet * len(pids):
            break
    return time.perf_counter() - started


def prepare(home: Path, model: str | None, extra_env: dict[str, str]) -> dict[str, str]:
    """The bundled plugins copied under `home` (each on `model` when given), ingested; returns
    the environment every replica runs with."""
    plugins = home / "plugins"
    for src in sorted((REPO / "plugins").iterdir()):
        if not (src / "plugin.toml").is_file():
            continue
        dst = plugins / src.name
        shutil.copytree(src, dst)
        toml = (dst / "plugin.toml").read_text()
        # The copies keep reading the repository's knowledge folders.
        toml = toml.replace('"../../knowledge/', f'"{REPO}/knowledge/')
        if model:
            toml = re.sub(r'^model = ".*"$', f'model = "{model}"', toml, flags=re.M)
        (dst / "plugin.toml").write_text(toml)
    env = {
        "FRONTDESK_HOME": str(home / "home"),
        "FRONTDESK_PLUGINS_PATH": str(plugins),
        "FRONTDESK_BUNDLED_PLUGINS": "false",
        "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
        "FRONTDESK_API_KEYS": KEY,
        **(
            {"FRONTDESK_COORDINATOR_MODEL": model, "FRONTDESK_DEFAULT_MODEL": model}
            if model
            else {}
        ),
        **extra_env,
    }
    _ingest(home, env)
    return env


def start_replicas(stack: ExitStack, env: dict[str, str], n: int, logs: Path) -> list[str]:
    """n `frontdesk serve` processes on one FRONTDESK_HOME, each warmed up by one answer."""
    urls = []
    for i in range(n):
        srv = stack.enter_context(ServeProcess(env, logs / f"replica{i}.log"))
        ask(srv.url, "Hello", timeout=900)
        urls.append(srv.url)
    return urls


def ask(
    url: str, question: str, timeout: float = 120, client: httpx.Client | None = None
) -> dict[str, Any]:
    """One answer; with `client`, on its kept-alive connection (a new client per request
    costs the caller a TLS context and a TCP handshake, which overhead.py used to count)."""
    reply = (client or httpx).post(
        f"{url}/v1/chat/completions",
        json={"model": "frontdesk", "messages": [{"role": "user", "content": question}]},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=timeout,
    )
    reply.raise_for_status()
    return reply.json()  # type: ignore[no-any-return]


def model_seconds(body: dict[str, Any]) -> float:
    """Seconds the answer spent inside model calls, as the server measured them."""
    return float(sum(u.get("seconds", 0.0) for u in body["frontdesk"]["usage_by_model"]))


@dataclass
class Loop:
    """Closed-loop clients: each sends its next question as soon as its answer is back."""

    urls: list[str]
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    per_url: dict[str, int] = field(default_factory=dict)

    async def _client(self, index: int, pool: list[str], stop_at: float) -> None:
        auth = {"Authorization": f"Bearer {KEY}"}
        url = self.urls[index % len(self.urls)]  # each client stays on one replica
        async with httpx.AsyncClient(base_url=url, headers=auth, timeout=900) as http:
            turn = 0
            while time.perf_counter() < stop_at:
                question = pool[(index * 7 + turn) % len(pool)]
                turn += 1
                body = {"model": "frontdesk", "messages": [{"role": "user", "content": question}]}
                started = time.perf_counter()
                try:
                    reply = await http.post("/v1/chat/completions", json=body)
                except httpx.HTTPError as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                if reply.status_code != 200:
                    self.errors.append(f"HTTP {reply.status_code}: {reply.text[:200]}")
                    await asyncio.sleep(0.2)
                    continue
                self.latencies.append(time.perf_counter() - started)
                self.per_url[url] = self.per_url.get(url, 0) + 1

    def run(self) -> dict[str, Any]:
        pool = questions()
        load_before = load_average()
        started = time.perf_counter()

        async def all_clients() -> None:
            stop_at = time.perf_counter() + self.seconds
            await asyncio.gather(*(self._client(i, pool, stop_at) for i in range(self.clients)))

        asyncio.run(all_clients())
        wall = time.perf_counter() - started
        return {
            "replicas": len(self.urls),
            "clients": self.clients,
            "wall_s": wall,
            "answers": len(self.latencies),
            "answers_per_s": len(self.latencies) / wall,
            "answers_per_min": len(self.latencies) / wall * 60,
            "per_replica": sorted(self.per_url.values()),
            "latency_p50_s": percentile(self.latencies, 0.5) if self.latencies else None,
            "latency_p95_s": percentile(self.latencies, 0.95) if self.latencies else None,
            "errors": len(self.errors),
            "error_examples": sorted(set(self.errors))[:5],
            "load_average_before": load_before,
            "load_average_after": load_average(),
        }


def finish(out: dict[str, Any], json_path: Path | None) -> dict[str, Any]:
    """The results with the machine and the date, written to `json_path` when given."""
    import json

    out = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), **out}
    if json_path:
        json_path.write_text(json.dumps(out, indent=2))
    return out


def loop_table(label: str, rows: list[tuple[str, dict[str, Any]]], per: str) -> str:
    """One row per closed-loop run (Loop.run results); rates per second or per minute."""
    return table(
        [label, "clients", "answers", f"answers/{per}", "per replica", "latency p50 / p95 s"]
        + ["errors", "load average before → after"],
        [
            [
                name,
                str(r["clients"]),
                str(r["answers"]),
                f"{r['answers_per_' + per]:.1f}",
                ", ".join(str(n) for n in r["per_replica"]),
                f"{r['latency_p50_s'] or 0:.2f} / {r['latency_p95_s'] or 0:.2f}",
                str(r["errors"]),
                f"{r['load_average_before']} → {r['load_average_after']}",
            ]
            for name, r in rows
        ],
    )
