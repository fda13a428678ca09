"""Hot reload: a running engine picks up added, changed and removed plugins without a restart.

`reload_plugins(engine)` is the one function that performs a reload (the CLI's `frontdesk
reload`, `POST /v1/admin/reload`, the folder watcher and other replicas all call it):
discover the plugins again, keep the previous version of any plugin whose manifest is now
broken (the error is reported: reload response, /readyz, the Plugins tab), build the router of
the new set (by the engine's own `router` code, before taking any lock: answers go on
meanwhile), then swap set and router under the engine's lock.

A turn in flight is not disturbed: the graph runs over a `TurnRuntime`, the engine as it was
when the turn's graph was built — the same plugin set and, once a reload has replaced it, the
router of that set. A reload builds a new graph for the turns that start after it.

`PluginWatcher` polls the plugin folders (bundled, FRONTDESK_PLUGINS_PATH and those of loaded
entry points) for added or removed folders and changed files directly in them (plugin.toml, a
prompt file); a knowledge document that changes is ingest's business, not a reload's. Newly
installed packages are not watched (scanning site-packages every few seconds costs too much):
call `frontdesk reload` after `pip install`.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontdesk.errors import ManifestError
from frontdesk.plugins import MANIFEST, PluginSet, discover

if TYPE_CHECKING:
    from frontdesk.engine import Engine
    from frontdesk.plugins import Plugin
    from frontdesk.router import Router

log = logging.getLogger("frontdesk.reload")


class TurnRuntime:
    """The engine as the turns of one graph see it: its plugin set never changes, and its
    router is the engine's until a reload replaces the set (then the last one of this set)."""

    def __init__(self, engine: Engine, plugin_set: PluginSet | None = None) -> None:
        self._engine = engine
        self.plugin_set = plugin_set or engine.plugin_set
        self._router: Router | None = None

    @property
    def plugins(self) -> dict[str, Plugin]:
        return self.plugin_set.plugins

    @property
    def router(self) -> Router:
        with self._engine._lock:  # never the router of a set swapped in meanwhile
            return self._router or self._engine.router

    def retire(self) -> None:
        """Called (under the engine's lock) before a reload swaps the plugin set."""
        self._router = self._engine.router

    def __getattr__(self, name: str) -> Any:  # everything else is the engine's
        return getattr(self._engine, name)


def _kept_versions(old: PluginSet, new: PluginSet) -> list[str]:
    """Keep serving the previous version of each plugin whose manifest is now broken."""
    by_manifest = {p.manifest_path: p for p in old.plugins.values()}
    kept: list[str] = []
    for i, err in enumerate(new.errors):
        previous = by_manifest.get(Path(err.path).resolve())
        if previous is None or (previous.name in new.plugins and previous.name not in kept):
            continue  # a new plugin, or the name now served by another folder
        if previous.name not in kept:
            new.plugins[previous.name] = previous
            kept.append(previous.name)
        new.errors[i] = ManifestError(
            err.path,
            err.field,
            f"{err.problem}; the previous version of plugin '{previous.name}' keeps serving "
            "until this is fixed",
        )
    return kept


def _build_router(engine: Engine, plugins: PluginSet) -> Router | None:
    """The router the engine would build for `plugins`, built by the engine's own code (its
    `router` property) over a runtime holding the new set, so no lock is held meanwhile."""
    builder = type(engine).__dict__.get("router")
    if not isinstance(builder, cached_property):
        return None  # built under the lock below instead
    router: Router = builder.func(TurnRuntime(engine, plugins))
    return router


def reload_plugins(engine: Engine, *, ingest: bool = False) -> dict[str, Any]:
    """Discover plugins again and swap them in; returns what changed. With `ingest`, added and
    changed plugins are ingested in the background (engine.jobs)."""
    with engine.__dict__.setdefault("_reload_lock", threading.Lock()):  # one at a time
        new = discover(engine.settings)
        old = engine.plugin_set
        kept = _kept_versions(old, new)
        router = _build_router(engine, new)  # the slow part, while answers go on
        with engine._lock:  # the swap: turns see the old set and router or the new ones
            runner = engine.__dict__.get("runner")
            if runner is not None:
                runner.frontdesk_runtime.retire()
            engine.plugin_set = new
            for name in ("router", "graph", "runner"):
                engine.__dict__.pop(name, None)
            if router is not None:
                engine.__dict__["router"] = router
            else:
                engine.router  # noqa: B018  built now, so the next question does not wait
    added = sorted(set(new.plugins) - set(old.plugins))
    removed = sorted(set(old.plugins) - set(new.plugins))
    changed = sorted(
        n for n in set(new.plugins) & set(old.plugins) if new.plugins[n] != old.plugins[n]
    )
    started = [engine.jobs.start(n).plugin for n in added + changed] if ingest else []
    report = {
        "plugins": sorted(new.plugins),
        "added": added,
        "removed": removed,
        "changed": changed,
        "kept": sorted(kept),
        "errors": [str(e) for e in new.errors],
        "ingesting": started,
    }
    if added or removed or changed or new.errors:
        log.info(
            "plugins reloaded: added %s, removed %s, changed %s, %d broken manifest(s)",
            added or "none",
            removed or "none",
            changed or "none",
            len(new.errors),
        )
    return report


def _folder_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """The files directly in a plugin folder (manifest, prompt file): name, mtime, size."""
    state = []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            stat = path.stat()
            state.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(state)


def signature(engine: Engine) -> dict[str, Any]:
    """What the watcher compares: every plugin folder on the watched paths and its files."""
    settings = engine.settings
    roots = [settings.bundled_plugin_dir] if settings.bundled_plugins else []
    roots += settings.extra_plugin_dirs
    folders: set[Path] = set()
    for root in roots:
        if (root / MANIFEST).is_file():
            folders.add(root)
        elif root.is_dir():
            folders.update(d for d in root.iterdir() if (d / MANIFEST).is_file())
    folders.update(p.root for p in engine.plugins.values() if p.origin.startswith("entry point"))
    state: dict[str, Any] = {}
    for folder in folders:
        try:
            state[str(folder)] = _folder_state(folder)
        except OSError:  # removed while we looked: the next round sees it gone
            continue
    return state


def reload_and_announce(engine: Engine, *, ingest: bool = False) -> dict[str, Any]:
    """A reload started here (admin API, folder watcher): the other replicas are told too.

    The replicas' own poller calls `reload_plugins` directly, so a signal never echoes back.
    """
    report = reload_plugins(engine, ingest=ingest)
    engine.sync.announce("reload")
    return report


class PluginWatcher:
    """Polls the plugin folders every `interval` seconds and reloads when they change."""

    def __init__(self, engine: Engine, interval: float, ingest: bool = True) -> None:
        self.engine, self.interval, self.ingest = engine, interval, ingest
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="plugin-watcher", daemon=True)
        self.last_report: dict[str, Any] | None = None

    def start(self) -> PluginWatcher:
        self._seen = signature(self.engine)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                now = signature(self.engine)
                if now != self._seen:
                    self.last_report = reload_and_announce(self.engine, ingest=self.ingest)
                    self._seen = now  # a change made during the reload shows next round
            except Exception:  # the watcher must outlive one bad round
                log.exception("plugin reload failed; the previous plugins keep serving")

    def __enter__(self) -> PluginWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
