"""Tools from MCP servers, through langchain-mcp-adapters (`pip install 'frontdesk[mcp]'`).

A plugin names its servers in plugin.toml (`[tools.mcp.<server>]`: `command` + `args` for a
stdio server run in the plugin folder, or `url` for a streamable-HTTP one). Their tools are
listed once per process when the manifest loads, and granted like any other tool, by name:
`<server>_<tool>`. An MCP tool counts as writing unless the server marks it `readOnlyHint`,
so it needs `allow_write = true` otherwise.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path
from typing import Any

from frontdesk.tools import Tool

_cache: dict[str, dict[str, Tool]] = {}
_lock = threading.Lock()


def _connection(root: Path, server: dict[str, Any]) -> dict[str, Any]:
    if server.get("url"):
        return {"transport": "streamable_http", "url": server["url"]}
    return {
        "transport": "stdio",
        "command": server["command"],
        "args": list(server.get("args", [])),
        "cwd": str(root),
    }


def _run(coroutine: Any) -> Any:
    """Run a coroutine to its end on a loop of its own, in a thread of its own (the caller may
    itself be inside an event loop)."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the caller
            out["error"] = exc

    worker = threading.Thread(target=work, name="mcp", daemon=True)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _stderr_with_fileno() -> None:
    """The MCP SDK binds `sys.stderr` when it is imported as where a stdio server's stderr
    goes; if that was a stream without a file descriptor (Jupyter, a test's capture — gradio
    imports the SDK early), starting a server fails with 'fileno'. Use the process's own."""
    from mcp.client import stdio

    original = getattr(stdio.stdio_client, "__wrapped__", None)
    defaults = getattr(original, "__defaults__", None)
    if not defaults:
        return
    try:
        defaults[0].fileno()
    except (AttributeError, OSError, ValueError):
        original.__defaults__ = (sys.__stderr__,)  # type: ignore[union-attr]


def _text(content: Any) -> Any:
    """MCP content blocks as plain text (what the model and the record show)."""
    if isinstance(content, list) and all(isinstance(b, dict) for b in content):
        return "\n".join(str(b.get("text", "")) for b in content)
    return content


def _wrap(name: str, lc: Any) -> Tool:
    def call(**arguments: Any) -> Any:
        return _text(_run(lc.ainvoke(arguments)))

    read_only = bool((lc.metadata or {}).get("readOnlyHint"))
    return Tool(name, lc.description or name, call, writes=not read_only, langchain=lc)


def server_tools(root: Path, servers: dict[str, dict[str, Any]]) -> dict[str, Tool]:
    """Every tool of the named servers, as `<server>_<tool>`; raises ValueError (the reason)
    when the adapter is not installed or a server cannot be reached."""
    if not servers:
        return {}
    key = json.dumps([str(root), servers], sort_keys=True)
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        from langchain_mcp_adapters.client import MultiServerMCPClient
    except ImportError:
        raise ValueError(
            "MCP tools need langchain-mcp-adapters: pip install 'frontdesk[mcp]'"
        ) from None
    _stderr_with_fileno()
    client = MultiServerMCPClient(
        {name: _connection(root, s) for name, s in servers.items()},  # type: ignore[misc]
        tool_name_prefix=True,
    )
    try:
        loaded = _run(client.get_tools())
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"cannot list the MCP servers' tools ({detail})") from exc
    found = {lc.name: _wrap(lc.name, lc) for lc in loaded}
    with _lock:
        _cache[key] = found
    return found
