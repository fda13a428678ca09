"""One answer contract: for every mode, the CLI, the API (streamed and not) and the web chat
show the graph's final answer. Fake models and bag-of-words embeddings; real servers (uvicorn
in a thread, the Gradio app driven by gradio_client) and a real `frontdesk ask` subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import MINI_PLUGINS, write_plugin
from .servers import ThreadServer

MULTI = "How long should I rest a steak, and when should I prune my roses?"
STEAK = "Rest a thick steak for eight minutes before cutting it."
ROSES = "Prune bush roses in late winter when the buds swell."


@dataclass
class Case:
    question: str
    mode: str
    models: dict[str, str]  # plugin -> model spec (others: fake:facts)
    settings: dict[str, Any]
    check: Callable[[str], bool]  # what the final answer must say


CASES = {
    "specialist": Case("How long should I rest a steak?", "specialist", {}, {}, STEAK.__eq__),
    # Both parts grounded; the fake coordinator's merge drops both, so the graph gives the parts.
    "multi-both": Case(MULTI, "multi", {}, {}, lambda a: STEAK in a and ROSES in a),
    # The regression: one part without an answer printed nothing / dropped the roses part.
    # (An inventing specialist is now repaired from its notes, so the unanswered part here is
    # a specialist whose model is down.)
    "multi-one": Case(
        MULTI,
        "multi",
        {"garden": "fake:down"},
        {},
        lambda a: STEAK in a and "garden specialist could not be reached" in a,
    ),
    "coordinator": Case(
        "Who painted the Mona Lisa?",
        "coordinator",
        {},
        {},
        "echo: Who painted the Mona Lisa?".__eq__,
    ),
    "escalated": Case(
        # Routed to the kitchen (its description names bread), but its notes say nothing about
        # bread: the specialist declines and the coordinator, a different model, answers.
        "How should I bake bread in the kitchen?",
        "escalated",
        {},
        {},
        lambda a: a.startswith("echo:"),
    ),
}


def _engine(tmp_path: Path, make_settings: Callable[..., Settings], case: Case) -> Engine:
    root = tmp_path / "contract-plugins"
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs, model=case.models.get(name))
    eng = Engine(make_settings(plugins_path=str(root), **case.settings), embedder=HashEmbedder())
    eng.ingest()
    return eng


def _sse(url: str, question: str) -> tuple[str, dict[str, Any]]:
    body = {
        "model": "frontdesk",
        "stream": True,
        "messages": [{"role": "user", "content": question}],
    }
    content, final = "", {}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=60) as resp:
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            for choice in data.get("choices", []):
                content += choice["delta"].get("content") or ""
            if "frontdesk" in data:
                final = data["frontdesk"]
    return content, final


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


@pytest.fixture
def served(
    tmp_path: Path, make_settings: Callable[..., Settings], case: Case
) -> Iterator[tuple[Engine, ThreadServer]]:
    eng = _engine(tmp_path, make_settings, case)
    with ThreadServer(build_app(eng)) as srv:
        yield eng, srv


def test_every_front_end_shows_the_final_answer(
    case: Case,
    served: tuple[Engine, ThreadServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    eng, srv = served

    # The engine: the shown tokens (and a replace) add up to the final answer.
    events = list(eng.stream(case.question))
    final = events[-1].data
    answer = final["answer"]
    assert final["route"]["mode"] == case.mode
    assert case.check(answer), answer
    shown = ""
    for e in events:
        if e.kind == "token" and e.data["answer"]:
            shown += e.data["text"]
        elif e.kind in ("escalate",):
            shown = ""
        elif e.kind == "replace":
            shown = e.data["text"]
    assert shown.strip() == answer.strip()

    # The CLI (stdout not a terminal): exactly the final answer.
    monkeypatch.setattr(cli, "_engine", lambda: eng)
    assert cli.main(["ask", case.question]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == answer.strip()
    assert f"[mode: {case.mode};" in err
    general = final["route"]["origin"] == "general"
    # The coordinator alone, without sources (escalated answers citing the facts are not).
    assert general == (case.mode in ("coordinator", "escalated") and not final["citations"])
    assert general or case.mode != "coordinator"
    assert ("[answered by the general model, without sources]" in err) == general

    # The API, not streamed: the message is the answer, and the record says so too.
    body = {"model": "frontdesk", "messages": [{"role": "user", "content": case.question}]}
    resp = httpx.post(f"{srv.url}/v1/chat/completions", json=body, timeout=60)
    assert resp.status_code == 200, resp.text
    assert resp.json()["choices"][0]["message"]["content"] == answer
    assert resp.json()["frontdesk"]["route"]["mode"] == case.mode

    # The API, streamed: the content ends with the whole answer, the last chunk carries it.
    content, extension = _sse(srv.url, case.question)
    assert content.strip().endswith(answer.strip()), content
    assert extension["answer"] == answer
    # An escalation is announced without claiming more than happened: a specialist that declined
    # had no unsupported answer (audit, session 10: "was not supported by its sources").
    assert ("could not answer this from its sources" in content) == (case.mode == "escalated")
    assert "not supported by its sources" not in content
    assert extension["route"]["mode"] == case.mode

    # The web chat: the assistant bubble holds the final answer.
    from gradio_client import Client

    client = Client(f"{srv.url}/", verbose=False)
    history, _, _, route_line = client.predict(case.question, None, "auto", api_name="/respond")
    # The route and sources fold-outs are titled messages; the answer is the one untitled bubble.
    (bubble,) = [
        m
        for m in history
        if m["role"] == "assistant" and not (m.get("metadata") or {}).get("title")
    ]
    assert bubble["content"][0]["text"] == answer
    assert ("answered by the general model, without sources" in route_line) == general
    # The label stays with the answer in the transcript (the route line under the chat shows
    # only the latest answer, and nothing after a reload): in the route fold-out's title.
    (fold_out,) = [
        m for m in history if str((m.get("metadata") or {}).get("title", "")).startswith("Route: ")
    ]
    title = fold_out["metadata"]["title"]
    assert ("answered by the general model, without sources" in title) == general, title


def test_frontdesk_ask_subprocess_prints_every_part(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """The exact regression: `frontdesk ask` printed nothing (exit 0) for this question."""
    case = CASES["multi-one"]
    eng = _engine(tmp_path, make_settings, case)
    settings = eng.settings
    env = {
        **os.environ,
        "FRONTDESK_HOME": str(settings.home),
        "FRONTDESK_PLUGINS_PATH": settings.plugins_path,
        "FRONTDESK_BUNDLED_PLUGINS": "false",
        "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
        "FRONTDESK_COORDINATOR_MODEL": "fake:echo",
        "FRONTDESK_DEFAULT_MODEL": "fake:facts",
        "FRONTDESK_ROUTER_LLM": "false",
        "FRONTDESK_TEST_EMBEDDER": "hash",
    }
    # The fake backend registers itself on import; the rest is the real command.
    code = "import sys, frontdesk.testing; from frontdesk.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "ask", case.question],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert STEAK in proc.stdout
    assert "garden specialist could not be reached" in proc.stdout
    assert "[mode: multi;" in proc.stderr


def test_the_parts_fold_out_says_which_part_was_not_found() -> None:
    """Seen in the session-10 audit: "cycling answered: “how do I true a buckled wheel”"
    under an answer saying the cycling notes do not cover it."""
    from frontdesk_ui.render import parts_html

    route = {
        "parts": [
            {"part": "How long should I rest a steak", "plugin": "cooking", "answered": True},
            {"part": "how do I true a buckled wheel", "plugin": "cycling", "answered": False},
        ]
    }
    shown = parts_html(route) or ""
    assert "<b>cooking</b> answered: “How long should I rest a steak”" in shown
    assert "<b>cycling</b> answered" not in shown
    assert "<b>cycling</b> did not find: “how do I true a buckled wheel”" in shown
