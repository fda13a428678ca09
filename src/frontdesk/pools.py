"""Model pools: one model spec naming several hosts (`ollama:qwen2.5:3b@http://a:11434,http://b:11434`).

Each request goes to the least busy healthy host (ties broken round-robin). A host that fails
— connection refused or reset, a timeout, an HTTP 5xx, or 408/429 (overloaded) — is cooled
down and the request is retried on the next host; an error about the request itself (another
4xx, a bad argument) is raised at once, since every host would refuse it alike. A streamed
answer is retried only while no token has been sent: after that the caller has seen part of
an answer from one host and a second host would not continue it. A call that is not streamed
is retried whole, since nobody has seen its words.

Cooldown grows exponentially with consecutive failures (`cooldown * 2**(n-1)`, at most
`cooldown_max`). When it ends, the host is probed (the backend's cheap probe, in a background
thread) and takes requests again once the probe succeeds; a failed probe cools it down again.
When every host is cooling down a request still tries them all, soonest-back first, so a pool
never refuses for lack of a healthy-looking host.

Host health is kept per pool (backend, model name and hosts), shared by every model object
built for that spec, and reported by `/readyz` through `host_report`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from frontdesk.errors import BackendError, BackendTimeout

# Overloaded or gone, not wrong: another host may well answer.
RETRYABLE_STATUS = frozenset({408, 425, 429})


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries (httpx, openai and ollama clients), if any."""
    for holder in (exc, getattr(exc, "response", None)):
        code = getattr(holder, "status_code", None)
        if isinstance(code, int) and code > 0:
            return code
    return None


def is_host_failure(exc: BaseException) -> bool:
    """True when the host is at fault (worth another host), False when the request is."""
    code = status_of(exc)
    if code is not None:
        return code >= 500 or code in RETRYABLE_STATUS
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return True
    # httpx and openai name their transport failures; neither is imported here on purpose
    # (a pool of any backend must not need both clients installed).
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(
        names
        & {
            "TransportError",  # httpx: connect/read/write errors, timeouts, protocol errors
            "APIConnectionError",  # openai, and its APITimeoutError
            "RemoteProtocolError",
        }
    )


def _is_timeout(exc: BaseException) -> bool:
    kind = type(exc).__name__.lower()
    return "timeout" in kind or "timed out" in str(exc).lower()


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class Host:
    url: str
    failures: int = 0  # consecutive; reset by a success
    cooling_until: float = 0.0  # time.time(); 0 when healthy
    last_error: str = ""
    last_error_at: float = 0.0
    in_flight: int = 0
    probing: bool = False
    requests: int = 0
    errors: int = 0

    @property
    def healthy(self) -> bool:
        return self.cooling_until == 0.0  # a rested host waits for its probe (or a request)


