"""Answers per minute with the bundled model: one and two `frontdesk serve` replicas, and what a
pool of model hosts changes.

    python -m benchmarks.replicas --json benchmarks/results/replicas.json
    python -m benchmarks.replicas --smoke        # the pool setup, one client, 3 s (CI)

Every setup serves the bundled plugins from one FRONTDESK_HOME (ingested once) and runs
`--clients` closed-loop clients per replica for `--seconds`, questions from
benchmarks/data/mixed.jsonl. The setups:

- `1 replica, llama.cpp` / `2 replicas, llama.cpp`: SmolLM2 in each replica's own process;
- `2 replicas, 1 host` / `2 replicas, pool of 2 hosts`: the replicas' models on
  tests/ollama_server.py processes (SmolLM2 through llama.cpp, generating for real), named by
  one spec: `ollama:smollm2:135m@http://a` or `…@http://a,http://b`.

The machine has 2 cores shared with other work: the load average is printed with each setup.
"""

from __future__ import annotations

import argparse
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.ollama_server import MODEL_NAME, OllamaProcess

from benchmarks.common import machine
from benchmarks.scaleout import Loop, finish, loop_table, prepare, start_replicas

SETUPS = {
    "1 replica, llama.cpp": (1, 0),
    "2 replicas, llama.cpp": (2, 0),
    "2 replicas, 1 host": (2, 1),
    "2 replicas, pool of 2 hosts": (2, 2),
}
SMOKE = ("2 replicas, pool of 2 hosts",)


def run_setup(name: str, clients: int, seconds: float, limits: dict[str, str]) -> dict[str, Any]:
    replicas, hosts = SETUPS[name]
    with tempfile.TemporaryDirectory(prefix="frontdesk-replicas-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        spec = None
        if hosts:
            up = [stack.enter_context(OllamaProcess(canned=False)) for _ in range(hosts)]
            spec = f"ollama:{MODEL_NAME}@" + ",".join(h.url for h in up)
        env = prepare(root, spec, limits)
        urls = start_replicas(stack, env, replicas, root)
        result = Loop(urls, clients * replicas, seconds).run()
    return {"setup": name, "model": spec or "llamacpp:smollm2 (in process)", **result}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2, help="closed-loop clients per replica")
    parser.add_argument("--seconds", type=float, default=120.0, help="length of each setup's run")
    parser.add_argument("--setups", nargs="+", choices=list(SETUPS), default=list(SETUPS))
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.smoke:
        args.clients, args.seconds, args.setups = 1, 3.0, list(SMOKE)
    # Enough slots that admission control never refuses one of our own clients.
    limits = {"FRONTDESK_MAX_CONCURRENCY": str(args.clients), "FRONTDESK_MAX_QUEUE": "16"}
    results = [run_setup(name, args.clients, args.seconds, limits) for name in args.setups]
    print(f"answers per minute with the bundled model ({machine()})")
    print(loop_table("setup", [(r["setup"], r) for r in results], "min"))
    return finish(
        {
            "seconds_per_setup": args.seconds,
            "results": results,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
