"""Feedback on answers (issue 12, item 2): ids on every answer, ratings kept with the answer,
owner checks, corrections as routing labels, and `POST /v1/feedback` over a real uvicorn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.engine import Engine
from frontdesk.errors import InputError, NotFoundError
from frontdesk.settings import Settings

from .pg import PgServer, postgres  # noqa: F401  (the module-scoped fixture)
from .security.attack import KEY_A, KEY_B, bearer


def final(
    engine: Engine, question: str, thread: str | None = None, owner: str = "local"
) -> dict[str, Any]:
    events = list(engine.stream(question, thread, owner=owner))
    return events[-1].data


def test_answers_have_ids_and_feedback_is_kept_per_owner(engine: Engine) -> None:
    first = final(engine, "How long should I rest a steak?", "t1", owner="alice")
    second = final(engine, "When should I prune my roses?", "t1", owner="alice")
    assert first["answer_id"].startswith("chatcmpl-") and first["answer_id"] != second["answer_id"]
    # The stored thread keeps each answer's id, so a reopened chat can still be rated.
    stored = [
        m.additional_kwargs["frontdesk"]["answer_id"]
        for m in engine.history("t1", "alice")
        if m.type == "ai"
    ]
    assert stored == [first["answer_id"], second["answer_id"]]

    engine.record_feedback(first["answer_id"], owner="alice", rating="up")
    engine.record_feedback(
        second["answer_id"], owner="alice", rating="down", reason="wrong desk", plugin="kitchen"
    )
    assert engine.feedback.get(second["answer_id"], "alice") == {
        "rating": "down",
        "reason": "wrong desk",
        "plugin": "kitchen",
    }
    assert engine.feedback.corrections() == [("When should I prune my roses?", "kitchen")]
    # "none": no specialist should have answered.
    engine.record_feedback(second["answer_id"], owner="alice", rating="down", plugin="none")
    assert engine.feedback.corrections() == [("When should I prune my roses?", None)]

    with pytest.raises(KeyError):  # nobody rates another owner's answer
        engine.record_feedback(first["answer_id"], owner="bob", rating="down")
    with pytest.raises(KeyError):
        engine.record_feedback("chatcmpl-nosuch", owner="alice", rating="up")
    for bad in (
        {"rating": "meh"},
        {"rating": "down", "plugin": "nosuch"},
        {"rating": "up", "plugin": "kitchen"},
        {"rating": "down", "reason": "x" * 2000},
    ):
        with pytest.raises(InputError):
            engine.record_feedback(first["answer_id"], owner="alice", **bad)
    assert engine.feedback.get(first["answer_id"], "alice")["rating"] == "up"  # type: ignore[index]

    # Deleting the thread deletes its answers' feedback too.
    engine.delete_thread("t1", "alice")
    assert engine.feedback.corrections() == []
    with pytest.raises(KeyError):
        engine.record_feedback(first["answer_id"], owner="alice", rating="up")


def test_threads_rename_search_truncate(engine: Engine) -> None:
    final(engine, "How long should I rest a steak?", "steak", owner="alice")
    final(engine, "Can I freeze cooked rice?", "steak", owner="alice")
    final(engine, "When should I prune my roses?", "roses", owner="alice")
    final(engine, "How long should I rest a steak?", "bobs", owner="bob")
    assert [t["thread_id"] for t in engine.threads(owner="alice")] == ["roses", "steak"]
    assert [t["thread_id"] for t in engine.threads(owner="alice", query="rest STEAK")] == ["steak"]
    assert engine.threads(owner="alice", query="steak roses") == []
    assert engine.threads(owner="alice", query="100%") == []

    engine.rename_thread("steak", "  Dinner   plans ", "alice")
    listed = engine.threads(owner="alice", query="dinner")
    assert [(t["thread_id"], t["title"]) for t in listed] == [("steak", "Dinner plans")]
    assert listed[0]["created"] <= listed[0]["updated"]
    final(engine, "And how thick should it be?", "steak", owner="alice")
    assert engine.threads(owner="alice", query="dinner")[0]["title"] == "Dinner plans"
    with pytest.raises(NotFoundError):
        engine.rename_thread("steak", "mine now", "bob")
    with pytest.raises(InputError):
        engine.rename_thread("steak", "   ", "alice")

    # Regenerate in place / edit and resend: the thread forgets from a question on.
    assert len(engine.history("steak", "alice")) == 6
    with pytest.raises(NotFoundError):
        engine.truncate_thread("steak", 2, "bob")
    assert engine.truncate_thread("steak", 2, "alice") == 4
    kept = engine.history("steak", "alice")
    assert [str(m.content) for m in kept if m.type == "human"] == [
        "How long should I rest a steak?"
    ]
    final(engine, "Can I freeze cooked rice?", "steak", owner="alice")
    assert len(engine.history("steak", "alice")) == 4


def test_stats_this_server_and_all_history(make_settings: Callable[..., Settings]) -> None:
    from frontdesk.testing import HashEmbedder

    cli = Engine(make_settings(), embedder=HashEmbedder())
    cli.ingest()
    final(cli, "How long should I rest a steak?")  # another process on the same home
    server = Engine(make_settings(), embedder=HashEmbedder())
    final(server, "When should I prune my roses?")
    assert server.stats(since_start=True)["answers"] == 1
    assert server.stats(since_start=False)["answers"] == 2
    # A deleted thread's answers leave both counts.
    final(server, "Can I freeze cooked rice?", "gone")
    assert server.stats(since_start=True)["answers"] == 2
    server.delete_thread("gone")
    assert server.stats(since_start=True)["answers"] == 1
    assert server.stats(since_start=False)["answers"] == 2


def test_feedback_endpoint(keyed: Any) -> None:
    ask = {
        "model": "frontdesk",
        "messages": [{"role": "user", "content": "When should I prune my roses?"}],
    }
    done = httpx.post(
        f"{keyed.url}/v1/chat/completions", json=ask, headers=bearer(KEY_A), timeout=60
    )
    cid = done.json()["id"]
    url = f"{keyed.url}/v1/feedback"

    r = httpx.post(
        url,
        json={"completion_id": cid, "rating": "down", "plugin": "kitchen", "reason": "no"},
        headers=bearer(KEY_A),
    )
    assert r.status_code == 204, r.text
    assert keyed.engine.feedback.corrections() == [("When should I prune my roses?", "kitchen")]
    # Another key cannot rate it (it looks like no such answer), nor can a made-up id be rated.
    r = httpx.post(url, json={"completion_id": cid, "rating": "up"}, headers=bearer(KEY_B))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.post(url, json={"completion_id": "chatcmpl-x", "rating": "up"}, headers=bearer(KEY_A))
    assert r.status_code == 404
    for body in (
        {"completion_id": cid, "rating": "sideways"},
        {"completion_id": cid},
        {"completion_id": cid, "rating": "down", "plugin": "nosuch"},
        {"completion_id": cid, "rating": "up", "extra": 1},
    ):
        r = httpx.post(url, json=body, headers=bearer(KEY_A))
        assert r.status_code == 400, (body, r.status_code)
        assert r.json()["error"]["message"]
    assert (
        httpx.post(
            url, content=b"{", headers={**bearer(KEY_A), "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert httpx.post(url, json={"completion_id": cid, "rating": "up"}).status_code == 401
    assert httpx.get(url, headers=bearer(KEY_A)).status_code == 405

    # A streamed answer: every chunk carries the id that feedback takes.
    with httpx.stream(
        "POST",
        f"{keyed.url}/v1/chat/completions",
        json={**ask, "stream": True},
        headers=bearer(KEY_A),
        timeout=60,
    ) as resp:
        ids = {
            json.loads(line[6:])["id"]
            for line in resp.iter_lines()
            if line.startswith("data: {") and '"error"' not in line
        }
    assert len(ids) == 1
    r = httpx.post(url, json={"completion_id": ids.pop(), "rating": "up"}, headers=bearer(KEY_A))
    assert r.status_code == 204


def test_the_route_comes_before_any_token(engine: Engine) -> None:
    """The web chat shows who is working as soon as routing is done: the engine's first event
    is the route, before the answer's tokens."""
    for question in ("How long should I rest a steak?", "What is the capital of Peru?"):
        kinds = [e.kind for e in engine.stream(question)]
        assert kinds[0] == "route" and "token" in kinds, kinds