class HostPool:
    """Health and load of the hosts behind one pooled spec (thread-safe)."""

    def __init__(
        self,
        hosts: Sequence[str],
        probe: Callable[[str], tuple[bool, str]] | None = None,
        cooldown: float = 2.0,
        cooldown_max: float = 60.0,
    ) -> None:
        self.hosts = [Host(url) for url in hosts]
        self.probe = probe
        self.cooldown = cooldown
        self.cooldown_max = cooldown_max
        self._lock = threading.Lock()
        self._turn = itertools.count()

    def order(self) -> list[Host]:
        """The hosts to try for one request, best first: healthy ones by load (round-robin among
        equals), then cooling ones, soonest back first. Starts probes whose cooldown ended."""
        now = time.time()
        with self._lock:
            for host in self.hosts:
                if host.cooling_until and now >= host.cooling_until and not host.probing:
                    self._start_probe(host)
            n = len(self.hosts)
            start = next(self._turn) % n
            rotated = self.hosts[start:] + self.hosts[:start]
            healthy = sorted(
                (h for h in rotated if h.healthy), key=lambda h: h.in_flight
            )  # sorted() is stable: equal loads keep the round-robin order
            cooling = sorted((h for h in rotated if not h.healthy), key=lambda h: h.cooling_until)
            return healthy + cooling

    def begin(self, host: Host) -> None:
        with self._lock:
            host.in_flight += 1
            host.requests += 1

    def end(self, host: Host) -> None:
        with self._lock:
            host.in_flight -= 1

    def succeeded(self, host: Host) -> None:
        with self._lock:
            host.failures, host.cooling_until = 0, 0.0

    def failed(self, host: Host, error: str) -> None:
        with self._lock:
            self._cool(host, error)

    def _cool(self, host: Host, error: str) -> None:
        host.failures += 1
        host.errors += 1
        host.last_error, host.last_error_at = error, time.time()
        delay = min(self.cooldown * 2 ** (host.failures - 1), self.cooldown_max)
        host.cooling_until = time.time() + delay

    def _start_probe(self, host: Host) -> None:
        if self.probe is None:  # nothing cheap to ask: the next request is the probe
            host.cooling_until = 0.0  # `failures` stays, so a new failure rests it longer
            return
        host.probing = True
        threading.Thread(target=self._run_probe, args=(host,), daemon=True).start()

    def _run_probe(self, host: Host) -> None:
        assert self.probe is not None
        try:
            ok, detail = self.probe(host.url)
        except Exception as exc:
            ok, detail = False, _one_line(exc)
        with self._lock:
            host.probing = False
            if host.cooling_until == 0.0:
                return  # a request got through meanwhile
            if ok:
                host.cooling_until = 0.0  # back in rotation; `failures` resets on a success
            else:
                self._cool(host, f"probe: {detail}")

    def report(self) -> list[dict[str, Any]]:
        now = time.time()
        with self._lock:
            return [
                {
                    "url": h.url,
                    "state": "ready" if h.healthy else "cooling down",
                    "cooling_until": _iso(h.cooling_until) if h.cooling_until else None,
                    "cooling_s": round(max(h.cooling_until - now, 0.0), 1)
                    if h.cooling_until
                    else None,
                    "failures": h.failures,
                    "last_error": h.last_error or None,
                    "last_error_at": _iso(h.last_error_at) if h.last_error_at else None,
                    "in_flight": h.in_flight,
                    "requests": h.requests,
                    "errors": h.errors,
                }
                for h in self.hosts
            ]


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


_pools: dict[tuple[str, str, tuple[str, ...]], HostPool] = {}
_pools_lock = threading.Lock()


def pool_for(
    key: tuple[str, str, tuple[str, ...]],
    probe: Callable[[str], tuple[bool, str]] | None = None,
    cooldown: float = 2.0,
    cooldown_max: float = 60.0,
) -> HostPool:
    """The one HostPool for (backend, model name, hosts), made on first use."""
    with _pools_lock:
        if key not in _pools:
            _pools[key] = HostPool(key[2], probe, cooldown, cooldown_max)
        return _pools[key]


def host_report(key: tuple[str, str, tuple[str, ...]]) -> list[dict[str, Any]] | None:
    """Each host's state for /readyz, or None while no request has used the pool."""
    with _pools_lock:
        pool = _pools.get(key)
    return pool.report() if pool is not None else None


