"""The plugin manager: finds hook implementations, loads each once, and traces hook calls.

Implementations come from three places, each registered once per process:
1. frontdesk's own modules (`DEFAULT_PLUGINS`: the bundled model backends are hooks too),
2. installed packages, through the entry point group `frontdesk` (like simonw/llm's `llm`),
3. a plugin folder's `hooks.py`, when its plugin.toml says `hooks = "hooks.py"`.
A module that fails to load is reported (`errors`) and the others still load.

`FRONTDESK_TRACE_HOOKS=1` (or `frontdesk --trace-hooks`) logs every hook call: its name, the
plugins whose implementations ran, and how long it took (logger `frontdesk.hooks`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from frontdesk import hookspecs

if TYPE_CHECKING:
    from frontdesk.plugins import Plugin
    from frontdesk.settings import Settings
    from frontdesk.store import Hit

ENTRY_POINT_GROUP = "frontdesk"
DEFAULT_PLUGINS = ("frontdesk.models",)
log = logging.getLogger("frontdesk.hooks")

pm = pluggy.PluginManager("frontdesk")
pm.add_hookspecs(hookspecs)

Retriever = Callable[..., list["Hit"]]
RETRIEVERS: dict[str, Retriever] = {}
PLUGIN_DIRS: list[Path] = []  # from register_plugins
errors: list[tuple[str, str]] = []  # (where, problem) of hook modules that failed to load

_lock = threading.RLock()
_loaded = {"defaults": False, "entry_points": False}
_folder_hooks: dict[Path, Any] = {}
_untrace: Callable[[], None] | None = None
_started = threading.local()


def _register_retriever(name: str, retriever: Retriever) -> None:
    if RETRIEVERS.get(name, retriever) is not retriever:
        raise ValueError(f"retriever '{name}' is registered twice; rename one of them")
    RETRIEVERS[name] = retriever


def _register_plugin_dir(folder: str | Path) -> None:
    path = Path(folder).resolve()
    if path not in PLUGIN_DIRS:
        PLUGIN_DIRS.append(path)


def _wire() -> None:
    """Point the historic register hooks at the registries (once, before any module)."""
    from frontdesk import loaders, models, tools

    pm.hook.register_plugins.call_historic(kwargs={"register": _register_plugin_dir})
    pm.hook.register_backends.call_historic(kwargs={"register": models.register_backend})
    pm.hook.register_tools.call_historic(kwargs={"register": tools.register_tool})
    pm.hook.register_loaders.call_historic(kwargs={"register": loaders.register_loader})
    pm.hook.register_retrievers.call_historic(kwargs={"register": _register_retriever})


def _before(hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    stack = getattr(_started, "stack", None) or []
    stack.append(time.perf_counter())
    _started.stack = stack


def _after(outcome: Any, hook_name: str, hook_impls: Sequence[Any], kwargs: Any) -> None:
    ms = (time.perf_counter() - _started.stack.pop()) * 1000
    if not hook_impls:
        return
    names = ", ".join(impl.plugin_name for impl in hook_impls)
    failed = f" and raised {type(outcome.exception).__name__}" if outcome.exception else ""
    log.info("hook %s ran %s in %.1f ms%s", hook_name, names, ms, failed)


def trace(on: bool = True) -> None:
    """Log every hook call from now on (or stop)."""
    global _untrace
    with _lock:
        if on and _untrace is None:
            log.setLevel(logging.INFO)
            if not log.hasHandlers():  # the CLI configures no logging: stderr
                log.addHandler(logging.StreamHandler())
                log.propagate = False  # and a server's logging set up later adds no copy
            _untrace = pm.add_hookcall_monitoring(_before, _after)
        elif not on and _untrace is not None:
            _untrace()
            _untrace = None


def _safe_register(module: Any, name: str) -> str | None:
    """Register one module; on failure unregister it and return the problem."""
    try:
        pm.register(module, name=name)
    except Exception as exc:
        if pm.is_registered(module):
            pm.unregister(module)
        return f"{type(exc).__name__}: {exc}"
    return None


def load(settings: Settings | None = None) -> pluggy.PluginManager:
    """Register the default hooks (and, given settings that allow it, the entry points' hooks);
    each only once. Cheap to call again."""
    with _lock:
        if settings is not None and settings.trace_hooks:
            trace(True)
        if not _loaded["defaults"]:
            _loaded["defaults"] = True
            _wire()
            for name in DEFAULT_PLUGINS:
                pm.register(importlib.import_module(name), name=name)
        if settings is not None and settings.entry_point_plugins and not _loaded["entry_points"]:
            _loaded["entry_points"] = True
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                where = f"entry point '{ep.name}' ({ep.value}) of group '{ENTRY_POINT_GROUP}'"
                if pm.has_plugin(ep.name):
                    continue
                try:
                    module = ep.load()
                except Exception as exc:  # a broken package must not take the others down
                    errors.append((where, f"cannot import it: {type(exc).__name__}: {exc}"))
                    continue
                problem = _safe_register(module, ep.name)
                if problem:
                    errors.append((where, problem))
    return pm


def load_folder_hooks(folder: Path, filename: str, knowledge: Sequence[str] = ()) -> None:
    """Import a plugin folder's hooks file once and register it; raises ValueError (the
    reason) for a file outside the folder or inside a knowledge folder (where uploads land),
    missing, or failing to import or register."""
    load()
    named = Path(os.path.normpath(folder.absolute() / filename))
    if not named.is_relative_to(folder.absolute()) or named.suffix != ".py":
        raise ValueError(f"'{filename}' must be a .py file inside the plugin folder")
    path = named.resolve()  # one identity for a file reached through a symlink too
    for place in knowledge:
        where = (folder / Path(place).expanduser()).resolve()
        if where.is_dir() and (named.is_relative_to(where) or path.is_relative_to(where)):
            raise ValueError(
                f"'{filename}' lies inside the knowledge folder {where}, where uploads land; "
                "move it out of there"
            )
    with _lock:
        if path in _folder_hooks:
            return
        if not path.is_file():
            raise ValueError(f"{path} does not exist")
        name = "frontdesk_hooks_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ValueError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
        problem = _safe_register(module, str(path))
        if problem:
            sys.modules.pop(name, None)
            raise ValueError(f"{path}: {problem}")
        _folder_hooks[path] = module


def retrieve(
    plugin: Plugin, question: str, k: int, search: Callable[[str, int], list[Hit]]
) -> list[Hit]:
    """The plugin's retriever (`[retrieval] retriever`), or the built-in search."""
    name = plugin.retriever
    if not name:
        return search(question, k)
    return list(RETRIEVERS[name](plugin=plugin, question=question, k=k, search=search))


def process_answer(plugin: str, question: str, consult: dict[str, Any]) -> dict[str, Any]:
    """The consult with its answer rewritten by the first `process_answer` hook that does."""
    text = pm.hook.process_answer(
        plugin=plugin, question=question, answer=consult["answer"], consult=consult
    )
    if text is None or text == consult["answer"]:
        return consult
    return {**consult, "answer": str(text), "processed": True}
