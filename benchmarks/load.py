"""Many clients at once against a real `frontdesk serve`: statuses, latency, server memory, and
that no answer is lost and no thread mixed with another.

    python -m benchmarks.load --json benchmarks/results/load.json   # 20, then 50 clients
    python -m benchmarks.load --smoke        # 3 clients x 1 turn, one slot + one queue place (CI)

The example plugins are ingested into a temporary FRONTDESK_HOME (`frontdesk ingest`, bundled
MiniLM), then one `frontdesk serve` with an API key answers with the bundled SmolLM2; admission
control is left at its defaults (FRONTDESK_MAX_CONCURRENCY=2, FRONTDESK_MAX_QUEUE=8) unless
`--concurrency`/`--queue` say otherwise. One warm-up answer loads the models, then for each N
in `--clients`: N clients start together, each with its own thread (`X-Frontdesk-Thread`) and
`--turns` questions drawn from benchmarks/data/mixed.jsonl (in-domain, cross-domain and
out-of-domain mixed), each tagged with its client and turn so a mixed thread shows. Even-numbered
clients stream (SSE), odd ones do not. A refused turn (429/503) is retried `--retries` times after
its Retry-After; the work is bounded by N x turns x (1 + retries) requests.

Afterwards every thread is read back with GET /v1/threads/<id> (same key):
- nothing lost: every 200 answer is non-empty; the thread holds exactly the questions that got a
  200, in order, each followed by a non-empty stored answer; a non-streamed answer is stored as
  delivered; a thread with no 200 does not exist (404);
- no thread mixed: a thread holds only its own client's questions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.servers import ServeProcess

from benchmarks.common import REPO, machine, percentile, table
from frontdesk.settings import Settings

KEY = "sk-load-benchmark"
QUESTIONS = REPO / "benchmarks" / "data" / "mixed.jsonl"
REFUSED = ("429", "503")


@dataclass
class Attempt:
    client: int
    turn: int
    question: str
    stream: bool
    status: str  # "200", "429", ..., "200 stream error", "connection error"
    seconds: float
    started: float = 0.0  # perf_counter at send; offsets from the run's start in the results
    text: str = ""
    first_token_s: float | None = None
    retry_after: str | None = None
    error: str = ""


@dataclass
class Client:
    index: int
    thread: str
    stream: bool
    questions: list[str]
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def answered(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == "200"]


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak so far) of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def questions_for(index: int, turns: int, pool: list[str]) -> list[str]:
    picked = random.Random(index).sample(pool, turns)
    return [f"{q} (client {index}, turn {t + 1})" for t, q in enumerate(picked)]


async def _send(http: httpx.AsyncClient, client: Client, turn: int) -> Attempt:
    question = client.questions[turn]
    body = {"model": "frontdesk", "messages": [{"role": "user", "content": question}]}
    headers = {"X-Frontdesk-Thread": client.thread}
    att = Attempt(client.index, turn, question, client.stream, "", 0.0)
    started = att.started = time.perf_counter()
    try:
        if not client.stream:
            resp = await http.post("/v1/chat/completions", json=body, headers=headers)
            att.status = str(resp.status_code)
            att.retry_after = resp.headers.get("retry-after")
            data = resp.json()
            if resp.status_code == 200:
                att.text = data["choices"][0]["message"]["content"] or ""
            else:
                att.error = data.get("error", {}).get("message", "")
        else:
            body["stream"] = True
            async with http.stream(
                "POST", "/v1/chat/completions", json=body, headers=headers
            ) as resp:
                att.status = str(resp.status_code)
                att.retry_after = resp.headers.get("retry-after")
                if resp.status_code != 200:
                    att.error = json.loads(await resp.aread()).get("error", {}).get("message", "")
                else:
                    done = False
                    async for line in resp.aiter_lines():
                        if not line.startswith("data: "):
                            continue
                        if line == "data: [DONE]":
                            done = True
                            break
                        chunk = json.loads(line[6:])
                        if "error" in chunk:
                            att.status, att.error = "200 stream error", chunk["error"]["message"]
                            break
                        for choice in chunk.get("choices", []):
                            piece = choice["delta"].get("content") or ""
                            if piece and att.first_token_s is None:
                                att.first_token_s = time.perf_counter() - started
                            att.text += piece
                    if att.status == "200" and not done:
                        att.status, att.error = "200 stream error", "stream ended without [DONE]"
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        att.status, att.error = "connection error", f"{type(exc).__name__}: {exc}"
    att.seconds = time.perf_counter() - started
    return att


async def _run_client(http: httpx.AsyncClient, client: Client, retries: int) -> None:
    for turn in range(len(client.questions)):
        for attempt in range(1 + retries):
            att = await _send(http, client, turn)
            client.attempts.append(att)
            if att.status not in REFUSED:
                break
            if attempt < retries:  # honour the server's Retry-After (1 s if it sent none)
                await asyncio.sleep(float(att.retry_after or 1))


async def _read_threads(url: str, clients: list[Client]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    auth = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=60) as http:
        for c in clients:
            resp = await http.get(f"/v1/threads/{c.thread}")
            out[c.thread] = resp.json()["messages"] if resp.status_code == 200 else resp.status_code
    return out


def check(clients: list[Client], stored: dict[str, Any]) -> dict[str, list[str]]:
    """The two integrity checks; each lists what it found wrong (empty: the check holds)."""
    lost: list[str] = []
    mixed: list[str] = []
    for c in clients:
        answered = c.answered
        for a in answered:
            if not a.text.strip():
                lost.append(f"{c.thread}: turn {a.turn + 1} got an empty 200 answer")
        history = stored[c.thread]
        if not answered:
            if history != 404:
                lost.append(f"{c.thread}: no turn got a 200 but the thread reads as {history!r}")
            continue
        if not isinstance(history, list):
            lost.append(f"{c.thread}: {len(answered)} answered turns but the thread is {history}")
            continue
        users = [m["content"] for m in history if m["role"] == "user"]
        replies = [m["content"] for m in history if m["role"] == "assistant"]
        foreign = [u for u in users if u not in c.questions]
        if foreign:
            mixed.append(f"{c.thread}: holds another client's question {foreign[0]!r}")
        if users != [a.question for a in answered]:
            lost.append(f"{c.thread}: stored questions {users} != answered {len(answered)} turns")
        if [m["role"] for m in history] != ["user", "assistant"] * len(answered):
            lost.append(f"{c.thread}: stored roles are not one question + one answer per turn")
            continue
        for a, reply in zip(answered, replies, strict=True):
            if not reply.strip():
                lost.append(f"{c.thread}: turn {a.turn + 1} stored an empty answer")
            elif not a.stream and reply != a.text:
                lost.append(f"{c.thread}: turn {a.turn + 1} stored an answer other than delivered")
    return {"lost": lost, "mixed": mixed}


async def _load(url: str, n: int, turns: int, retries: int) -> list[Client]:
    run = uuid.uuid4().hex[:8]  # fresh thread ids per run: a repeated N must not reuse threads
    pool = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line]
    clients = [
        Client(i, f"load-{run}-n{n}-c{i:02d}", i % 2 == 0, questions_for(i, turns, pool))
        for i in range(n)
    ]
    auth = {"Authorization": f"Bearer {KEY}"}
    # Generous client timeout: a request the client gave up on could still be stored later.
    timeout = httpx.Timeout(900, connect=30)
    https = [httpx.AsyncClient(base_url=url, headers=auth, timeout=timeout) for _ in clients]
    try:
        await asyncio.gather(
            *(_run_client(h, c, retries) for h, c in zip(https, clients, strict=True))
        )
    finally:
        await asyncio.gather(*(h.aclose() for h in https))
    return clients


def run_n(srv: ServeProcess, n: int, turns: int, retries: int) -> dict[str, Any]:
    before = rss_kib(srv.proc.pid)
    started = time.perf_counter()
    clients = asyncio.run(_load(srv.url, n, turns, retries))
    seconds = time.perf_counter() - started
    after = rss_kib(srv.proc.pid)
    stored = asyncio.run(_read_threads(srv.url, clients))
    problems = check(clients, stored)
    attempts = [a for c in clients for a in c.attempts]
    admitted_at_once = max_admitted(attempts)
    for a in attempts:
        a.started -= started
    statuses: dict[str, int] = {}
    for a in attempts:
        statuses[a.status] = statuses.get(a.status, 0) + 1
    refusals = [a for a in attempts if a.status in REFUSED]
    ok = [a for a in attempts if a.status == "200"]

    def pct(values: list[float]) -> dict[str, float]:
        return {"n": len(values), "p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}

    return {
        "clients": n,
        "turns": turns,
        "retries": retries,
        "requests": len(attempts),
        "seconds": seconds,
        "statuses": dict(sorted(statuses.items())),
        "answered_turns": len(ok),
        "answers_per_min": len(ok) / seconds * 60,
        "max_admitted_at_once": admitted_at_once,
        "turns_total": n * turns,
        "refusals": len(refusals),
        "refusals_with_retry_after": sum(1 for a in refusals if a.retry_after),
        "retry_after_values": sorted({a.retry_after for a in refusals if a.retry_after}),
        "latency_s": pct([a.seconds for a in ok]),
        "latency_s_streamed": pct([a.seconds for a in ok if a.stream]),
        "latency_s_not_streamed": pct([a.seconds for a in ok if not a.stream]),
        "first_token_s_streamed": pct([a.first_token_s for a in ok if a.first_token_s is not None]),
        "refusal_latency_s": pct([a.seconds for a in refusals]),
        "rss_mib": {
            "before": before["VmRSS"] / 1024,
            "after": after["VmRSS"] / 1024,
            "peak": after["VmHWM"] / 1024,
        },
        "nothing_lost": not problems["lost"],
        "no_thread_mixed": not problems["mixed"],
        "problems": {k: v[:20] for k, v in problems.items()},
        "errors": sorted({f"{a.status}: {a.error}" for a in attempts if a.error})[:20],
        "attempts": [{k: v for k, v in asdict(a).items() if k != "text"} for a in attempts],
    }


def max_admitted(attempts: list[Attempt]) -> int:
    """Most requests admitted at once (running or queued), seen from the clients: an upper bound
    on the server's count, since a client's interval encloses the server's."""
    edges = sorted(
        (t, step)
        for a in attempts
        if a.status != "429"  # refused at the door; a 503 did wait in the queue
        for t, step in ((a.started, 1), (a.started + a.seconds, -1))
    )
    most = now = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start
        now += step
        most = max(most, now)
    return most


