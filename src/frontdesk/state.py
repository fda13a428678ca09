"""The coordinator graph's state. Per-turn lists reset when a new turn passes `None`."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import BaseMessage
from langgraph.graph.message import add_messages


def extend_or_reset(left: list[Any] | None, right: list[Any] | None) -> list[Any]:
    """Branches append; a new turn clears by sending None."""
    if right is None:
        return []
    return (left or []) + right


class TurnState(TypedDict, total=False):
    messages: Annotated[list[BaseMessage], add_messages]  # the conversation, kept per thread
    question: str
    standalone: str  # the question made standalone from the thread (followup.py)
    forced_plugin: str | None
    document: str | None  # retrieval restricted to this document of the forced plugin
    route: dict[str, Any]
    consults: Annotated[list[dict[str, Any]], extend_or_reset]
    usage: Annotated[list[dict[str, Any]], extend_or_reset]
    answer: str
    mode: str
    reason: str
    citations: list[dict[str, Any]]


class ConsultTask(TypedDict):
    """What one `Send` hands a specialist."""

    question: str
    plugin: str
    score: float
    history: list[BaseMessage]
    document: NotRequired[str | None]
