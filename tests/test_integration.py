"""End to end with the real bundled models (SmolLM2-135M and all-MiniLM-L6-v2), offline."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import BackendError
from frontdesk.settings import Settings
from frontdesk.verify import numbers_not_in

from .conftest import write_plugin
from .ollama_server import MODEL_NAME, FakeOllama

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def real(home: Path) -> Engine:
    """The bundled example plugins, ingested with MiniLM, answering with SmolLM2."""
    eng = Engine(Settings(home=home, plugins_path="", entry_point_plugins=False))
    reports = eng.ingest()
    assert {r.plugin for r in reports} == {"cooking", "gardening", "cycling"}
    assert all(r.chunks_total > 5 for r in reports)
    return eng


def test_in_domain_question_routes_to_one_plugin_and_cites_its_knowledge(real: Engine) -> None:
    answer = real.ask("How long should I rest a steak after cooking it?")
    assert [p["name"] for p in answer.route["plugins"]] == ["cooking"]
    assert answer.route["mode"] in {"specialist", "escalated"}
    assert answer.answer.strip()
    assert answer.citations and all(c["plugin"] == "cooking" for c in answer.citations)
    assert any(c["source"] == "resting-and-cooking-meat.md" for c in answer.citations)
    specialist = next(u for u in answer.usage if "specialist" in u["roles"])
    assert specialist["model"] == "llamacpp:smollm2"
    assert specialist["input_tokens"] > 50 and specialist["output_tokens"] > 0


def test_two_domains_consult_both_specialists_in_parallel_on_one_model(real: Engine) -> None:
    """Both branches share one in-process Llama: the per-model lock must keep them apart."""
    answer = real.ask("How long should I rest a steak, and when should I prune my roses?")
    consulted = {c["plugin"] for c in answer.consults}
    assert consulted == {"cooking", "gardening"}
    assert all(c["answer"].strip() for c in answer.consults)
    assert answer.route["mode"] in {"multi", "escalated"}


def test_unrelated_question_goes_to_the_coordinator(real: Engine) -> None:
    answer = real.ask("What is the capital city of Australia?")
    assert answer.route["plugins"] == [] and answer.route["mode"] == "coordinator"
    assert answer.reached_coordinator and answer.answer.strip()
    assert answer.usage[0]["roles"] == ["coordinator"]


def test_memory_follows_the_thread(real: Engine) -> None:
    real.ask("How do I fix a flat tyre on my bike?", thread_id="bike")
    real.ask("And what pressure should the tyre be?", thread_id="bike")
    history = real.history("bike")
    assert [m.type for m in history] == ["human", "ai", "human", "ai"]


def test_the_bundled_model_gets_a_matched_conversion_tool_result_before_it_answers(
    real: Engine,
) -> None:
    """SmolLM2-135M cannot call tools: the cooking plugin's convert_units runs first when the
    question matches it, and the answer is checked against its result (README, "Tools")."""
    answer = real.ask("What is 180 C in Fahrenheit?")
    assert [p["name"] for p in answer.route["plugins"]] == ["cooking"]
    (call,) = answer.route["tools"]
    assert call["via"] == "pre-step" and call["result"].startswith("180 °C is 356 °F")
    assert "356" in answer.answer
    evidence = " ".join([call["result"], *(c["snippet"] for c in answer.citations)])
    assert numbers_not_in(answer.answer, evidence) == []


def test_cli_answers_offline_in_a_subprocess(home: Path, real: Engine, tmp_path: Path) -> None:
    """The installed command, on the ingested home, with a plugin added on the plugins path."""
    extra = tmp_path / "more"
    write_plugin(
        extra,
        "astronomy",
        "Astronomy: planets, moons, stars and telescopes.",
        ["How far away is the Moon?", "Why is Mars red?"],
        {"moon.md": "# The Moon\n\nThe Moon is about 384,400 km from Earth on average."},
        model="llamacpp:smollm2",
    )
    env = {
        **os.environ,
        "FRONTDESK_HOME": str(home),
        "FRONTDESK_PLUGINS_PATH": str(extra),
        "HF_HUB_OFFLINE": "1",
    }
    exe = shutil.which("frontdesk") or f"{sys.executable} -m frontdesk"
    cmd = exe.split()
    subprocess.run([*cmd, "ingest", "astronomy"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [*cmd, "ask", "How far away is the Moon from Earth?", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out)
    assert data["route"]["plugins"][0]["name"] == "astronomy"
    assert data["citations"][0]["source"] == "moon.md"


def test_ollama_backend_against_a_local_ollama_protocol_server(tmp_path: Path) -> None:
    """No Ollama daemon can be installed here: this runs the real `ollama:` backend
    (langchain-ollama's client) against tests/ollama_server.py, a local server that speaks
    Ollama's /api/chat and /api/tags protocol and generates with the bundled SmolLM2."""
    with FakeOllama() as server:
        root = tmp_path / "plugins"
        write_plugin(
            root,
            "bikes",
            "Bicycle repair: chains, tyres and brakes.",
            ["How often should I oil my chain?"],
            {"chain.md": "# Chain\n\nOil the chain every 200 km and after rain."},
            model=f"ollama:{MODEL_NAME}@{server.url}",
        )
        settings = Settings(
            home=tmp_path / "home",
            plugins_path=str(root),
            bundled_plugins=False,
            entry_point_plugins=False,
            coordinator_model=f"ollama:{MODEL_NAME}@{server.url}",
        )
        eng = Engine(settings)
        eng.ingest()
        answer = eng.ask("How often should I oil my bike chain?")
        assert answer.route["plugins"][0]["name"] == "bikes"
        assert answer.answer.strip()
        assert server.requests and server.requests[0]["model"] == MODEL_NAME
        assert "Oil the chain every 200 km" in json.dumps(server.requests[0]["messages"])
        usage = {u["model"]: u for u in answer.usage}[f"ollama:{MODEL_NAME}@{server.url}"]
        assert usage["input_tokens"] > 10 and usage["output_tokens"] > 0


def test_ollama_down_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = tmp_path / "plugins"
    spec = f"ollama:qwen2.5:0.5b@http://127.0.0.1:{port}"
    write_plugin(
        root,
        "bikes",
        "Bicycle repair: chains, tyres and brakes.",
        ["How often should I oil my chain?"],
        {"chain.md": "Oil the chain every 200 km."},
        model=spec,
    )
    eng = Engine(
        Settings(
            home=tmp_path / "home",
            plugins_path=str(root),
            bundled_plugins=False,
            entry_point_plugins=False,
        )
    )
    eng.ingest()
    with pytest.raises(BackendError) as info:
        eng.ask("How often should I oil my bike chain?", thread_id="t")
    message = str(info.value)
    assert spec in message and "\n" not in message
    assert eng.history("t") == []
