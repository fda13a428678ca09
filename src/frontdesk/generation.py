"""Per-request generation overrides (a client's token limit, stop sequences and instructions)
and how an answer finished.

The overrides travel with the graph's run config (`configurable["fd_generation"]`), so the graph
needs no new state: `call_model` reads them for every answering call (not for the router's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage

CONFIG_KEY = "fd_generation"
# Roles whose text can become (part of) the answer; the router's call keeps its own settings.
ANSWER_ROLES = frozenset({"specialist", "merge", "coordinator"})

INSTRUCTIONS_HEADER = (
    "Instructions from the application you are answering through (follow them when they do "
    "not conflict with the rules above):"
)


@dataclass(frozen=True)
class Generation:
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    instructions: str = ""

    def config(self) -> dict[str, Any]:
        return {CONFIG_KEY: self}


def from_config(config: Mapping[str, Any] | None, role: str) -> Generation | None:
    """The request's overrides for a model call in `role`, or None."""
    if role not in ANSWER_ROLES or not config:
        return None
    found = (config.get("configurable") or {}).get(CONFIG_KEY)
    return found if isinstance(found, Generation) else None


def with_instructions(messages: list[BaseMessage], instructions: str) -> list[BaseMessage]:
    """The messages with the client's instructions appended to the system prompt."""
    if not instructions:
        return messages
    extra = f"{INSTRUCTIONS_HEADER}\n{instructions}"
    if messages and isinstance(messages[0], SystemMessage):
        return [SystemMessage(f"{messages[0].content}\n\n{extra}"), *messages[1:]]
    return [SystemMessage(extra), *messages]


def finish_reason(reply: Any) -> str:
    """'length' when the backend says the token limit cut the reply, else 'stop'.

    llama.cpp and OpenAI-compatible servers report `finish_reason`, Ollama `done_reason`."""
    meta = getattr(reply, "response_metadata", None) or {}
    reason = meta.get("finish_reason") or meta.get("done_reason")
    return "length" if reason in ("length", "max_tokens") else "stop"


def answer_finish(records: list[dict[str, Any]], mode: str) -> str:
    """How the answer shown to the user finished, from the raw usage records of one turn.

    The answer is the coordinator's text in `coordinator`/`escalated` mode, the merge's when the
    specialists were merged, else the specialist's."""
    if mode in ("coordinator", "escalated"):
        roles = {"coordinator"}
    elif any(r.get("role") == "merge" for r in records):
        roles = {"merge"}
    else:
        roles = {"specialist"}
    cut = any(r.get("finish_reason") == "length" for r in records if r.get("role") in roles)
    return "length" if cut else "stop"
