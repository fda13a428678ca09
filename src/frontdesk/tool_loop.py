"""A specialist's tools inside its consult step: a bounded tool loop, or a deterministic pre-step.

- A backend with tool calling (LangChain `bind_tools`: Ollama, OpenAI-compatible) gets the
  plugin's tools bound. Each reply's tool calls run (each with the manifest's timeout) and go
  back to the model as tool messages, errors included, so it can correct itself; at most
  `max_steps` rounds, then one last call without tools.
- A backend without it (the bundled llama.cpp model), or an Ollama model that answers "does
  not support tools": every granted tool whose `match` recognises the question runs before
  generation, with the arguments `match` returns.
Either way each result is a fact: the model is given it, and the answer check accepts what it
states (a converted temperature is evidence, not an invented number). Every call — name,
arguments, result or error, seconds — is recorded in the consult (and the answer's route).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from frontdesk.errors import BackendError
from frontdesk.mcp_tools import server_tools
from frontdesk.plugins import Plugin
from frontdesk.tools import TOOLS, Tool, run

# invoke(messages, tools or None) -> (reply text, usage record with the reply as "message")
Invoke = Callable[[list[BaseMessage], Sequence[Any] | None], tuple[str, dict[str, Any]]]
Prompt = Callable[[list[str]], list[BaseMessage]]
REFUSED = "does not support tools"  # Ollama's answer for a model without tool calling


def can_call_tools(model: BaseChatModel) -> bool:
    """Whether the model's class implements LangChain tool binding."""
    return type(model).bind_tools is not BaseChatModel.bind_tools


@dataclass
class Toolkit:
    plugin: Plugin
    tools: list[Tool]
    calling: bool
    calls: list[dict[str, Any]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def for_plugin(
        cls, plugin: Plugin, model_for: Callable[[str], BaseChatModel]
    ) -> Toolkit | None:
        """The plugin's granted tools, or None when it has none (then no model is loaded). A
        tool that writes is left out unless the manifest allows it (checked at load too; this
        is the last guard)."""
        grant = plugin.tools
        if not grant.names:
            return None
        found = {**TOOLS, **server_tools(plugin.root, grant.servers())}  # listed at load: cached
        tools = [
            found[n]
            for n in grant.names
            if n in found and (grant.allow_write or not found[n].writes)
        ]
        return cls(plugin, tools, can_call_tools(model_for(plugin.model))) if tools else None

    def _run(self, name: str, arguments: dict[str, Any], via: str, step: int) -> dict[str, Any]:
        found = next((t for t in self.tools if t.name == name), None)
        record = run(found, name, arguments, self.plugin.tools.timeout)
        record.update(plugin=self.plugin.name, via=via, step=step)
        self.calls.append(record)
        if "result" in record:
            self.facts.append(record["result"])
        return record

    def pre_step(self, question: str) -> None:
        """For a backend without tool calling: run the tools that recognise the question."""
        if self.calling:
            return
        for item in self.tools:
            if item.match is None:
                continue
            try:
                arguments = item.match(question)
            except Exception as exc:  # a broken matcher must not break the answer
                self.notes.append(f"{item.name}: its match failed ({type(exc).__name__})")
                continue
            if arguments is not None:
                self._run(item.name, arguments, "pre-step", 0)

    @property
    def may_answer(self) -> bool:
        """Whether tools may answer what the notes do not cover."""
        return self.calling or bool(self.facts)

    def answer(
        self, question: str, prompt: Prompt, facts: list[str], invoke: Invoke
    ) -> tuple[str, list[dict[str, Any]]]:
        """Generate the specialist's answer with the tools; returns text and usage records."""
        if not self.calling:
            text, record = invoke(prompt(self.facts + facts), None)
            return text, [_usage(record)]
        messages = prompt(facts)
        usage: list[dict[str, Any]] = []
        for step in range(1, self.plugin.tools.max_steps + 1):
            try:
                text, record = invoke(messages, [t.as_langchain() for t in self.tools])
            except BackendError as exc:
                if step > 1 or REFUSED not in str(exc):
                    raise
                self.calling = False  # the model cannot: fall back to the pre-step
                self.notes.append(f"{self.plugin.model} {REFUSED}; matched tools ran instead")
                self.pre_step(question)
                return self.answer(question, prompt, facts, invoke)
            reply: AIMessage = record.pop("message")
            usage.append(record)
            if not reply.tool_calls:
                return text, usage
            messages = [*messages, reply]
            for call in reply.tool_calls:
                done = self._run(call["name"], dict(call["args"]), "model", step)
                said = done["result"] if "result" in done else f"error: {done['error']}"
                messages.append(ToolMessage(said, tool_call_id=call["id"] or call["name"]))
        self.notes.append(f"tool step limit ({self.plugin.tools.max_steps}) reached")
        text, record = invoke(messages, None)  # answer with what the tools gave
        return text, usage + [_usage(record)]

    def record(self) -> dict[str, Any]:
        """What the consult carries: every call, and why tools behaved as they did."""
        out: dict[str, Any] = {"tools": self.calls}
        if self.notes:
            out["tool_notes"] = self.notes
        return out


def route_record(consults: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer route's `tools` (every call of every consult) and `tool_notes`, if any."""
    out: dict[str, Any] = {}
    calls = [t for c in consults for t in c.get("tools", [])]
    notes = [n for c in consults for n in c.get("tool_notes", [])]
    if calls:
        out["tools"] = calls
    if notes:
        out["tool_notes"] = notes
    return out


def describe(route: dict[str, Any]) -> str:
    """The route's tool calls as plain lines (the web chat's route fold-out shows them)."""
    lines = []
    for call in route.get("tools", []):
        args = ", ".join(f"{k}={v!r}" for k, v in call.get("arguments", {}).items())
        outcome = call["result"] if "result" in call else f"error: {call.get('error')}"
        lines.append(
            f"tool {call['name']}({args}) [{call.get('via')}, {call.get('seconds', 0):.2f} s]"
            f" → {outcome}"
        )
    return "\n".join(lines + [f"note: {n}" for n in route.get("tool_notes", [])])


def _usage(record: dict[str, Any]) -> dict[str, Any]:
    record.pop("message", None)
    return record
