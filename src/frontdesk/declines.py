"""How an honest "the documents don't say" is worded, and how to recognise one."""

from __future__ import annotations

DECLINE_PHRASES = ("don't cover", "do not cover", "not in the documents")


def is_decline(text: str) -> bool:
    """True when `text` says the knowledge does not hold the answer."""
    lowered = text.lower()
    return any(phrase in lowered for phrase in DECLINE_PHRASES)
