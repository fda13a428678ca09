"""What an answer is made of: streamed events, the finished answer, and its usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COORDINATOR_ROLES = {"coordinator", "merge", "router"}


@dataclass
class Event:
    """One step of a streamed answer.

    kind: `route` (data: the route), `token` (data: text, role, plugin, answer — True when the
    text belongs to the answer being shown; role `answer` carries the end of the answer that no
    model streamed, such as a part passed through unmerged or the note on a failed specialist,
    so the shown tokens always add up to the answer), `escalate` (data: reason; the text streamed so far
    is replaced by the coordinator's), `replace` (data: text — the whole answer, when it is not
    what the shown tokens added up to: front ends show it instead), `answer` (data: the
    finished Answer as a dict; its `answer` is the truth every front end renders).
    """

    kind: str
    data: dict[str, Any]


@dataclass
class Answer:
    answer: str
    route: dict[str, Any]
    citations: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    thread_id: str | None
    reached_coordinator: bool
    seconds: float
    consults: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"  # "length" when the token limit cut the answer

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "route": self.route,
            "citations": self.citations,
            "usage": self.usage,
            "thread_id": self.thread_id,
            "reached_coordinator": self.reached_coordinator,
            "seconds": round(self.seconds, 3),
            "consults": [
                {k: c[k] for k in ("plugin", "answer", "grounding")} for c in self.consults
            ],
            "finish_reason": self.finish_reason,
        }


def summarize_usage(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Usage records of one answer, summed per model."""
    per: dict[str, dict[str, Any]] = {}
    for r in records:
        item = per.setdefault(
            r["model"],
            {
                "model": r["model"],
                "roles": [],
                "calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "seconds": 0.0,
            },
        )
        if r["role"] not in item["roles"]:
            item["roles"].append(r["role"])
        for key in ("calls", "input_tokens", "output_tokens"):
            item[key] += r[key]
        item["seconds"] = round(item["seconds"] + r["seconds"], 4)
    return list(per.values())
