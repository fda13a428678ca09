"""Earlier chats: the caller's threads with title and date, newest first, searchable by words,
renamed and deleted (every call owner-checked by the engine)."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr

from frontdesk.engine import Engine
from frontdesk.errors import FrontdeskError

from .chat import owner_of

LIMIT = 100


def when(ts: float, now: float | None = None) -> str:
    """A thread's date as people read it: the time today, the day this year, else the date."""
    t, n = time.localtime(ts), time.localtime(now or time.time())
    if t[:3] == n[:3]:
        return time.strftime("%H:%M", t)
    if t.tm_year == n.tm_year:
        return time.strftime("%d %b", t)
    return time.strftime("%d %b %Y", t)


def thread_choices(engine: Engine, owner: str, query: str | None = None) -> list[tuple[str, str]]:
    return [
        (f"{t['title']} · {when(t['updated'])}", t["thread_id"])
        for t in engine.threads(LIMIT, owner=owner, query=query or None)
    ]


def refresh(engine: Engine, query: str, request: gr.Request) -> Any:
    return gr.update(choices=thread_choices(engine, owner_of(request), query), value=None)


def title_of(engine: Engine, thread_id: str | None, owner: str) -> str:
    for t in engine.threads(LIMIT, owner=owner):
        if t["thread_id"] == thread_id:
            return str(t["title"])
    return ""


def rename(
    engine: Engine, thread_id: str | None, title: str, query: str, request: gr.Request
) -> tuple[Any, ...]:
    owner = owner_of(request)
    if not thread_id or not title_of(engine, thread_id, owner):
        return gr.update(), "Ask a question first: a new chat has nothing to rename."
    try:
        engine.rename_thread(thread_id, title, owner)
    except FrontdeskError as exc:
        return gr.update(), f"Error: {exc}"
    choices = thread_choices(engine, owner, query)
    return gr.update(choices=choices, value=None), "Renamed."
