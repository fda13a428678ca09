"""Specialists with tools: the bounded tool loop with a scripted tool-calling model and with the
Ollama-protocol server, the matched pre-step for models that cannot call tools, the grants in
plugin.toml, and the tool calls in the answer's record (CLI --json, API, web chat)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import ToolMessage

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder
from frontdesk.verify import verify

from .conftest import MINI_PLUGINS, REPO, write_plugin
from .ollama_server import MODEL_NAME, TOOL_MODEL, FakeOllama
from .servers import ThreadServer

COOKING_HOOKS = REPO / "plugins" / "cooking" / "hooks.py"
QUESTION = "What is 180 C in Fahrenheit?"
CONVERT = {"name": "convert_units", "args": {"value": 180, "from_unit": "C", "to_unit": "F"}}
TEST_HOOKS = '''
import time
from frontdesk import hookimpl
from frontdesk.tools import tool

ORDERS = []


@tool
def slow_lookup(seconds: float) -> str:
    """Wait, then answer (a tool that hangs)."""
    time.sleep(seconds)
    return "done"


@tool(writes=True)
def place_order(item: str) -> str:
    """Order an item from the shop (changes something outside frontdesk)."""
    ORDERS.append(item)
    return f"ordered {item}"


@hookimpl
def register_tools(register):
    register(slow_lookup)
    register(place_order)
'''


@pytest.fixture(scope="module")
def test_hooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hooks file for the whole module: a file's hooks load once per process."""
    path = tmp_path_factory.mktemp("toolbox") / "hooks.py"
    path.write_text(TEST_HOOKS)
    return path


def tool_plugin(root: Path, model: str, tools_toml: str, hooks: Path = COOKING_HOOKS) -> Path:
    """The test kitchen, with a hooks.py (a link to `hooks`) and a [tools] section."""
    desc, examples, docs = MINI_PLUGINS["kitchen"]
    folder = write_plugin(
        root, "kitchen", desc, examples, docs, model, f'hooks = "hooks.py"\n{tools_toml}'
    )
    (folder / "hooks.py").symlink_to(hooks)
    return folder


@pytest.fixture
def kitchen(tmp_path: Path, make_settings: Callable[..., Settings]) -> Callable[..., Engine]:
    def make(model: str = "fake:tools", tools_toml: str = "", **kw: object) -> Engine:
        root = tmp_path / "toolplugins"
        toml = tools_toml or '[tools]\nnames = ["convert_units"]\n'
        tool_plugin(root, model, toml, **kw)  # type: ignore[arg-type]
        eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
        assert eng.plugin_set.errors == [] and list(eng.plugins) == ["kitchen"]
        eng.ingest()
        return eng

    return make


def test_a_tool_calling_model_converts_and_the_converted_number_passes_the_answer_check(
    kitchen: Callable[..., Engine],
) -> None:
    eng = kitchen()
    FakeChatModel.enqueue({"tool_calls": [CONVERT]}, "180 °C is 356 °F.")
    answer = eng.ask(QUESTION, plugin="kitchen")
    # The model's own sentence stands: 356 is in the evidence because the tool said it.
    assert answer.answer == "180 °C is 356 °F."
    grounding = answer.consults[0]["grounding"]
    assert grounding["repaired"] is False and grounding["support"] == 1.0
    assert verify(answer.answer, QUESTION, []).supported is False  # not without the tool result
    (call,) = answer.route["tools"]
    assert call["name"] == "convert_units" and call["arguments"] == CONVERT["args"]
    assert call["result"].startswith("180 °C is 356 °F") and call["via"] == "model"
    assert call["plugin"] == "kitchen" and call["seconds"] >= 0 and "error" not in call
    assert FakeChatModel.bound == [["convert_units"], ["convert_units"]]
    fed_back = [m for m in FakeChatModel.calls[-1][1] if isinstance(m, ToolMessage)]
    assert [m.content for m in fed_back] == [call["result"]]


def test_a_tool_error_goes_back_to_the_model_which_calls_again(
    kitchen: Callable[..., Engine],
) -> None:
    eng = kitchen()
    kelvin = {"name": "convert_units", "args": {"value": 180, "from_unit": "C", "to_unit": "K"}}
    FakeChatModel.enqueue({"tool_calls": [kelvin]}, {"tool_calls": [CONVERT]}, "It is 356 °F.")
    answer = eng.ask(QUESTION, plugin="kitchen")
    first, second = answer.route["tools"]
    assert "unknown unit 'K'" in first["error"] and "result" not in first
    assert "356 °F" in second["result"] and second["step"] == 2
    told = [m.content for m in FakeChatModel.calls[1][1] if isinstance(m, ToolMessage)]
    assert len(told) == 1 and str(told[0]).startswith("error: ValueError: unknown unit 'K'")
    assert answer.answer == "It is 356 °F."


