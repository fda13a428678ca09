"""The orchestration's own cost: answers from a model that answers at once, through one and two
`frontdesk serve` replicas.

    python -m benchmarks.overhead --json benchmarks/results/overhead.json
    python -m benchmarks.overhead --smoke          # a few answers, 3 s loops (CI)

The bundled plugins (their real knowledge, MiniLM routing and retrieval, the API with a key)
answer through `ollama:` on tests/ollama_server.py in canned mode: it replies at once with the
first fact it was given, so what remains is ours (routing, retrieval, prompts, graph, memory,
HTTP). Two replicas share one FRONTDESK_HOME and a pool of two canned hosts.

1. Overhead per answer: `--sequential` questions one at a time to one replica, on one kept-alive
   connection (as a client or a load balancer holds one); per answer, the
   latency the client saw minus the seconds the server spent inside model calls (usage_by_model);
   p50/p95 of both.
2. Rate: `--clients` closed-loop clients for `--seconds`, first all on replica A, then spread over
   A and B (half each) — in one run, so the ratio compares like with like. The load average is
   printed with each phase: the machine's 2 cores are shared.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from tests.ollama_server import MODEL_NAME, OllamaProcess
from tests.servers import ServeProcess

from benchmarks.common import machine, percentile, table
from benchmarks.scaleout import (
    Loop,
    ask,
    cpu_seconds,
    finish,
    load_average,
    loop_table,
    model_seconds,
    prepare,
    questions,
    wait_idle,
)


def sequential(url: str, pid: int, n: int) -> dict[str, Any]:
    pool = questions()
    latency, overhead, model = [], [], []
    load_before = load_average()
    cpu_before = cpu_seconds(pid)
    client = httpx.Client()  # one kept-alive connection, as a client or a balancer holds
    for i in range(n):
        started = time.perf_counter()
        body = ask(url, pool[i % len(pool)], client=client)
        seconds = time.perf_counter() - started
        latency.append(seconds)
        model.append(model_seconds(body))
        overhead.append(seconds - model[-1])
    ms = {
        name: {"p50": percentile(v, 0.5) * 1000, "p95": percentile(v, 0.95) * 1000}
        for name, v in (("latency", latency), ("overhead", overhead), ("model", model))
    }
    # The first pass over the questions meets knowledge sentences not yet embedded.
    first = len(pool)
    if n > first:
        ms["overhead first pass"] = {
            "p50": percentile(overhead[:first], 0.5) * 1000,
            "p95": percentile(overhead[:first], 0.95) * 1000,
        }
        ms["overhead later passes"] = {
            "p50": percentile(overhead[first:], 0.5) * 1000,
            "p95": percentile(overhead[first:], 0.95) * 1000,
        }
    return {
        "answers": n,
        "ms": ms,
        # The replica's own CPU per answer: unlike wall time, hardly moved by other work.
        "cpu_ms_per_answer": (cpu_seconds(pid) - cpu_before) / n * 1000,
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200, help="answers one at a time")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each rate phase")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.smoke:
        args.sequential, args.clients, args.seconds = 5, 2, 3.0
    limits = {
        "FRONTDESK_MAX_CONCURRENCY": str(args.clients),
        "FRONTDESK_MAX_QUEUE": "64",
        "FRONTDESK_WARMUP": "true",  # as `frontdesk serve` runs by default
    }
    with tempfile.TemporaryDirectory(prefix="frontdesk-overhead-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        hosts = [stack.enter_context(OllamaProcess(canned=True)) for _ in range(2)]
        # Both replicas on a pool of both canned hosts, so neither host limits the rate.
        spec = f"ollama:{MODEL_NAME}@" + ",".join(h.url for h in hosts)
        env = prepare(root, spec, limits)
        urls, pids = [], []
        for i in range(2):
            srv = stack.enter_context(ServeProcess(env, root / f"replica{i}.log"))
            ask(srv.url, "Hello", timeout=900)  # loads the embedder and the router
            urls.append(srv.url)
            pids.append(srv.proc.pid)
        # Start-up work still running (the knowledge warm-up, warmup.py) is not an answer's.
        idle_wait = wait_idle(pids)
        seq = sequential(urls[0], pids[0], args.sequential)
        one = Loop(urls[:1], args.clients, args.seconds).run()
        two = Loop(urls, args.clients, args.seconds).run()
    ratio = two["answers_per_s"] / one["answers_per_s"] if one["answers_per_s"] else 0.0
    print(f"orchestration overhead ({machine()}; canned model host)")
    print(
        table(
            [
                "answers one at a time",
                "latency p50 / p95 ms",
                "model p50 ms",
                "overhead p50 / p95 ms",
                "replica CPU ms per answer",
                "load average (1/5/15 min) before → after",
            ],
            [
                [
                    str(seq["answers"]),
                    f"{seq['ms']['latency']['p50']:.1f} / {seq['ms']['latency']['p95']:.1f}",
                    f"{seq['ms']['model']['p50']:.1f}",
                    f"{seq['ms']['overhead']['p50']:.1f} / {seq['ms']['overhead']['p95']:.1f}",
                    f"{seq['cpu_ms_per_answer']:.1f}",
                    f"{seq['load_average_before']} → {seq['load_average_after']}",
                ]
            ],
        )
    )
    print(loop_table("replicas", [("1", one), ("2", two)], "s"))
    for part in ("overhead first pass", "overhead later passes"):
        if part in seq["ms"]:
            print(
                f"{part}: p50 {seq['ms'][part]['p50']:.1f} ms, p95 {seq['ms'][part]['p95']:.1f} ms"
            )
    print(f"two replicas / one replica: {ratio:.2f}x")
    return finish(
        {
            "sequential": seq,
            "one_replica": one,
            "two_replicas": two,
            "ratio": ratio,
            "start_up_idle_wait_s": round(idle_wait, 1),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
