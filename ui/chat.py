"""Answering in the web chat: stream an answer (route first, then tokens), Stop, Regenerate,
edit a question and resend. The transcript always comes from the engine's memory, never from
the client: what a browser (or a script) sends as "history" is not trusted, not even for display.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from frontdesk.admission import Busy
from frontdesk.auth import caller_of
from frontdesk.engine import Engine
from frontdesk.errors import Cancelled, FrontdeskError

from .render import (
    after_answer,
    history_messages,
    route_message,
    route_text,
    shown,
    status_message,
    user_indexes,
    working_text,
)

AUTO = "auto"
STOPPED = "Stopped — nothing of this answer was saved."


class Running:
    """The answer each browser session is generating, so Stop can cancel it (the engine stops
    at the next token and stores nothing; see Engine.stream's `cancel`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_session: dict[str, tuple[threading.Event, str]] = {}

    def start(self, session: str, question: str) -> threading.Event:
        cancel = threading.Event()
        with self._lock:
            self._by_session[session] = (cancel, question)
        return cancel

    def finish(self, session: str, cancel: threading.Event) -> None:
        with self._lock:
            if self._by_session.get(session, (None,))[0] is cancel:
                del self._by_session[session]

    def stop(self, session: str) -> str | None:
        """Cancel the session's answer; its question, or None if nothing was running."""
        with self._lock:
            cancel, question = self._by_session.pop(session, (None, None))
        if cancel is None:
            return None
        cancel.set()
        return question


RUNNING = Running()


def owner_of(request: gr.Request) -> str:
    return caller_of(request).owner


def session_of(request: gr.Request) -> str:
    return str(getattr(request, "session_hash", None) or id(request))


def transcript(engine: Engine, thread_id: str | None, owner: str) -> tuple[str, list[Any]]:
    """The thread's id and its messages; a fresh id for another owner's (or a malformed) one."""
    if not thread_id:
        return uuid.uuid4().hex, []
    try:
        return thread_id, history_messages(engine, thread_id, owner)
    except FrontdeskError:
        return uuid.uuid4().hex, []


def answer(
    engine: Engine, question: str, thread_id: str | None, plugin: str, request: gr.Request
) -> Iterator[tuple[Any, ...]]:
    """Yields (chat, question box, thread id, route line) as the answer comes in."""
    owner = owner_of(request)
    thread_id, history = transcript(engine, thread_id, owner)
    history.append({"role": "user", "content": question})
    status_at = len(history)
    # Who is answering shows in the chat as soon as routing is done; no empty bubble waits
    # under the question while the route is worked out.
    history.append(status_message("Routing …"))
    yield shown(engine, thread_id, owner, history), "", thread_id, "Routing…"
    session = session_of(request)
    cancel = RUNNING.start(session, question)  # Stop works while waiting for a slot too
    try:
        # The API's slots and queue: a busy server says so instead of piling up.
        ticket = engine.admission.acquire_blocking()
    except Busy as exc:
        RUNNING.finish(session, cancel)
        history[status_at] = {
            "role": "assistant",
            "content": f"frontdesk is busy, retry in {exc.retry_after} s.",
        }
        yield history, question, thread_id, "busy"
        return
    text, route_line, answer_at = "", "", status_at + 1
    stream = engine.stream(
        question, thread_id, None if plugin == AUTO else plugin, cancel=cancel, owner=owner
    )
    try:
        if cancel.is_set():  # stopped while it waited for a slot
            raise Cancelled("stopped")
        for event in stream:
            if cancel.is_set():
                raise Cancelled("stopped")
            if event.kind == "route":
                route_line = route_text(event.data)
                history[status_at] = status_message(working_text(event.data))
                yield history, "", thread_id, route_line
            elif event.kind in ("token", "replace", "escalate"):
                if event.kind == "token" and not event.data["answer"]:
                    continue
                if event.kind == "escalate":
                    text, route_line = "", f"escalated — {event.data['reason']}"
                    history[status_at] = status_message("Working: the coordinator …")
                else:
                    text = (
                        text + event.data["text"] if event.kind == "token" else event.data["text"]
                    )
                del history[answer_at:]
                if text:
                    history.append({"role": "assistant", "content": text})
                yield history, "", thread_id, route_line
            elif event.kind == "answer":
                data = event.data
                del history[status_at:]
                history.append(route_message(data["route"]))
                history.append({"role": "assistant", "content": data["answer"]})
                history.extend(after_answer(data["route"], data["citations"], data["answer_id"]))
                yield history, "", thread_id, route_text(data["route"])
    except Cancelled:
        del history[status_at:]
        yield history, question, thread_id, STOPPED
    except FrontdeskError as exc:
        del history[status_at:]
        history.append({"role": "assistant", "content": f"Error: {exc}"})
        yield history, question, thread_id, "error"
    finally:
        # Closed early (the page went away): the engine stops at its next token and stores
        # nothing; closing without cancelling would wait for the whole answer.
        cancel.set()
        stream.close()
        RUNNING.finish(session, cancel)
        ticket.release()


def stop(engine: Engine, thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
    """Stop the session's answer at once: the chat shows the stored thread (the question goes
    back into the box), because nothing of the stopped answer is kept."""
    question = RUNNING.stop(session_of(request))
    owner = owner_of(request)
    _, history = transcript(engine, thread_id, owner)
    chat = shown(engine, thread_id, owner, history)
    if question is None:
        return chat, gr.update(), gr.update()
    return chat, question, STOPPED


def question_to_resend(
    engine: Engine, thread_id: str | None, user_index: int, request: gr.Request
) -> str | None:
    """Forget the thread from its `user_index`-th question on (0-based); that question's text,
    or None if the thread has no such question."""
    if not thread_id:
        return None
    owner = owner_of(request)
    stored = engine.history(thread_id, owner)
    humans = [i for i, m in enumerate(stored) if m.type == "human"]
    if not 0 <= user_index < len(humans):
        return None
    question = str(stored[humans[user_index]].content)
    engine.truncate_thread(thread_id, humans[user_index], owner)
    return question


def regenerate(
    engine: Engine, keep: bool, thread_id: str | None, plugin: str, request: gr.Request
) -> Iterator[tuple[Any, ...]]:
    """The last question again: a new answer after the old one (`keep`), or in its place."""
    owner = owner_of(request)
    try:
        stored = engine.history(thread_id, owner) if thread_id else []
    except FrontdeskError:
        stored = []
    humans = [m for m in stored if m.type == "human"]
    if not humans:
        _, history = transcript(engine, thread_id, owner)
        yield history, gr.update(), thread_id, "Nothing to regenerate."
        return
    question = str(humans[-1].content)
    if not keep:
        question_to_resend(engine, thread_id, len(humans) - 1, request)
    yield from answer(engine, question, thread_id, plugin, request)


def edit_and_resend(
    engine: Engine,
    messages: list[Any],
    thread_id: str | None,
    plugin: str,
    edited: tuple[int, str] | None,
    request: gr.Request,
) -> Iterator[tuple[Any, ...]]:
    """An edited question replaces it and everything after it, then is answered anew."""
    found = None
    if edited is not None:
        try:
            position = user_indexes(messages).index(edited[0])
            found = question_to_resend(engine, thread_id, position, request)
        except (ValueError, FrontdeskError):
            found = None
    if found is None or edited is None:
        _, history = transcript(engine, thread_id, owner_of(request))
        yield history, gr.update(), thread_id, "Only a question of this chat can be edited."
        return
    yield from answer(engine, str(edited[1]), thread_id, plugin, request)