def test_a_call_of_a_tool_the_plugin_was_not_granted_is_refused(
    kitchen: Callable[..., Engine],
) -> None:
    eng = kitchen()  # grants convert_units only
    order = {"name": "place_order", "args": {"item": "rice"}}
    FakeChatModel.enqueue({"tool_calls": [order]}, "Rest a thick steak for eight minutes.")
    answer = eng.ask("How long should I rest a steak?", plugin="kitchen")
    (call,) = answer.route["tools"]
    assert call["error"] == "no tool named 'place_order' is available"
    assert FakeChatModel.bound[0] == ["convert_units"]


def test_the_tool_loop_stops_at_max_steps_and_answers_without_tools(
    kitchen: Callable[..., Engine],
) -> None:
    eng = kitchen(tools_toml='[tools]\nnames = ["convert_units"]\nmax_steps = 2\n')
    FakeChatModel.enqueue({"tool_calls": [CONVERT]}, {"tool_calls": [CONVERT]}, "356 °F.")
    answer = eng.ask(QUESTION, plugin="kitchen")
    assert len(answer.route["tools"]) == 2
    assert answer.route["tool_notes"] == ["tool step limit (2) reached"]
    assert FakeChatModel.bound == [["convert_units"], ["convert_units"], []]
    assert answer.answer == "356 °F."


def test_a_hung_tool_times_out_and_the_answer_still_comes(
    kitchen: Callable[..., Engine], test_hooks: Path
) -> None:
    eng = kitchen(tools_toml='[tools]\nnames = ["slow_lookup"]\ntimeout = 0.2\n', hooks=test_hooks)
    FakeChatModel.enqueue(
        {"tool_calls": [{"name": "slow_lookup", "args": {"seconds": 5}}]},
        "Rest a thick steak for eight minutes before cutting it.",
    )
    answer = eng.ask("How long should I rest a steak?", plugin="kitchen")
    (call,) = answer.route["tools"]
    assert call["error"] == "timed out after 0.2 s"
    assert answer.answer == "Rest a thick steak for eight minutes before cutting it."


def test_a_tool_that_writes_is_granted_only_with_allow_write(
    tmp_path: Path, make_settings: Callable[..., Settings], test_hooks: Path
) -> None:
    denied, allowed = tmp_path / "denied", tmp_path / "allowed"
    tool_plugin(denied, "fake:tools", '[tools]\nnames = ["place_order"]\n', test_hooks)
    eng = Engine(make_settings(plugins_path=str(denied)), embedder=HashEmbedder())
    assert eng.plugins == {}
    (err,) = eng.plugin_set.errors
    assert err.field == "tools.allow_write" and "place_order' writes" in str(err)

    toml = '[tools]\nnames = ["place_order"]\nallow_write = true\n'
    tool_plugin(allowed, "fake:tools", toml, test_hooks)
    eng = Engine(make_settings(plugins_path=str(allowed)), embedder=HashEmbedder())
    eng.ingest()
    FakeChatModel.enqueue(
        {"tool_calls": [{"name": "place_order", "args": {"item": "rice"}}]}, "Ordered rice."
    )
    answer = eng.ask("Can I freeze cooked rice?", plugin="kitchen")
    assert answer.route["tools"][0]["result"] == "ordered rice"


