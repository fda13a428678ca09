"""The front desk knows its desks: questions about what frontdesk can do, answered from the
plugin registry (names, descriptions, example questions) without a model call, and the
answer for off-topic questions a deployment chose to decline (FRONTDESK_OFF_TOPIC=decline).

A model asked "What can you help me with?" makes something up (SmolLM2 answered "managing
your schedule"); the registry is the truth and costs nothing to read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from frontdesk.plugins import Plugin

_DESK = re.compile(
    r"^\s*(?:(?:hi|hello|hey)[,!.\s]*)?(?:"
    r"what\s+(?:can|could|do)\s+you\s+(?:help(?:\s+me)?\s+with|do|answer|know(?:\s+about)?)"
    r"|what\s+(?:are\s+you\s+for|topics\s+do\s+you\s+(?:cover|know)|do\s+you\s+cover)"
    r"|what\s+(?:kinds?|sorts?)\s+of\s+(?:questions|things)\s+can\s+(?:you|i)\s+(?:answer|ask)"
    r"|(?:which|what)\s+(?:specialists|topics|subjects|desks|plugins)\s+(?:do\s+you\s+have|are\s+there|are\s+available)"
    r"|who\s+are\s+you|what\s+are\s+you|how\s+can\s+you\s+help(?:\s+me)?|help"
    r")\s*[?!.]*\s*$",
    re.IGNORECASE,
)

ORIGIN_REGISTRY = "registry"  # the desk's own directory, no model
ORIGIN_GENERAL = "general"  # the coordinator model alone: no sources
ORIGIN_KNOWLEDGE = "knowledge"  # specialists answering from their documents


def is_desk_question(question: str) -> bool:
    """Is this a question about what frontdesk itself can help with?"""
    return bool(_DESK.match(question))


def directory(plugins: Mapping[str, Plugin]) -> str:
    """What the desk can help with, from the registry: one line per specialist."""
    if not plugins:
        return (
            "No specialists are installed, so I answer with a general model only, without "
            "sources. Add a plugin folder to give me knowledge to answer from."
        )
    lines = [
        "I can send your question to these specialists, each answering from its own documents:"
    ]
    for p in plugins.values():
        examples = "; ".join(f'"{e}"' for e in p.examples[:2])
        lines.append(
            f"- {p.name}: {p.description}" + (f" For example: {examples}" if examples else "")
        )
    lines.append("Other questions go to a general model, which answers without sources.")
    return "\n".join(lines)


def decline(plugins: Mapping[str, Plugin]) -> str:
    """The answer to an off-topic question when the deployment declines them."""
    names = ", ".join(plugins) or "no topics yet"
    return (
        "That question is outside what this desk covers, so it is not answered here. "
        f"I can help with: {names}."
    )


def origin_note(route: Mapping[str, object]) -> str | None:
    """The label a front end shows under an answer that did not come from the documents."""
    if route.get("origin") == ORIGIN_GENERAL:
        return "answered by the general model, without sources"
    if route.get("origin") == ORIGIN_REGISTRY:
        return "answered from the list of installed specialists"
    return None
