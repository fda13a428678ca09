"""A restart's start-up, in a new process, on a home made by `routing_scale --prepared DIR`.

    python -m benchmarks.routing_restart DIR [CHROMA_URL]

Times a new Engine's plugins, its store opening (with the local store's crash probe) and its
router, after MiniLM is loaded (Python's imports and the model are not counted). Prints one JSON
line; run it with another venv's python for main's code on the same home.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from benchmarks.routing_scale import _settings


def main(argv: list[str]) -> dict[str, float]:
    from frontdesk.embeddings import MiniLMEmbedder
    from frontdesk.engine import Engine

    root = Path(argv[0])
    settings = _settings(root, argv[1] if len(argv) > 1 else None)
    emb = MiniLMEmbedder(cache_dir=Path("/tmp/frontdesk-bench-onnx"))
    emb.embed(["warm up"])
    t0 = time.perf_counter()
    engine = Engine(settings, embedder=emb)
    _ = engine.plugins
    t1 = time.perf_counter()
    _ = engine.store
    t2 = time.perf_counter()
    _ = engine.router
    t3 = time.perf_counter()
    row = {
        "plugins_s": round(t1 - t0, 2),
        "store_open_s": round(t2 - t1, 2),
        "router_s": round(t3 - t2, 2),
        "total_s": round(t3 - t0, 2),
        "load": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row))
    return row


if __name__ == "__main__":
    main(sys.argv[1:])