def test_a_tool_no_hook_registers_is_a_manifest_error(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    tool_plugin(tmp_path / "p", "fake:tools", '[tools]\nnames = ["no_such_tool"]\n')
    eng = Engine(make_settings(plugins_path=str(tmp_path / "p")), embedder=HashEmbedder())
    (err,) = eng.plugin_set.errors
    assert err.field == "tools.names" and "no tool named 'no_such_tool'" in str(err)
    assert "convert_units" in str(err)  # the known ones are listed


def test_a_model_without_tool_calling_gets_the_matched_tool_result_as_a_fact(
    kitchen: Callable[..., Engine],
) -> None:
    eng = kitchen(model="fake:facts")  # answers with the first fact it is given
    answer = eng.ask(QUESTION, plugin="kitchen")
    (call,) = answer.route["tools"]
    assert call["via"] == "pre-step" and call["step"] == 0
    assert call["arguments"] == {"value": 180.0, "from_unit": "C", "to_unit": "Fahrenheit"}
    assert answer.answer.startswith("180 °C is 356 °F")
    assert answer.consults[0]["grounding"]["repaired"] is False
    prompt = str(FakeChatModel.calls[0][1][-1].content)
    assert "- 180 °C is 356 °F" in prompt
    assert FakeChatModel.bound == []  # nothing was bound: the backend cannot call tools


def test_without_a_match_a_model_without_tool_calling_answers_as_before(
    kitchen: Callable[..., Engine],
) -> None:
    eng = kitchen(model="fake:facts")
    answer = eng.ask("How long should I rest a steak?", plugin="kitchen")
    assert answer.answer == "Rest a thick steak for eight minutes before cutting it."
    assert "tools" not in answer.route
    declined = eng.ask("Who wrote the Iliad?", plugin="kitchen")  # no notes, no tool
    assert declined.consults[0]["grounding"].get("declined") is True
    assert "tools" not in declined.route


def test_a_toml_only_plugin_has_no_tools(engine: Engine) -> None:
    assert all(p.tools.names == [] for p in engine.plugins.values())
    answer = engine.ask("How long should I rest a steak?")
    assert "tools" not in answer.route and FakeChatModel.bound == []


def test_ollama_tool_calling_protocol(kitchen: Callable[..., Engine]) -> None:
    with FakeOllama(canned=True) as server:
        eng = kitchen(model=f"ollama:{TOOL_MODEL}@{server.url}")
        server.enqueue({"tool_calls": [CONVERT]}, "180 °C is 356 °F.")
        answer = eng.ask(QUESTION, plugin="kitchen")
        first, second = server.requests
    (schema,) = first["tools"]
    assert schema["function"]["name"] == "convert_units"
    assert set(schema["function"]["parameters"]["required"]) == {"value", "from_unit", "to_unit"}
    asked = [m for m in second["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    assert asked[-1]["tool_calls"][0]["function"]["name"] == "convert_units"
    results = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    assert results == [answer.route["tools"][0]["result"]]
    assert answer.answer == "180 °C is 356 °F." and answer.route["tools"][0]["via"] == "model"


def test_an_ollama_model_without_tool_support_falls_back_to_the_pre_step(
    kitchen: Callable[..., Engine],
) -> None:
    with FakeOllama(canned=True) as server:
        eng = kitchen(model=f"ollama:{MODEL_NAME}@{server.url}")
        answer = eng.ask(QUESTION, plugin="kitchen")
        refused, plain = server.requests
    assert refused["tools"] and not plain.get("tools")
    (note,) = answer.route["tool_notes"]
    assert "does not support tools" in note
    assert answer.route["tools"][0]["via"] == "pre-step"
    assert answer.answer.startswith("180 °C is 356 °F")


def test_tool_calls_reach_the_cli_json_the_api_and_the_web_chat_fold_out(
    kitchen: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from frontdesk_ui.render import route_message

    eng = kitchen()
    monkeypatch.setattr(cli, "_engine", lambda: eng)
    FakeChatModel.enqueue({"tool_calls": [CONVERT]}, "180 °C is 356 °F.")
    assert cli.main(["ask", QUESTION, "--plugin", "kitchen", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["route"]["tools"][0]["name"] == "convert_units"
    FakeChatModel.enqueue({"tool_calls": [CONVERT]}, "180 °C is 356 °F.")
    assert cli.main(["ask", QUESTION, "--plugin", "kitchen"]) == 0
    shown = capsys.readouterr()
    assert shown.out.strip() == "180 °C is 356 °F."
    assert "[tool convert_units(value=180, from_unit='C', to_unit='F') [model, " in shown.err

    FakeChatModel.enqueue({"tool_calls": [CONVERT]}, "180 °C is 356 °F.")
    with ThreadServer(build_app(eng, with_ui=False)) as server:
        reply = httpx.post(
            f"{server.url}/v1/chat/completions",
            json={
                "model": "frontdesk/kitchen",
                "messages": [{"role": "user", "content": QUESTION}],
            },
            timeout=30,
        )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["choices"][0]["message"]["content"] == "180 °C is 356 °F."
    (call,) = body["frontdesk"]["route"]["tools"]
    assert call["arguments"] == CONVERT["args"] and "356 °F" in call["result"]

    fold_out = route_message(body["frontdesk"]["route"])["content"]
    assert "tool convert_units(value=180, from_unit=&#x27;C&#x27;" in fold_out
    assert "→ 180 °C is 356 °F" in fold_out


@pytest.mark.skipif(os.name != "posix", reason="symlinked hooks files")
def test_the_cooking_plugin_grants_its_conversion_tool(tmp_path: Path) -> None:
    from frontdesk.tools import TOOLS

    eng = Engine(
        Settings(home=tmp_path, plugins_path="", entry_point_plugins=False), HashEmbedder()
    )
    cooking = eng.plugins["cooking"]
    info = {p["name"]: p for p in eng.plugin_info()}
    assert info["cooking"]["tools"] == ["convert_units"] and info["gardening"]["tools"] == []
    assert cooking.tools.names == ["convert_units"] and not cooking.tools.allow_write
    convert = TOOLS["convert_units"]
    assert not convert.writes
    assert convert.function(350, "°F", "celsius").startswith("350 °F is 177 °C")
    assert convert.function(8, "ounces", "g").startswith("8 oz is 227 g")
    assert convert.function(2, "cups", "ml").startswith("2 cups is 473 ml")
    assert convert.function(3, "tsp", "tbsp").startswith("3 tsp is 1 tbsp")
    with pytest.raises(ValueError, match="depends on the ingredient"):
        convert.function(1, "cup", "g")
    assert convert.match is not None
    assert convert.match("How many grams is 8 oz?") == {
        "value": 8.0,
        "from_unit": "oz",
        "to_unit": "grams",
    }
    assert convert.match("How long should I rest a steak?") is None


def test_which_backends_call_tools() -> None:
    """Ollama and OpenAI-compatible models bind tools (the loop runs); the bundled llama.cpp
    model does not (the matched pre-step runs)."""
    from frontdesk.models import ModelOptions, load_chat_model
    from frontdesk.tool_loop import can_call_tools

    options = ModelOptions()
    assert can_call_tools(load_chat_model("ollama:qwen3:0.6b@http://127.0.0.1:9", options))
    assert can_call_tools(load_chat_model("openai:gpt-4o-mini@http://127.0.0.1:9/v1", options))
    assert not can_call_tools(load_chat_model("llamacpp:smollm2", options))
    assert not can_call_tools(load_chat_model("fake:facts", options))


MCP_SERVER = '''
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

server = FastMCP("calc")


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@server.tool()
def erase(record: str) -> str:
    """Erase a record (not marked read-only: it counts as writing)."""
    return f"erased {record}"


if __name__ == "__main__":
    server.run()
'''


def test_tools_of_an_mcp_server_are_granted_by_name_and_called(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """A real stdio MCP server (the `mcp` SDK), listed and called through
    langchain-mcp-adapters; its tool that is not read-only needs allow_write."""
    import sys

    server = tmp_path / "calc_server.py"
    server.write_text(MCP_SERVER)
    mcp = f'[tools.mcp.calc]\ncommand = "{sys.executable}"\nargs = ["{server}"]\n'
    desc, examples, docs = MINI_PLUGINS["kitchen"]
    root = tmp_path / "p"
    write_plugin(
        root, "kitchen", desc, examples, docs, "fake:tools", f'[tools]\nnames = ["calc_add"]\n{mcp}'
    )
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    assert eng.plugin_set.errors == []
    eng.ingest()
    FakeChatModel.enqueue({"tool_calls": [{"name": "calc_add", "args": {"a": 2, "b": 3}}]}, "5")
    answer = eng.ask("What is 2 plus 3?", plugin="kitchen")
    (call,) = answer.route["tools"]
    assert call["name"] == "calc_add" and call["result"] == "5" and "error" not in call
    assert FakeChatModel.bound[0] == ["calc_add"]
    assert answer.answer.strip("“”") == "5"

    writer = tmp_path / "w"
    write_plugin(
        writer,
        "kitchen",
        desc,
        examples,
        docs,
        "fake:tools",
        f'[tools]\nnames = ["calc_erase"]\n{mcp}',
    )
    eng = Engine(make_settings(plugins_path=str(writer)), embedder=HashEmbedder())
    (err,) = eng.plugin_set.errors
    assert err.field == "tools.allow_write" and "calc_erase" in str(err)
