"""The empty chat: the specialists (name, description) and some of their example questions as
prompts one click sends — the same registry that answers "what can you help with?"."""

from __future__ import annotations

import html
from typing import Any

from frontdesk.desks import directory
from frontdesk.engine import Engine

EXAMPLES_PER_PLUGIN = 2
MAX_EXAMPLES = 8


def welcome_markdown(engine: Engine) -> str:
    plugins = engine.plugins
    if not plugins:
        return "### Welcome to frontdesk\n\n" + directory(plugins)
    lines = [
        "### Welcome to frontdesk",
        "Ask anything: your question goes to the right specialist, who answers from its documents.",
        "",
    ]
    for p in plugins.values():
        lines.append(f"- **{html.escape(p.name)}** — {html.escape(p.description)}")
    lines += ["", "Other questions go to a general model. Try one of these:"]
    return "\n".join(lines)


def examples(engine: Engine) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in engine.plugins.values():
        for q in p.examples[:EXAMPLES_PER_PLUGIN]:
            out.append({"text": q, "display_text": f"{q} ({p.name})"})
    return out[:MAX_EXAMPLES]
