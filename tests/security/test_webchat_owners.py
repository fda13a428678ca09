"""The web chat's new Gradio endpoints (issue 12) keep threads owned: another key cannot read,
rename, regenerate, edit, rate or open the sources of a thread it did not start."""

from __future__ import annotations

from typing import Any

import httpx

from .attack import KEY_A, KEY_B, bearer, gradio_call


def test_new_web_endpoints_respect_thread_owners(keyed: Any) -> None:
    r = httpx.post(
        f"{keyed.url}/v1/chat/completions",
        json={
            "model": "frontdesk",
            "messages": [{"role": "user", "content": "How long should I rest a steak?"}],
        },
        headers={**bearer(KEY_A), "X-Frontdesk-Thread": "alice-private"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    answer_id = r.json()["id"]
    engine = keyed.engine
    owner_a = engine.log.owner("alice-private")
    before = [m.content for m in engine.history("alice-private", owner_a)]
    for fn, data in (
        ("rename_current", ["alice-private", "taken over", ""]),
        ("regenerate", ["replace it", "alice-private", "auto"]),
        ("open_source", [f"#fd-src/{answer_id}/1", "alice-private"]),
        ("list_threads", ["steak"]),
    ):
        status, events = gradio_call(keyed.url, fn, data, headers=bearer(KEY_B))
        text = str(events)
        assert status == 200 and events, (fn, status)
        assert "rest a steak" not in text and "eight minutes" not in text, (fn, text[:300])
    # Nothing of Alice's changed: her title, her messages.
    assert engine.threads(owner=owner_a)[0]["title"] == "How long should I rest a steak?"
    assert [m.content for m in engine.history("alice-private", owner_a)] == before
    # Her own web session sees the source panel for her citation.
    _, events = gradio_call(
        keyed.url, "open_source", [f"#fd-src/{answer_id}/1", "alice-private"], headers=bearer(KEY_A)
    )
    assert "fd-hit" in str(events) and "steak.md" in str(events)
