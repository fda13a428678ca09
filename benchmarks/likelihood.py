"""The query-likelihood scorer, now in the product (frontdesk.lm_rerank); kept under this name for
the session-4 benchmarks that import it from here."""

from __future__ import annotations

from pathlib import Path

from frontdesk.lm_rerank import INSTRUCTION, QueryLikelihood, Score, prompt, scorer, supports

__all__ = [
    "INSTRUCTION",
    "QueryLikelihood",
    "Score",
    "bundled",
    "bundled_path",
    "prompt",
    "supports",
]


def bundled_path() -> Path:
    from frontdesk.models import bundled_gguf

    return bundled_gguf("smollm2")


def bundled(n_threads: int = 1) -> QueryLikelihood:
    """The scorer on the bundled SmolLM2 (one instance per process and thread count)."""
    return scorer("llamacpp:smollm2", n_threads=n_threads)