def _ingest(home: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "frontdesk", "ingest"],
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"frontdesk ingest failed in {home}: {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - started


def _row(r: dict[str, Any]) -> list[str]:
    lat = r["latency_s"]
    rss = r["rss_mib"]
    return [
        str(r["clients"]),
        f"{r['requests']} ({r['answered_turns']}/{r['turns_total']} turns answered)",
        ", ".join(f"{k}: {v}" for k, v in r["statuses"].items()),
        f"{r['refusals_with_retry_after']}/{r['refusals']}",
        f"{lat['p50']:.1f} / {lat['p95']:.1f}",
        f"{r['answers_per_min']:.1f}",
        str(r["max_admitted_at_once"]),
        f"{rss['before']:.0f} → {rss['after']:.0f} (peak {rss['peak']:.0f})",
        "yes" if r["nothing_lost"] else "NO",
        "yes" if r["no_thread_mixed"] else "NO",
        f"{r['seconds']:.0f}",
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--turns", type=int, default=3, help="questions per client")
    parser.add_argument("--retries", type=int, default=1, help="retries of a refused turn")
    parser.add_argument("--concurrency", type=int, help="FRONTDESK_MAX_CONCURRENCY for the server")
    parser.add_argument("--queue", type=int, help="FRONTDESK_MAX_QUEUE for the server")
    parser.add_argument("--smoke", action="store_true", help="3 clients x 1 turn, 1 slot")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.smoke:  # one slot and one queue place: three clients at once exercise a refusal
        args.clients, args.turns = [3], 1
        args.concurrency, args.queue = 1, 1
    defaults = Settings.model_fields
    limits = {
        "FRONTDESK_MAX_CONCURRENCY": args.concurrency or defaults["max_concurrency"].default,
        "FRONTDESK_MAX_QUEUE": args.queue
        if args.queue is not None
        else defaults["max_queue"].default,
        "FRONTDESK_QUEUE_TIMEOUT": defaults["queue_timeout"].default,
    }
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-load-") as tmp:
        home = Path(tmp)
        env = {
            "FRONTDESK_HOME": str(home),
            "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
            "FRONTDESK_API_KEYS": KEY,
            **{k: str(v) for k, v in limits.items()},
        }
        ingest_s = _ingest(home, env)
        with ServeProcess(env, home / "server.log") as srv:
            rss_start = rss_kib(srv.proc.pid)["VmRSS"] / 1024
            warm = httpx.post(
                f"{srv.url}/v1/chat/completions",
                json={"model": "frontdesk", "messages": [{"role": "user", "content": "Hello"}]},
                headers={"Authorization": f"Bearer {KEY}"},
                timeout=600,
            )
            warm.raise_for_status()
            for n in args.clients:
                results.append(run_n(srv, n, args.turns, args.retries))
            log_tail = (home / "server.log").read_text(errors="replace").splitlines()[-40:]
    if any(k.startswith("5") and k != "503" for r in results for k in r["statuses"]):
        print("server log (last lines):\n" + "\n".join(log_tail), file=sys.stderr)
    print(
        f"load ({args.turns} turns per client, {args.retries} retry of a refused turn; "
        f"server limits {limits}; {machine()})"
    )
    print(
        table(
            [
                "clients",
                "requests",
                "statuses",
                "refusals with Retry-After",
                "answer p50 / p95 s",
                "answers/min",
                "max admitted at once",
                "server RSS MiB before → after",
                "nothing lost",
                "no thread mixed",
                "wall s",
            ],
            [_row(r) for r in results],
        )
    )
    for r in results:
        for kind, found in r["problems"].items():
            for line in found:
                print(f"{r['clients']} clients, {kind}: {line}")
    out = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "server_limits": limits,
        "ingest_s": ingest_s,
        "rss_mib_at_start": rss_start,
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
