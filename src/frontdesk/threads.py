"""Editing a thread from a front end: renaming it, and forgetting its last turns (regenerate
an answer in place, edit a question and resend) — owner-checked like every thread access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.messages import RemoveMessage

from frontdesk.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from frontdesk.engine import Engine

MAX_TITLE = 80


def rename(engine: Engine, thread_id: str, title: str, owner: str) -> None:
    engine.check_thread(thread_id, owner)
    title = " ".join((title or "").split())
    if not title:
        raise InputError("the title is empty; type a title")
    if len(title) > MAX_TITLE:
        raise InputError(f"the title is {len(title)} characters; the limit is {MAX_TITLE}")
    if not engine.log.rename(thread_id, title):
        raise NotFoundError(f"no thread '{thread_id}'")


def truncate(engine: Engine, thread_id: str, keep: int, owner: str) -> int:
    """Remove messages[keep:] of the thread. Feedback on removed answers stays: a correction
    says where the question should have gone, whatever became of the answer."""
    engine.check_thread(thread_id, owner)
    messages = engine.memory.messages(engine.graph, thread_id)
    if not 0 <= keep <= len(messages):
        raise InputError(f"the thread has {len(messages)} messages; cannot keep {keep}")
    gone = messages[keep:]
    if not gone:
        return 0
    removals = [RemoveMessage(id=m.id) for m in gone if m.id]
    engine.memory.append(engine.graph, thread_id, removals)  # type: ignore[arg-type]
    return len(gone)