class PooledChatModel(BaseChatModel):
    """A chat model answering through whichever host of a pool is healthy (see module doc)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    spec: str
    members: dict[str, BaseChatModel]  # host URL -> that host's model
    pool: HostPool

    @property
    def _llm_type(self) -> str:
        return "pool"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        """Tools bound the way the hosts' backend binds them; the bound arguments reach
        whichever host answers."""
        bound = next(iter(self.members.values())).bind_tools(tools, **kwargs)
        return self.bind(**getattr(bound, "kwargs", {}))

    def _give_up(self, errors: list[tuple[str, BaseException]]) -> BackendError:
        detail = "; ".join(f"{url}: {_one_line(exc)}" for url, exc in errors)
        kind = BackendTimeout if all(_is_timeout(e) for _, e in errors) else BackendError
        return kind(
            f"model {self.spec}: every host failed ({detail}); check that the hosts are running"
        )

    @contextmanager
    def _attempt(
        self, host: Host, errors: list[tuple[str, BaseException]], sent: Callable[[], bool]
    ) -> Iterator[None]:
        """One try on one host: a host failure is recorded (and swallowed, so the caller goes on
        to the next host) unless part of the answer was already sent."""
        self.pool.begin(host)
        try:
            yield
        except Exception as exc:
            if not is_host_failure(exc):
                raise
            self.pool.failed(host, _one_line(exc))
            if sent():
                raise  # part of an answer was sent: another host cannot continue it
            errors.append((host.url, exc))
        else:
            self.pool.succeeded(host)
        finally:
            self.pool.end(host)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        errors: list[tuple[str, BaseException]] = []
        for host in self.pool.order():
            sent = False
            with self._attempt(host, errors, lambda: sent):  # noqa: B023 (the value now)
                # The host's own callbacks stay off (run_manager=None): tokens are reported
                # here, so a host that fails before its first token leaves no trace.
                for chunk in self.members[host.url]._stream(messages, stop, None, **kwargs):
                    msg = chunk.message
                    if msg.content or getattr(msg, "tool_call_chunks", None):
                        sent = True
                    if run_manager and isinstance(msg.content, str) and msg.content:
                        run_manager.on_llm_new_token(msg.content, chunk=chunk)
                    yield chunk
                return
        raise self._give_up(errors) from (errors[-1][1] if errors else None)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Not streamed to anyone: a host that dies mid-answer is retried from the start
        # (the host's callbacks stay off, as in _stream).
        errors: list[tuple[str, BaseException]] = []
        for host in self.pool.order():
            with self._attempt(host, errors, lambda: False):
                return self.members[host.url]._generate(messages, stop, None, **kwargs)
        raise self._give_up(errors) from (errors[-1][1] if errors else None)


def pooled_chat_model(
    spec: Any,
    options: Any,
    build: Callable[[Any, Any], BaseChatModel],
    probe: Callable[[Any], tuple[bool, str]] | None,
) -> PooledChatModel:
    """A PooledChatModel for a parsed multi-host spec: `build(one_host_spec, options)` makes
    each host's model, `probe(one_host_spec)` checks a host after its cooldown."""

    def one(url: str) -> Any:
        return replace(spec, base_url=url, hosts=(url,))

    host_probe = (lambda url: probe(one(url))) if probe is not None else None
    pool = pool_for(
        (spec.backend, spec.name, tuple(spec.hosts)),
        host_probe,
        getattr(options, "pool_cooldown", 2.0),
        getattr(options, "pool_cooldown_max", 60.0),
    )
    return PooledChatModel(
        spec=str(spec),
        members={url: build(one(url), options) for url in spec.hosts},
        pool=pool,
    )


# --- /readyz ------------------------------------------------------------------------------


def pool_hosts(spec: str) -> list[tuple[str, str]]:
    """(host URL, that host's one-host spec) for each host of a pool spec; [] for any other."""
    from frontdesk.models import parse_spec, pool_members

    try:
        parsed = parse_spec(spec)
    except ValueError:
        return []
    if len(parsed.hosts) < 2:
        return []
    return [(member.hosts[0], str(member)) for member in pool_members(parsed)]


def pool_checks(
    spec: str, probed: dict[str, tuple[bool, Any]]
) -> tuple[bool, str, list[dict[str, Any]]]:
    """The pool's own verdict (up while one host is ready) and one check per host.

    A host is ready when its probe answers now and the pool is not resting it; a host the pool
    rests shows until when, and the error that put it there."""
    from frontdesk.models import parse_spec

    parsed = parse_spec(spec)
    states = {h["url"]: h for h in host_report((parsed.backend, parsed.name, parsed.hosts)) or []}
    checks = []
    for url, (reachable, detail) in probed.items():
        state = states.get(url, {})
        cooling = state.get("state") == "cooling down"
        if not reachable:
            shown = f"unreachable: {detail}"
        elif cooling:
            shown = f"cooling down until {state['cooling_until']} after: {state['last_error']}"
        else:
            shown = "ready"
        checks.append(
            {
                "name": f"model host {url}",
                "component": "model host",
                "spec": spec,
                "url": url,
                "ok": reachable and not cooling,
                "state": "ready"
                if reachable and not cooling
                else "cooling down"
                if cooling
                else "down",
                "cooling_until": state.get("cooling_until"),
                "last_error": state.get("last_error"),
                "requests": state.get("requests", 0),
                "errors": state.get("errors", 0),
                "detail": shown,
            }
        )
    up = sum(c["ok"] for c in checks)
    return up > 0, f"pool: {up} of {len(checks)} hosts ready", checks


def forget() -> None:
    """Drop every pool's health record (and the models holding them): a fresh start, for tests."""
    from frontdesk import models

    with _pools_lock:
        _pools.clear()
    with models._cache_lock:
        for key in [k for k, m in models._cache.items() if isinstance(m, PooledChatModel)]:
            del models._cache[key]
