"""Routing at 10, 100 and 1,000 plugins, embedded store and Chroma server (issue 11).

    python -m benchmarks.routing_scale [--sizes 10 100 1000] [--chroma-server]
    python -m benchmarks.routing_scale --smoke      # 10 plugins, a few questions (CI)

Synthetic plugins from CLINC150: at 10, one per domain; at 100, one per intent (the first 100
intents); at 1,000, each of the 150 intents split into 6-7 plugins with disjoint utterances. Each
plugin has a description, up to 20 examples from `train` and one knowledge document (other
`train` utterances of its intent(s)), ingested into the store. Per size: ingest time, router
start-up (cold: nothing cached; warm: a new Engine on the same home, as after a restart or
reload; opening the store is timed apart), routing p50/p95 per `test` question through `Engine.route` with the question embedded
afresh (MiniLM, ONNX), and top-1 accuracy (the plugin ranked first has the question's domain at
10, its intent above). The same file runs against main's code for the "before" figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, percentile
from benchmarks.routing import load


def specs(n: int) -> list[dict[str, Any]]:
    """name, description, examples, knowledge, label (the domain or intent a question needs)."""
    data, domains = load()
    by_intent: dict[str, list[str]] = {}
    for text, intent in data["train"]:
        by_intent.setdefault(intent, []).append(text)
    out = []
    if n <= 10:
        for d, intents in list(domains.items())[:n]:
            pool = [t for i in intents for t in by_intent[i]]
            random.Random(d).shuffle(pool)
            desc = f"{d.replace('_', ' ')}: {', '.join(i.replace('_', ' ') for i in intents)}"
            out.append(
                dict(name=d.replace("_", "-"), desc=desc, ex=pool[:20], kn=pool[20:60], label=d)
            )
        return out
    intents = [i for d in domains.values() for i in d]
    per = max(1, -(-n // len(intents)))
    for intent in intents:
        pool = by_intent[intent]
        size = len(pool) // per
        for j in range(per):
            if len(out) == n:
                break
            part = pool[j * size : (j + 1) * size]
            words = intent.replace("_", " ")
            out.append(
                dict(
                    name=f"{intent.replace('_', '-')}-{j}",
                    desc=f"Questions about {words} (desk {j})",
                    ex=part[: min(20, len(part) * 2 // 3)],
                    kn=part[min(20, len(part) * 2 // 3) :],
                    label=intent,
                )
            )
    return out[:n]


def write(root: Path, plugins: list[dict[str, Any]]) -> None:
    for p in plugins:
        folder = root / p["name"]
        (folder / "knowledge").mkdir(parents=True)
        examples = ",\n  ".join(json.dumps(e) for e in p["ex"])
        (folder / "plugin.toml").write_text(
            f"name = {json.dumps(p['name'])}\ndescription = {json.dumps(p['desc'])}\n"
            f'examples = [\n  {examples},\n]\n[knowledge]\npaths = ["knowledge"]\n'
        )
        (folder / "knowledge" / "notes.md").write_text(
            f"# {p['desc']}\n\n" + "\n\n".join(p["kn"]) + "\n"
        )


def chroma_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx
    from tests.servers import free_port

    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("chroma server did not start")


def _settings(root: Path, url: str | None) -> Any:
    from frontdesk.settings import Settings

    extra: dict[str, Any] = {"chroma_url": url} if url else {}
    return Settings(
        home=root / "home",
        plugins_path=str(root / "plugins"),
        bundled_plugins=False,
        entry_point_plugins=False,
        router_llm=False,
        **extra,
    )


def sample_test(
    data: dict[str, Any], domains: dict[str, list[str]], n: int, label_of: dict[str, str], k: int
) -> list[tuple[str, str]]:
    """Up to `k` `test` questions with the label their plugin carries: the domain at 10 plugins,
    the intent above (the same seeded sample in every measurement)."""
    intent_domain = {i: d for d, intents in domains.items() for i in intents}
    labels = set(label_of.values())
    test = [(t, intent_domain[i] if n <= 10 else i) for t, i in data["test"]]
    test = [(t, g) for t, g in test if g in labels]
    return random.Random(3).sample(test, min(k, len(test)))


def route_all(
    route: Any, test: list[tuple[str, str]], label_of: dict[str, str]
) -> dict[str, float]:
    """p50/p95 per question and top-1 of `route` over `test` (one untimed question first)."""
    route(test[0][0])
    times, right = [], 0
    for text, label in test:
        t0 = time.perf_counter()
        got = route(text)
        times.append(time.perf_counter() - t0)
        right += label_of[got.scores[0].name] == label
    return {
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "top1": round(right / len(test), 4),
    }


def measure(n: int, url: str | None, questions: int, tmp: Path, cache: Path) -> dict[str, Any]:
    from frontdesk.embeddings import MiniLMEmbedder
    from frontdesk.engine import Engine

    data, domains = load()
    plugins = specs(n)
    write(tmp / "plugins", plugins)
    label_of = {p["name"]: p["label"] for p in plugins}
    test = sample_test(data, domains, n, label_of, questions)
    settings = _settings(tmp, url)
    emb = MiniLMEmbedder(cache_dir=cache)
    engine = Engine(settings, embedder=emb)
    started = time.perf_counter()
    engine.ingest()
    ingest_s = time.perf_counter() - started
    engine.__dict__.pop("router", None)
    for stale in (settings.home / "cache").glob("anchors*"):
        stale.unlink()  # cold: no cached anchor vectors (ingest may have built a router)
    from frontdesk import calibration

    (settings.home / calibration.FILE).unlink(missing_ok=True)
    started = time.perf_counter()
    _ = engine.router
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    warm = Engine(settings, embedder=emb)
    _ = warm.store  # opening the store (and its crash probe) is not the router's cost
    store_s = time.perf_counter() - started
    started = time.perf_counter()
    _ = warm.router
    warm_s = time.perf_counter() - started
    timed = route_all(warm.route, test, label_of)
    return {
        "plugins": n,
        "store": "chroma server" if url else "embedded",
        "questions": len(test),
        "ingest_s": round(ingest_s, 1),
        "startup_cold_s": round(cold_s, 2),
        "store_open_s": round(store_s, 2),
        "startup_warm_s": round(warm_s, 2),
        **timed,
    }


def prepared(n: int, root: Path, url: str | None, questions: int) -> dict[str, Any]:
    """Warm start-up and routing on a home made once (ingested on the first call): the same
    store measured with this code and with main's (`--prepared DIR`, run from this checkout
    with the other venv's python)."""
    from frontdesk.embeddings import MiniLMEmbedder
    from frontdesk.engine import Engine

    data, domains = load()
    plugins = specs(n)
    if not (root / "plugins").exists():
        write(root / "plugins", plugins)
    settings = _settings(root, url)
    emb = MiniLMEmbedder(cache_dir=Path(tempfile.gettempdir()) / "frontdesk-bench-onnx")
    emb.embed(["warm up"])
    if not (root / "home" / "chroma").exists() or url:
        first = Engine(settings, embedder=emb)
        if not first.store.manifest(plugins[0]["name"]):
            first.ingest()
        _ = first.router  # anchors embedded and routing fitted, as before any restart
    runs = []
    for _ in range(3):  # the first may check the store (another code's start-up came before)
        started = time.perf_counter()
        engine = Engine(settings, embedder=emb)
        _ = engine.store
        store_s = time.perf_counter() - started
        started = time.perf_counter()
        _ = engine.router
        runs.append((store_s, time.perf_counter() - started))
    label_of = {p["name"]: p["label"] for p in plugins}
    test = sample_test(data, domains, n, label_of, questions)
    timed = route_all(engine.route, test, label_of)
    return {
        "plugins": n,
        "store": "chroma server" if url else "embedded",
        "questions": len(test),
        "store_open_s": [round(a, 2) for a, _ in runs],
        "router_warm_s": [round(b, 2) for _, b in runs],
        **timed,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def index_only(n: int, questions: int, vectors: str | None) -> dict[str, Any]:
    """The router alone (no store): knowledge summaries from the knowledge lines' vectors."""
    from pathlib import Path as _Path

    from benchmarks.common import CachedEmbedder
    from frontdesk.embeddings import MiniLMEmbedder
    from frontdesk.plugins import Plugin
    from frontdesk.router import Router
    from frontdesk.routing_fit import auto_fit, build
    from frontdesk.routing_summaries import centroids

    data, domains = load()
    raw = MiniLMEmbedder()
    emb = CachedEmbedder(raw)
    if vectors:
        import pickle

        emb.cache.update(pickle.loads(_Path(vectors).read_bytes()))
    items = specs(n)
    plugins = [
        Plugin(
            p["name"],
            p["desc"],
            tuple(p["ex"]),
            (),
            "llamacpp:smollm2",
            "",
            (),
            3,
            700,
            100,
            _Path("."),
            "benchmark",
        )
        for p in items
    ]
    summaries = {p["name"]: centroids(emb.embed(p["kn"])) for p in items if p["kn"]}
    started = time.perf_counter()
    calib = auto_fit(plugins, emb, summaries)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    router: Router = build(plugins, raw, calib, summaries, None)
    build_s = time.perf_counter() - started
    label_of = {p["name"]: p["label"] for p in items}
    test = sample_test(data, domains, n, label_of, questions)
    timed = route_all(router.route, test, label_of)
    return {
        "plugins": n,
        "store": "none (index only)",
        "anchors": len(router._anchors),
        "summaries": sum(len(v) for v in summaries.values()),
        "fit_s": round(fit_s, 2),
        "build_s_anchors_in_memory": round(build_s, 2),
        **timed,
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--chroma-server", action="store_true", help="also on a Chroma server")
    parser.add_argument("--server-only", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--index-only", action="store_true", help="the router alone, no store")
    parser.add_argument("--vectors", help="a pickle of {text: MiniLM vector} made earlier")
    parser.add_argument("--prepared", help="a folder kept between runs (one size)")
    parser.add_argument("--chroma-url", help="with --prepared: a Chroma server already running")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.prepared:
        row = prepared(args.sizes[0], Path(args.prepared), args.chroma_url, args.questions)
        print(row, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"machine": machine(), "rows": [row]}, indent=2))
        return [row]
    if args.index_only:
        rows = [index_only(n, args.questions, args.vectors) for n in args.sizes]
        for row in rows:
            print(row, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
        return rows
    if args.smoke:
        args.sizes, args.questions = [10], 20
    cache = Path(tempfile.gettempdir()) / "frontdesk-bench-onnx"
    stores = [] if args.server_only else [False]
    stores += [True] if args.chroma_server or args.server_only else []
    rows = []
    for n in args.sizes:
        for server in stores:
            with tempfile.TemporaryDirectory(prefix="frontdesk-scale-") as d:
                tmp = Path(d)
                proc = None
                url = None
                if server:
                    proc, url = chroma_server(tmp / "chroma-data")
                try:
                    row = measure(n, url, args.questions, tmp, cache)
                finally:
                    if proc is not None:
                        proc.terminate()
                        proc.wait(10)
                print(row, flush=True)
                rows.append(row)
    print(f"machine: {machine()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    return rows


if __name__ == "__main__":
    main()
