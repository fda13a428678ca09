"""The hooks a Python plugin may implement (pluggy, project name `frontdesk`).

Implement one by decorating a function of the same name with `frontdesk.hookimpl`, in a module
named by the `frontdesk` entry point group of an installed package, or in a `hooks.py` beside a
`plugin.toml` that says `hooks = "hooks.py"`. docs/plugins.md ("Hooks") lists these names; a
test checks that the list and this module agree.

The `register_*` hooks are historic: each implementation is called once, when its module is
registered, however late that is (a plugin folder's hooks load with its manifest).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("frontdesk")
hookimpl = pluggy.HookimplMarker("frontdesk")


@hookspec(historic=True)
def register_plugins(register: Any) -> None:
    """Contribute plugin folders: `register(folder)` for each folder holding a plugin.toml."""


@hookspec(historic=True)
def register_backends(register: Any) -> None:
    """Add model backends: `register(name, factory, probe=None)`; `factory(spec, options)`
    returns a LangChain chat model for `name:...` specs, `probe(spec)` -> (ok, detail)."""


@hookspec(historic=True)
def register_tools(register: Any) -> None:
    """Add tools a plugin may grant its specialist: `register(tool)` with a `frontdesk.tools.Tool`
    or a plain typed function (its docstring is the description)."""


@hookspec(historic=True)
def register_loaders(register: Any) -> None:
    """Read more file types: `register(".ext", loader)`; `loader(path, raw_bytes)` returns the
    text, or a (title, text) pair."""


@hookspec(historic=True)
def register_retrievers(register: Any) -> None:
    """Add retrievers: `register(name, retriever)`; a plugin picks one with
    `[retrieval] retriever = "name"`. `retriever(plugin, question, k, search)` returns hits;
    `search(question, k)` is the built-in hybrid search."""


@hookspec(firstresult=True)
def process_answer(plugin: str, question: str, answer: str, consult: dict[str, Any]) -> str | None:
    """Rewrite a specialist's checked answer; return the new text, or None to leave it. The
    first implementation that returns text wins."""
