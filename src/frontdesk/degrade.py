"""Answering with the parts that work: the words and records for a specialist that failed.

The graph keeps a failed consult as a record instead of failing the turn; these helpers turn
those records into the one sentence the answer carries and the error raised when nothing is left.
"""

from __future__ import annotations

from typing import Any

from frontdesk.errors import BackendError, BackendTimeout


def failed_consult(plugin: str, model: str, exc: BackendError) -> dict[str, Any]:
    """A consult record for a specialist whose model could not answer."""
    return {
        "plugin": plugin,
        "answer": "",
        "grounding": {"grounded": False, "reason": "its model could not be reached"},
        "citations": [],
        "facts": [],
        "failed": {
            "plugin": plugin,
            "model": model,
            "error": str(exc),
            "timeout": isinstance(exc, BackendTimeout),
        },
    }


def failures(consults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["failed"] for c in consults if c.get("failed")]


def note(failed: list[dict[str, Any]]) -> str:
    """One sentence per failed specialist, for the end of the answer."""
    return " ".join(
        f"The {f['plugin']} specialist could not be reached ({f['model']}), so that part of "
        "the question is not answered."
        for f in failed
    )


def reason(failed: list[dict[str, Any]]) -> str:
    names = ", ".join(f"{f['plugin']} ({f['model']})" for f in failed)
    return f"could not be reached, left out: {names}"


def nothing_left(failed: list[dict[str, Any]]) -> BackendError:
    """The error for a turn whose every specialist failed (one line, names each)."""
    parts = "; ".join(
        f"the {f['plugin']} specialist could not be reached: {f['error']}" for f in failed
    )
    kind = BackendTimeout if all(f["timeout"] for f in failed) else BackendError
    return kind(parts)
