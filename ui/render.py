"""How an answer looks in the chat: the route (while answering and after), the answer, which
part came from which specialist, and the sources — as Gradio chat messages."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from frontdesk.desks import origin_note
from frontdesk.engine import Engine
from frontdesk.errors import FrontdeskError
from frontdesk.tool_loop import describe

ROUTE_PREFIX = "Route: "
WORKING_PREFIX = "Working: "


def route_text(route: dict[str, Any]) -> str:
    names = ", ".join(f"{p['name']} ({p['score']:.2f})" for p in route.get("plugins", []))
    line = f"{route.get('mode', '?')} · {names or 'coordinator'} — {route.get('reason', '')}"
    label = origin_note(route)
    understood = route.get("standalone")
    return (
        line
        + (f" · understood as: {understood}" if understood else "")
        + (f" · **{label}**" if label else "")
    )


def working_text(route: dict[str, Any]) -> str:
    """Who is answering, as soon as routing is done (before any token)."""
    names = [p["name"] for p in route.get("plugins", [])]
    return WORKING_PREFIX + (", ".join(names) if names else "the general model") + " …"


def status_message(title: str) -> dict[str, Any]:
    return {"role": "assistant", "content": "", "metadata": {"title": title, "status": "pending"}}


def cite_ref(answer_id: str | None, index: int) -> str:
    """The link target of a citation; the page's script opens it in the source panel."""
    return f"#fd-src/{answer_id or 'none'}/{index}"


def sources_html(citations: list[dict[str, Any]], answer_id: str | None) -> str:
    items = []
    for i, c in enumerate(citations, 1):
        items.append(
            f"<details><summary>[{i}] {html.escape(c['plugin'])} / "
            f"<a class='fd-cite' href='{cite_ref(answer_id, i)}' "
            f"title='Show the passage in its document'>{html.escape(c['source'])}</a>"
            f" <small>({html.escape(c['chunk_id'])})</small></summary>"
            f"<div class='fd-snippet'>{html.escape(c['snippet'])}</div></details>"
        )
    return "<div class='fd-sources'>" + "".join(items) + "</div>"


def parts_html(route: dict[str, Any]) -> str | None:
    """For an answer in several parts: which specialist answered which part of the question."""
    parts = route.get("parts") or []
    if len({p["plugin"] for p in parts}) < 2:
        return None
    rows = [
        f"<li><b>{html.escape(p['plugin'])}</b> "
        f"{'answered' if p.get('answered', True) else 'did not find'}: "
        f"“{html.escape(p['part'])}”</li>"
        for p in parts
    ]
    return "<ul class='fd-parts'>" + "".join(rows) + "</ul>"


def route_message(route: dict[str, Any]) -> dict[str, Any]:
    # The origin label rides in the title: the route line under the chat shows only the
    # latest answer, and an earlier general-model answer must still say where it came from.
    label = origin_note(route)
    title = ROUTE_PREFIX + route_text(route).split(" — ")[0] + (f" · {label}" if label else "")
    return {
        "role": "assistant",
        "content": html.escape(route.get("reason", ""))
        + "".join(f"<br>{html.escape(line)}" for line in describe(route).splitlines()),
        "metadata": {"title": title, "status": "done"},
    }


def after_answer(
    route: dict[str, Any], citations: list[dict[str, Any]], answer_id: str | None
) -> list[dict[str, Any]]:
    """The fold-outs under an answer: the parts (several specialists), then the sources."""
    out: list[dict[str, Any]] = []
    parts = parts_html(route)
    if parts:
        names = sorted({p["plugin"] for p in route.get("parts") or []})
        out.append(
            {
                "role": "assistant",
                "content": parts,
                "metadata": {"title": f"Parts: {', '.join(names)}", "status": "done"},
            }
        )
    if citations:
        out.append(
            {
                "role": "assistant",
                "content": sources_html(citations, answer_id),
                "metadata": {"title": f"Sources ({len(citations)})", "status": "done"},
            }
        )
    return out


def turn(question: str, answer: str, meta: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One stored turn: the question, the route, the answer and its fold-outs."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    if not meta:
        return [*messages, {"role": "assistant", "content": answer}]
    return [
        *messages,
        route_message(meta["route"]),
        {"role": "assistant", "content": answer},
        *after_answer(meta["route"], meta["citations"], meta.get("answer_id")),
    ]


def history_messages(engine: Engine, thread_id: str, owner: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    question = ""
    for m in engine.history(thread_id, owner):
        if m.type == "human":
            question = str(m.content)
        else:
            meta = m.additional_kwargs.get("frontdesk")
            messages.extend(turn(question, str(m.content), meta))
            question = ""
    if question:  # a question without its answer (should not be stored, but show it)
        messages.append({"role": "user", "content": question})
    return messages


def answer_ids(engine: Engine, thread_id: str, owner: str) -> list[str | None]:
    """The ids of a thread's answers, in order (what feedback buttons refer to)."""
    return [
        (m.additional_kwargs.get("frontdesk") or {}).get("answer_id")
        for m in engine.history(thread_id, owner)
        if m.type != "human"
    ]


_THUMB = {"up": "Like", "down": "Dislike"}


def ratings(engine: Engine, thread_id: str, owner: str) -> list[str | None]:
    """The thumb the owner gave each of a thread's answers, as the chat's buttons show it (one
    entry per answer: Gradio counts feedback per group of consecutive assistant messages)."""
    out: list[str | None] = []
    for answer_id in answer_ids(engine, thread_id, owner):
        given = engine.feedback.get(answer_id, owner) if answer_id else None
        out.append(_THUMB.get(given["rating"]) if given else None)
    return out


def shown(engine: Engine, thread_id: str | None, owner: str, messages: list[Any]) -> Any:
    """The chat's new messages with the thumbs already given on them (a reopened chat shows
    them; a fresh or truncated one shows none where an answer was replaced)."""
    try:
        given = ratings(engine, thread_id, owner) if thread_id else []
    except FrontdeskError:
        given = []
    return gr.update(value=messages, feedback_value=given)


def is_route(message: Any) -> bool:
    meta = message.get("metadata") if isinstance(message, dict) else None
    return bool(meta and str(meta.get("title", "")).startswith(ROUTE_PREFIX))


def user_indexes(messages: list[Any]) -> list[int]:
    return [i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"]
