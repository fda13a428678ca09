"""Shared helpers for the benchmarks: the machine, timing, tables, and an embedding cache."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

from frontdesk.stats import percentile  # noqa: F401  (re-exported for the benchmarks)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
CLINC = REPO.parent / "shared" / "data" / "clinc150"
QUAC = REPO.parent / "shared" / "data" / "quac" / "dialogs.jsonl"


def shared_text(path: Path) -> str:
    """A public data file's text; one line and exit 2 when it is not there (it is looked for in
    ../shared/data beside the checkout, not downloaded)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        print(
            f"benchmarks: error: cannot read {path} ({exc.strerror}); the public data sets "
            "(clinc150/, quac/) go in ../shared/data beside the checkout",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.1%}"
    return f"{statistics.mean(values):.1%} ± {statistics.stdev(values):.1%}"


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


class CachedEmbedder:
    """Wraps an embedder; texts embedded in advance (in batches) are served from memory.

    The routing logic under test is unchanged; only the cost of embedding the same test
    sentence again is skipped when measuring accuracy (latency is measured without it).
    """

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "cached")
        self.cache: dict[str, np.ndarray] = {}

    def warm(self, texts: list[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for i in range(0, len(todo), 256):
            batch = todo[i : i + 256]
            for t, v in zip(batch, self.inner.embed(batch), strict=True):  # type: ignore[attr-defined]
                self.cache[t] = v

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.cache]
        if missing:
            self.warm(missing)
        return np.vstack([self.cache[t] for t in texts])
