"""Tools a specialist may call: Python functions registered by hook, granted by plugin.toml.

A tool is a typed function with a docstring. `writes=True` marks one that changes something
outside frontdesk (a database, a file, an order); a plugin gets such a tool only when its
manifest says `[tools] allow_write = true`. `match(question)` (optional) returns the arguments
for questions that plainly ask for this tool, so models that cannot call tools still get its
result (see tool_loop.py).

Each call runs with a timeout in its own thread; its record (name, arguments, result or error,
seconds) becomes part of the answer.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Matcher = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    function: Callable[..., Any]
    writes: bool = False
    match: Matcher | None = None
    langchain: Any = None  # a ready LangChain tool (an MCP server's), else made from function

    def as_langchain(self) -> Any:
        """The LangChain tool (its JSON schema comes from the function's type hints)."""
        if self.langchain is not None:
            return self.langchain
        return _structured(self)


@functools.lru_cache(maxsize=512)
def _structured(item: Tool) -> Any:
    """One LangChain tool per Tool (its schema is a pydantic model made from the type hints:
    about 1 ms each, once per answer before). Keyed by the whole Tool, so a reloaded plugin's
    changed function or description makes a new one."""
    from langchain_core.tools import StructuredTool

    return StructuredTool.from_function(
        func=item.function, name=item.name, description=item.description
    )


def tool(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    writes: bool = False,
    match: Matcher | None = None,
) -> Any:
    """Make a Tool of a function; usable bare (`@tool`) or with options (`@tool(writes=True)`)."""

    def make(fn: Callable[..., Any]) -> Tool:
        text = description or (fn.__doc__ or "").strip()
        if not text:
            raise ValueError(f"tool '{fn.__name__}' needs a description or a docstring")
        return Tool(name or fn.__name__, text, fn, writes, match)

    return make(function) if function is not None else make


TOOLS: dict[str, Tool] = {}


def register_tool(item: Tool | Callable[..., Any]) -> None:
    """What the `register_tools` hook's `register` does; a name registered twice is an error."""
    made = item if isinstance(item, Tool) else tool(item)
    known = TOOLS.get(made.name)
    if known is not None and known.function is not made.function:
        raise ValueError(f"tool '{made.name}' is registered twice; rename one of them")
    TOOLS[made.name] = made


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def run(item: Tool | None, name: str, arguments: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Call a tool; the record holds `result` or `error` (never raises), and `seconds`."""
    record: dict[str, Any] = {"name": name, "arguments": arguments}
    started = time.perf_counter()
    if item is None:
        record.update(error=f"no tool named '{name}' is available", seconds=0.0)
        return record
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            if item.langchain is not None:  # async-only (MCP): its function runs it
                outcome["result"] = _text(item.function(**arguments))
            else:  # validates the arguments against the schema first
                outcome["result"] = _text(item.as_langchain().invoke(arguments))
        except Exception as exc:  # bad arguments or a failing tool: told to the model
            outcome["error"] = (
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            )

    # A thread, not the caller's: a hung tool must not hold the answer past its timeout.
    worker = threading.Thread(target=call, name=f"tool-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        outcome = {"error": f"timed out after {timeout:g} s"}
    record.update(outcome)
    record["seconds"] = round(time.perf_counter() - started, 4)
    return record