def test_feedback_and_thread_edits_are_shared_through_postgres(
    postgres: PgServer,  # noqa: F811
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    """Two replicas on one Postgres: an answer given by one is rated through the other, both
    see the correction, and a thread renamed on one is found by words on the other."""
    from frontdesk.testing import HashEmbedder

    a = Engine(make_settings(home=tmp_path / "a", memory_url=postgres.url), embedder=HashEmbedder())
    b = Engine(make_settings(home=tmp_path / "b", memory_url=postgres.url), embedder=HashEmbedder())
    try:
        a.ingest()
        done = final(a, "When should I prune my roses?", "pg-thread", owner="alice")
        b.record_feedback(done["answer_id"], owner="alice", rating="down", plugin="kitchen")
        with pytest.raises(KeyError):
            b.record_feedback(done["answer_id"], owner="bob", rating="up")
        assert a.feedback.corrections() == [("When should I prune my roses?", "kitchen")]
        assert a.feedback.get(done["answer_id"], "alice") == {
            "rating": "down",
            "reason": None,
            "plugin": "kitchen",
        }
        b.rename_thread("pg-thread", "Rose care", "alice")
        assert [t["title"] for t in a.threads(owner="alice", query="ROSE care")] == ["Rose care"]
        assert a.threads(owner="alice", query="tulips") == []
        a.delete_thread("pg-thread", "alice")
        assert b.feedback.corrections() == []
    finally:
        a.close()
        b.close()


ESPRESSO = [
    "How do I descale an espresso machine?",
    "How often should an espresso machine be descaled?",
    "What descaler suits my espresso machine?",
    "Can vinegar descale an espresso machine?",
    "Why descale the espresso machine boiler?",
    "How long does descaling an espresso machine take?",
    "Should I descale the espresso machine with citric acid?",
    "Does a descaled espresso machine make better coffee?",
    "How do I rinse the espresso machine after descaling?",
    "When is my espresso machine due for descaling?",
]


def test_corrections_in_feedback_teach_the_router(engine: Engine) -> None:
    """Users' corrections (down-votes naming the right plugin) refit routing by themselves."""
    question = "Is it time to descale my espresso machine?"

    def first(eng: Engine, asked: str) -> list[str]:
        return [p.name for p in eng.route(asked).plugins][:1]

    assert first(engine, question) != ["kitchen"]
    for n, asked in enumerate(ESPRESSO, 1):
        answer = final(engine, asked, owner="alice")
        engine.record_feedback(answer["answer_id"], owner="alice", rating="down", plugin="kitchen")
        assert engine.learner.wait(120)
        report = engine.learner.last_report or {}
        if n < 10:  # the safeguard: too few labels change nothing
            assert not report.get("kept") and first(engine, question) != ["kitchen"]
    assert report["kept"], report
    assert first(engine, question) == ["kitchen"]
    # The labels are kept with the calibration: a new engine on the same home routes the same.
    again = Engine(engine.settings, embedder=engine.embedder)
    assert first(again, question) == ["kitchen"]
    # The plugins' own examples still go where they went.
    assert first(again, "When should I prune my roses?") == ["garden"]
