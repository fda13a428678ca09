"""Thumbs up/down on answers in the web chat, with an optional reason and, on a wrong route,
the specialist that should have answered (stored through Engine.record_feedback)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from frontdesk.engine import Engine
from frontdesk.errors import FrontdeskError, InputError
from frontdesk.feedback import NONE_PLUGIN

from .chat import owner_of
from .render import answer_ids, is_route

ROUTE_WAS_RIGHT = "(the right specialist answered)"
NO_SPECIALIST = "none — the general model should have answered"


def specialist_choices(engine: Engine) -> list[tuple[str, str]]:
    return [
        (ROUTE_WAS_RIGHT, ""),
        *[(name, name) for name in sorted(engine.plugins)],
        (NO_SPECIALIST, NONE_PLUGIN),
    ]


def answer_at(engine: Engine, messages: list[Any], index: int, thread_id: str, owner: str) -> str:
    """The id of the answer a chat message at `index` belongs to (the n-th route fold-out up to
    it is the n-th stored answer); KeyError if it belongs to none (an error or busy note)."""
    nth = sum(1 for m in messages[: index + 1] if is_route(m))
    ids = answer_ids(engine, thread_id, owner)
    if nth == 0 or nth > len(ids) or ids[nth - 1] is None:
        raise KeyError(index)
    return str(ids[nth - 1])


def on_like(
    engine: Engine,
    messages: list[Any],
    thread_id: str | None,
    like: gr.LikeData,
    request: gr.Request,
) -> tuple[Any, ...]:
    """Store the thumb at once; a thumbs down opens the form for the reason and the route."""
    hidden = gr.update(visible=False)
    index = like.index if isinstance(like.index, int) else like.index[0]
    owner = owner_of(request)
    try:
        answer_id = answer_at(engine, messages, index, thread_id or "", owner)
    except (KeyError, FrontdeskError):
        return None, hidden, "This message cannot be rated (it is not a stored answer)."
    if like.liked is not True and like.liked is not False:  # the thumb was taken back
        return None, hidden, ""
    rating = "up" if like.liked else "down"
    try:
        engine.record_feedback(answer_id, owner=owner, rating=rating)
    except (KeyError, FrontdeskError) as exc:
        return None, hidden, f"Feedback not saved: {exc}"
    if rating == "up":
        return None, hidden, "Thanks — feedback saved."
    return answer_id, gr.update(visible=True), "Feedback saved. Tell us more below (optional)."


def submit(
    engine: Engine, answer_id: str | None, reason: str, plugin: str | None, request: gr.Request
) -> tuple[Any, ...]:
    if not answer_id:
        return gr.update(visible=False), "", None, "No answer chosen: press 👎 under one first."
    try:
        engine.record_feedback(
            answer_id, owner=owner_of(request), rating="down", reason=reason, plugin=plugin or None
        )
    except KeyError:
        return gr.update(visible=False), "", None, "That answer is gone; feedback not saved."
    except InputError as exc:
        return gr.update(visible=True), reason, plugin, f"Feedback not saved: {exc}"
    where = f" · should have gone to: {plugin}" if plugin else ""
    return gr.update(visible=False), "", "", f"Thanks — feedback saved{where}."
