"""The rest of the pipeline, measured: ingestion, retrieval at scale, and answering.

    python -m benchmarks.pipeline            # full (about 10 minutes on 2 cores)
    python -m benchmarks.pipeline --smoke    # small sizes (CI)

- Ingestion: CLINC150 `train` utterances grouped into Markdown files (a corpus we did not
  write for retrieval, so chunks are realistic in size), ingested with the bundled MiniLM;
  then the same corpus re-ingested unchanged.
- Retrieval: one plugin's collection filled to 10k and 100k chunks. The stored vectors are
  random unit vectors (the index cost does not depend on what the vectors mean, and embedding
  100k chunks would take minutes); the query is a real question embedded by MiniLM.
- Answering: `Engine.stream` on in-domain questions with the bundled SmolLM2: time to first
  answer token, total time, and the share spent outside model calls (orchestration).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CLINC, machine, percentile, shared_text, table
from frontdesk.engine import Engine
from frontdesk.plugins import load_manifest
from frontdesk.settings import Settings
from frontdesk.store_manifest import DocRecord, Manifest, bump_token

QUESTIONS = [
    "How long should I rest a thick steak?",
    "Can I freeze cooked rice?",
    "When should I prune bush roses?",
    "How often should I water tomatoes in pots?",
    "How often should I oil my bike chain?",
    "How high should my saddle be?",
]


def write_corpus(folder: Path, files: int, lines_per_file: int = 40) -> None:
    data = json.loads(shared_text(CLINC / "data_full.json"))["train"]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        part = data[i * lines_per_file : (i + 1) * lines_per_file]
        body = "\n".join(f"- {text} ({intent.replace('_', ' ')})" for text, intent in part)
        (folder / f"doc-{i:04d}.md").write_text(f"# Document {i}\n\n{body}\n")


def bench_ingest(home: Path, files: int) -> dict[str, Any]:
    root = home / "plugins" / "corpus"
    write_corpus(root / "knowledge", files)
    (root / "plugin.toml").write_text(
        'name = "corpus"\ndescription = "A benchmark corpus of assistant requests."\n'
        '[knowledge]\npaths = ["knowledge"]\n'
    )
    settings = Settings(
        home=home,
        plugins_path=str(home / "plugins"),
        bundled_plugins=False,
        entry_point_plugins=False,
    )
    engine = Engine(settings)
    engine.embedder.embed(["warm up"])
    first = engine.ingest(["corpus"])[0]
    again = engine.ingest(["corpus"])[0]
    return {
        "files": files,
        "chunks": first.chunks_added,
        "seconds": first.seconds,
        "chunks_per_s": first.chunks_added / first.seconds,
        "reingest_unchanged_s": again.seconds,
    }


def bench_retrieval(home: Path, sizes: list[int]) -> list[dict[str, Any]]:
    settings = Settings(home=home, bundled_plugins=False, entry_point_plugins=False)
    engine = Engine(settings)
    plugin = load_manifest_for(home)
    engine.plugin_set.plugins[plugin.name] = plugin
    coll = engine.store._collection(plugin.name)
    rng = np.random.default_rng(0)
    questions = [
        "how do I transfer money to savings",
        "what is my credit limit",
        "book a table for two tonight",
        "how long should I rest a steak",
    ]
    out = []
    have = 0
    for size in sizes:
        while have < size:
            n = min(5000, size - have)
            vecs = rng.normal(size=(n, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            coll.add(
                ids=[f"r{have + i}" for i in range(n)],
                embeddings=vecs.tolist(),
                documents=[f"synthetic chunk {have + i}" for i in range(n)],
                metadatas=[
                    {
                        "source": "synthetic",
                        "source_name": "synthetic",
                        "title": "",
                        "sha256": "",
                        "chunk": have + i,
                        "text": "",
                        "version": "synthetic.v1",
                    }
                    for i in range(n)
                ],
            )
            have += n
        # Readers see committed versions only: commit the synthetic document like an ingest.
        Manifest(engine.store.client, plugin.name).commit(
            DocRecord("synthetic", "", have, "synthetic.v1")
        )
        engine.store.committed(bump_token(engine.store.client))
        embed_t, query_t = [], []
        for i in range(60):
            q = questions[i % len(questions)]
            t0 = time.perf_counter()
            vec = engine.embedder.embed([q])[0]
            t1 = time.perf_counter()
            engine.store.search(plugin.name, vector=vec, k=4)
            t2 = time.perf_counter()
            if i >= 10:  # the first calls warm caches
                embed_t.append(t1 - t0)
                query_t.append(t2 - t1)
        out.append(
            {
                "chunks": size,
                "query_p50_ms": percentile(query_t, 0.5) * 1000,
                "query_p95_ms": percentile(query_t, 0.95) * 1000,
                "embed_p50_ms": percentile(embed_t, 0.5) * 1000,
            }
        )
    return out


def load_manifest_for(home: Path) -> Any:
    folder = home / "plugins" / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.toml").write_text(
        'name = "scale"\ndescription = "Retrieval at scale, synthetic vectors."\n'
    )
    return load_manifest(folder, Settings(home=home))


def bench_answer(home: Path, rounds: int) -> dict[str, Any]:
    engine = Engine(Settings(home=home, entry_point_plugins=False, router_llm=False))
    engine.ingest()
    engine.ask(QUESTIONS[0])  # loads both models
    ttft, total, overhead = [], [], []
    for _ in range(rounds):
        for q in QUESTIONS:
            started = time.perf_counter()
            first = None
            for event in engine.stream(q, plugin=None):
                if event.kind == "token" and event.data["answer"] and first is None:
                    first = time.perf_counter() - started
                if event.kind == "answer":
                    data = event.data
            elapsed = time.perf_counter() - started
            model_s = sum(u["seconds"] for u in data["usage"])
            ttft.append(first or elapsed)
            total.append(elapsed)
            overhead.append(max(0.0, elapsed - model_s) / elapsed)
    return {
        "answers": len(total),
        "ttft_p50_s": percentile(ttft, 0.5),
        "ttft_p95_s": percentile(ttft, 0.95),
        "total_p50_s": percentile(total, 0.5),
        "total_p95_s": percentile(total, 0.95),
        "overhead_share_p50": percentile(overhead, 0.5),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    files, sizes, rounds = (10, [1000], 1) if args.smoke else (375, [10_000, 100_000], 3)
    random.seed(0)
    with (
        tempfile.TemporaryDirectory() as a,
        tempfile.TemporaryDirectory() as b,
        tempfile.TemporaryDirectory() as c,
    ):
        ingest = bench_ingest(Path(a), files)
        retrieval = bench_retrieval(Path(b), sizes)
        answer = bench_answer(Path(c), rounds)
    print(f"machine: {machine()}\n")
    print(
        table(
            ["corpus", "chunks", "first ingest", "chunks/s", "re-ingest unchanged"],
            [
                [
                    f"{ingest['files']} Markdown files (CLINC150 train)",
                    str(ingest["chunks"]),
                    f"{ingest['seconds']:.1f} s",
                    f"{ingest['chunks_per_s']:.0f}",
                    f"{ingest['reingest_unchanged_s']:.2f} s",
                ]
            ],
        )
    )
    print()
    print(
        table(
            ["chunks in one plugin", "query p50", "query p95", "embedding the query (p50)"],
            [
                [
                    f"{r['chunks']:,}",
                    f"{r['query_p50_ms']:.1f} ms",
                    f"{r['query_p95_ms']:.1f} ms",
                    f"{r['embed_p50_ms']:.1f} ms",
                ]
                for r in retrieval
            ],
        )
    )
    print()
    print(
        table(
            [
                "answers",
                "time to first token p50 / p95",
                "total p50 / p95",
                "outside model calls (p50 share)",
            ],
            [
                [
                    str(answer["answers"]),
                    f"{answer['ttft_p50_s']:.2f} s / {answer['ttft_p95_s']:.2f} s",
                    f"{answer['total_p50_s']:.2f} s / {answer['total_p95_s']:.2f} s",
                    f"{answer['overhead_share_p50']:.1%}",
                ]
            ],
        )
    )
    out = {"machine": machine(), "ingest": ingest, "retrieval": retrieval, "answer": answer}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
