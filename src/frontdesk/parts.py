"""Multi-part answers and thread stickiness: which part of a question goes to which plugin,
what the answer says for every part (answered, or not found in that plugin's knowledge), and
whether a follow-up stays with the plugin that answered the thread so far.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from frontdesk.declines import PART_NOT_ANSWERED
from frontdesk.grounding import content_words
from frontdesk.router import PluginScore, Route

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def stay_with(decision: Route, plugin: str, accepts: Callable[[PluginScore], bool]) -> Route:
    """A follow-up stays with the thread's plugin unless the router is sure it belongs
    elsewhere: another plugin above its accept threshold. Fitting no plugin at all is no such
    sign (a rewritten "How much should I cut back the hydrangeas?" fitted none and the
    coordinator invented an answer): the thread's plugin answers, or says it is not covered."""
    chosen = {p.name for p in decision.plugins}
    if plugin in chosen:
        return decision
    if decision.plugins and (decision.llm_used or accepts(decision.plugins[0])):
        return decision
    score = next((s for s in decision.scores if s.name == plugin), PluginScore(plugin, 0.0))
    return Route(
        [PluginScore(plugin, score.score, score.rank)],
        "specialist",
        f"{plugin} kept: a follow-up in a thread {plugin} answered ({decision.reason})",
        scores=decision.scores,
        seconds=decision.seconds,
    )


def question_for(route: dict[str, Any], plugin: str, question: str) -> str:
    """The part(s) of the question a plugin answers; the whole question if no part is its."""
    mine = [p["part"] for p in route.get("parts") or [] if p["plugin"] == plugin]
    return " ".join(mine) if mine else question


def part_text(route: dict[str, Any], plugin: str) -> str | None:
    mine = [p["part"].rstrip(" ?.!") for p in route.get("parts") or [] if p["plugin"] == plugin]
    return "; ".join(mine) if mine else None


def complete(answer: str, consults: list[dict[str, Any]], question: str = "") -> bool:
    """Does a merged answer keep every part: each part's numbers and most of its words beyond
    the question's? (A merge that restated the whole question, then gave one part's answer,
    held the other part's words through the question alone.)"""
    asked = set(content_words(question))
    words = set(content_words(answer))
    numbers = set(_NUMBER.findall(answer))
    for c in consults:
        own = set(content_words(c["answer"])) - asked
        if not set(_NUMBER.findall(c["answer"])) <= numbers:
            return False
        if own and len(own & words) < 0.5 * len(own):
            return False
    return True


def in_question_order(route: dict[str, Any], consults: list[dict[str, Any]]) -> list[Any]:
    """Consults in the order their parts come in the question (branches finish in any order)."""
    order = [p["plugin"] for p in route.get("parts") or []]
    return sorted(consults, key=lambda c: order.index(c["plugin"]) if c["plugin"] in order else 99)


def compose(route: dict[str, Any], consults: list[dict[str, Any]]) -> str:
    """The parts side by side, each under its plugin's name: nothing merged, nothing lost."""
    ordered = in_question_order(route, consults)
    return "\n\n".join(f"{c['plugin']}: {c['answer'].strip()}" for c in ordered)


def gap(route: dict[str, Any], consult: dict[str, Any]) -> str:
    """The sentence for a part whose specialist found no grounded answer."""
    part = part_text(route, consult["plugin"])
    about = f' ("{part}")' if part else ""
    return f"Not found in {consult['plugin']}'s knowledge{about}: {PART_NOT_ANSWERED}."


def attribution(
    route: dict[str, Any], consults: list[dict[str, Any]], grounded: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One record per plugin consulted: its part, whether it answered, and its sources."""
    out = []
    for c in in_question_order(route, consults):
        out.append(
            {
                "part": part_text(route, c["plugin"]),
                "plugin": c["plugin"],
                "answered": c in grounded,
                "citations": [
                    {"source": cit["source"], "chunk_id": cit["chunk_id"]} for cit in c["citations"]
                ]
                if c in grounded
                else [],
            }
        )
    return out
