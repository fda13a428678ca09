"""What `/readyz` reports: each plugin, each model host, the store and the memory, separately.

Every check runs at once in its own thread and the whole report waits at most `timeout`
seconds, so a host that accepts connections and never answers cannot hold the report up.
Overall status: `ready` when every check passes; `degraded` while the core path still works
(the store, the memory, and the coordinator or at least one specialist's model) but an optional
part is down; `unavailable` when the core path is down (the only status served with 503).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from frontdesk.models import parse_spec, probe
from frontdesk.pools import pool_checks, pool_hosts

if TYPE_CHECKING:
    from frontdesk.engine import Engine

PROBE_THREAD = "readyz-probe"  # only read, never written: any id would do


def _store(engine: Engine) -> str:
    store = engine.store
    store.client.heartbeat()
    return store.location


def _memory(engine: Engine) -> str:
    saver = engine.graph.checkpointer
    # A read of one (absent) thread: cheap, and it goes through the same connection answers use.
    saver.get_tuple({"configurable": {"thread_id": PROBE_THREAD, "checkpoint_ns": ""}})
    return type(saver).__name__


def _model(spec: str) -> str:
    ok, detail = probe(spec)
    if not ok:
        raise ConnectionError(detail)
    return detail


def _plugin(engine: Engine, store: Future[str], name: str) -> dict[str, Any]:
    store.result()  # the store is opened once, by its own check
    return {**engine.store.stats(name), **engine.store.status(name)}


def _url(spec: str) -> str | None:
    try:
        return parse_spec(spec).base_url
    except ValueError:
        return None


def readiness(engine: Engine, timeout: float) -> dict[str, Any]:
    """The /readyz body: `status`, `ready` and one check per component (name, component, ok,
    detail, plus spec/url/used_by for models and plugin/chunks/model for plugins)."""
    users: dict[str, list[str]] = {engine.coordinator_spec: ["coordinator"]}
    for p in engine.plugins.values():
        users.setdefault(p.model, []).append(f"plugin {p.name}")
    pool = ThreadPoolExecutor(max_workers=4 + len(users) + len(engine.plugins))
    try:
        store = pool.submit(_store, engine)
        memory = pool.submit(_memory, engine)
        # A pool's hosts are probed one by one, each in its own thread (pools.pool_checks).
        hosts = {s: {u: pool.submit(_model, m) for u, m in pool_hosts(s)} for s in users}
        models = {spec: pool.submit(_model, spec) for spec in users if not hosts[spec]}
        plugins = {name: pool.submit(_plugin, engine, store, name) for name in engine.plugins}
        probes = [f for jobs in hosts.values() for f in jobs.values()]
        every: list[Future[Any]] = [store, memory, *models.values(), *probes, *plugins.values()]
        done, _ = wait(every, timeout)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # stragglers end on their own timeouts

    def outcome(future: Future[Any]) -> tuple[bool, Any]:
        if future not in done:
            return False, f"no answer within {timeout:g}s"
        try:
            return True, future.result()
        except Exception as exc:
            return False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

    checks: list[dict[str, Any]] = []
    for name, future in (("store", store), ("memory", memory)):
        ok, detail = outcome(future)
        checks.append({"name": name, "component": name, "ok": ok, "detail": str(detail)})
    model_ok: dict[str, tuple[bool, str]] = {}
    host_checks: list[dict[str, Any]] = []
    for spec in users:
        if hosts[spec]:
            results = {url: outcome(job) for url, job in hosts[spec].items()}
            ok, detail, per_host = pool_checks(spec, results)
            host_checks += per_host
        else:
            ok, detail = outcome(models[spec])
        model_ok[spec] = (ok, str(detail))
        checks.append(
            {
                "name": f"model {spec}",
                "component": "model",
                "spec": spec,
                "url": _url(spec),
                "used_by": users[spec],
                "ok": ok,
                "detail": str(detail),
            }
        )
    checks += host_checks
    for name, job in plugins.items():
        spec = engine.plugins[name].model
        ok, stats = outcome(job)
        chunks = stats.get("chunks", 0) if ok else 0
        if not ok:
            detail = f"store: {stats}"
        elif stats.get("state") == "broken":  # a corrupt or lost index (store.status)
            ok, detail = False, str(stats["detail"])
        elif not chunks:
            ok, detail = False, f"no chunks in the store; run: frontdesk ingest {name}"
        elif not model_ok[spec][0]:
            ok, detail = False, f"model {spec} is down: {model_ok[spec][1]}"
        else:
            detail = f"{chunks} chunks from {stats.get('documents', 0)} documents"
        checks.append(
            {
                "name": f"plugin {name}",
                "component": "plugin",
                "plugin": name,
                "model": spec,
                "chunks": chunks,
                "ok": ok,
                "detail": detail,
            }
        )
    for err in engine.plugin_set.errors:
        checks.append(
            {
                "name": f"plugin {err.path}",
                "component": "plugin",
                "plugin": None,
                "ok": False,
                "detail": str(err),
            }
        )

    ok_by_name = {c["name"]: c["ok"] for c in checks}
    answerer = model_ok[engine.coordinator_spec][0] or any(
        model_ok[p.model][0] for p in engine.plugins.values()
    )
    core = ok_by_name["store"] and ok_by_name["memory"] and answerer
    status = "ready" if all(ok_by_name.values()) else "degraded" if core else "unavailable"
    return {"status": status, "ready": core, "checks": checks}
