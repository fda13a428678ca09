"""Conversations on the real bundled models (SmolLM2-135M, MiniLM): an earlier answer never
comes back as the answer to a new question, and follow-ups reach the right specialist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from frontdesk.engine import Engine
from frontdesk.settings import Settings

from .servers import ServeProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    home: Path = tmp_path_factory.mktemp("convo-home")
    eng = Engine(Settings(home=home, plugins_path="", entry_point_plugins=False))
    eng.ingest()
    return eng


def test_a_new_question_in_a_thread_is_not_answered_about_the_last_one(real: Engine) -> None:
    first = real.ask("How long should I rest a steak?", thread_id="rice", plugin="cooking")
    assert "steak" in first.answer.lower() or first.citations
    answer = real.ask("Can I freeze cooked rice?", thread_id="rice", plugin="cooking")
    assert "steak" not in answer.answer.lower(), answer.answer
    assert any("rice" in c["snippet"].lower() for c in answer.citations), answer.citations


def test_a_follow_up_does_not_repeat_the_earlier_answer(real: Engine) -> None:
    first = real.ask("What is the capital of Peru?", thread_id="peru")
    assert first.route["mode"] == "coordinator" and first.route["origin"] == "general"
    # In the user's language (it used to be "El Perú, el capital de Peru.").
    assert "lima" in first.answer.lower() and "el per" not in first.answer.lower(), first.answer
    answer = real.ask("And what is its population?", thread_id="peru")
    assert answer.route["standalone"] == "What is Peru's population?"
    assert "capital of peru is lima" not in answer.answer.lower(), answer.answer
    assert answer.answer.strip() != first.answer.strip()


def test_follow_up_about_pots_stays_with_gardening(real: Engine) -> None:
    real.ask("How often should I water tomato plants?", thread_id="pots")
    answer = real.ask("And what if they are in pots?", thread_id="pots")
    assert [p["name"] for p in answer.route["plugins"]] == ["gardening"]
    assert answer.route["mode"] in {"specialist", "escalated"}


def test_hydrangeas_follow_up_goes_to_gardening(real: Engine) -> None:
    real.ask("When should I prune my roses?", thread_id="hyd")
    answer = real.ask("And what about the hydrangeas?", thread_id="hyd")
    assert answer.route["standalone"] == "When should I prune the hydrangeas?"
    assert [p["name"] for p in answer.route["plugins"]] == ["gardening"]


def test_steak_then_a_whole_chicken_then_why(real: Engine) -> None:
    # Seen in the CLI: "And a whole chicken?" was answered with the whole roast's 15 to 30
    # minutes, and "Why?" with the steak times again.
    first = real.ask("How long should I rest a steak?", thread_id="rest")
    assert "5 minutes" in first.answer and "8 to 10 minutes" in first.answer, first.answer
    chicken = real.ask("And a whole chicken?", thread_id="rest")
    assert chicken.route["standalone"] == "How long should I rest a whole chicken?"
    assert "15" in chicken.answer and not re.search(r"chicken[^.]*30", chicken.answer)
    real.ask("How long should I rest a steak?", thread_id="why")
    why = real.ask("Why?", thread_id="why")
    assert why.route["standalone"] == "Why should I rest a steak?"
    assert "heat even out" in why.answer and "5 minutes" not in why.answer, why.answer


def test_the_multi_part_question_answers_or_marks_every_part(real: Engine) -> None:
    answer = real.ask("How long should I rest a steak, and when should I prune my roses?")
    assert answer.answer.strip()
    if answer.route["mode"] == "multi":
        parts = {p["plugin"]: p for p in answer.route["parts"]}
        assert set(parts) == {"cooking", "gardening"}
        for name, part in parts.items():
            # every part is either answered (with its own sources) or said to be missing
            assert (
                part["citations"] if part["answered"] else f"Not found in {name}'s" in answer.answer
            )


def test_a_part_the_notes_do_not_cover_is_said_not_found_not_answered(real: Engine) -> None:
    # Seen in the session-10 audit: the cycling notes declined the wheel part, yet
    # route.parts said it was answered (the web chat: "cycling answered: …"), and the
    # decline went to the coordinator to be merged with the steak answer.
    answer = real.ask("How long should I rest a steak, and how do I true a buckled wheel?")
    assert answer.route["mode"] == "multi", answer.route
    parts = {p["plugin"]: p for p in answer.route["parts"]}
    assert parts["cooking"]["answered"] and parts["cooking"]["citations"]
    assert not parts["cycling"]["answered"] and not parts["cycling"]["citations"]
    assert "8 to 10 minutes" in answer.answer
    assert "Not found in cycling's knowledge" in answer.answer, answer.answer
    assert all(c["plugin"] == "cooking" for c in answer.citations), answer.citations


MULTI = "How long should I rest a steak, and when should I prune my roses?"


def test_multi_part_question_through_a_real_server_and_frontdesk_ask(real: Engine) -> None:
    """The issue's failure: `frontdesk ask` printed nothing and the streamed API sent no
    content. Here with `frontdesk serve` and `frontdesk ask` as real processes."""
    home = real.settings.home
    env = {"FRONTDESK_HOME": str(home), "FRONTDESK_ENTRY_POINT_PLUGINS": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk", "ask", MULTI],
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.strip()
    assert printed
    with ServeProcess(env, home / "convo-server.log") as srv:
        body = {
            "model": "frontdesk",
            "stream": True,
            "messages": [{"role": "user", "content": MULTI}],
        }
        content, final = "", {}
        with httpx.stream("POST", f"{srv.url}/v1/chat/completions", json=body, timeout=300) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data: {"):
                    data = json.loads(line[6:])
                    for choice in data.get("choices", []):
                        content += choice["delta"].get("content") or ""
                    final = data.get("frontdesk", final)
    answer = final["answer"]
    assert printed == answer.strip()  # the CLI and the API give the same answer
    assert content.strip().endswith(answer.strip())
    if final["route"]["mode"] == "multi":
        for part in final["route"]["parts"]:  # every part answered with sources, or said missing
            if part["answered"]:
                assert part["citations"], part
            else:
                assert f"Not found in {part['plugin']}'s knowledge" in answer, answer
