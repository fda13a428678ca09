"""Test doubles shipped with the library: a scripted chat model and a bag-of-words embedder.

Importing this module registers the model backend `fake:<behaviour>`:

- `fake:facts`     answers with the first fact it was given (a grounded specialist)
- `fake:offtopic`  answers with something its facts never said (an ungrounded specialist)
- `fake:echo`      answers "echo: <last line of the last user message>" (handy for the
                   coordinator; its "Answer in <language>." line is left out)
- `fake:down`      raises ConnectionError, like a backend that is not running
- `fake:script`    pops replies queued with `FakeChatModel.enqueue("...")`
- `fake:slow`      answers `FakeChatModel.slow_words` words, one every `FakeChatModel.delay` s
- `fake:tools`     like `script`, and it can call tools (LangChain `bind_tools`): a queued
                   `{"tool_calls": [{"name": ..., "args": {...}}]}` is a reply calling them;
                   the tools bound to each call are recorded in `FakeChatModel.bound`

Replies honour the token limit (one word is one token; a cut reply finishes with "length")
and stop sequences. Every word streamed is counted in `FakeChatModel.emitted`.

Every call is recorded in `FakeChatModel.calls` as (spec, messages).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from frontdesk.grounding import content_words
from frontdesk.models import ModelOptions, ModelSpec, register_backend

OFFTOPIC = "Purple bananas sing opera beneath the frozen volcano every Tuesday."


class FakeChatModel(BaseChatModel):
    """A chat model whose replies follow a named behaviour (see the module docstring)."""

    behaviour: str
    max_tokens: int = 256
    calls: ClassVar[list[tuple[str, list[BaseMessage]]]] = []
    queue: ClassVar[list[Any]] = []  # str replies, or dicts with tool_calls (fake:tools)
    bound: ClassVar[list[list[str]]] = []
    delay: ClassVar[float] = 0.2
    slow_words: ClassVar[int] = 10
    emitted: ClassVar[int] = 0
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @property
    def _llm_type(self) -> str:
        return "fake"

    @classmethod
    def enqueue(cls, *replies: str | dict[str, Any]) -> None:
        cls.queue.extend(replies)

    @classmethod
    def reset(cls) -> None:
        cls.calls.clear()
        cls.queue.clear()
        cls.bound.clear()
        cls.delay, cls.slow_words, cls.emitted = 0.2, 10, 0

    def _reply(self, messages: list[BaseMessage]) -> str:
        last = str(messages[-1].content)
        if self.behaviour == "down":
            raise ConnectionError("[Errno 111] Connection refused")
        if self.behaviour == "facts":
            facts = [line[2:] for line in last.splitlines() if line.startswith("- ")]
            return facts[0] if facts else "I do not know."
        if self.behaviour == "offtopic":
            return OFFTOPIC
        if self.behaviour == "echo":  # the coordinator's "Answer in <language>." left out
            lines = [ln for ln in last.splitlines() if not re.fullmatch(r"Answer in \w+\.", ln)]
            return f"echo: {lines[-1] if lines else ''}"
        if self.behaviour == "slow":
            return " ".join(f"word{i}" for i in range(self.slow_words))
        if self.behaviour in ("script", "tools"):
            with self._lock:
                return self.queue.pop(0) if self.queue else "no scripted reply left"
        raise ValueError(f"unknown fake behaviour '{self.behaviour}'")

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:
            self.calls.append((f"fake:{self.behaviour}", list(messages)))
            if self.behaviour == "tools":
                self.bound.append([t["function"]["name"] for t in kwargs.get("tools") or []])
        text = self._reply(messages)
        if isinstance(text, dict):  # a scripted reply calling tools
            chunks = [
                {"name": c["name"], "args": json.dumps(c["args"]), "id": f"call_{i}", "index": i}
                for i, c in enumerate(text.get("tool_calls", []))
            ]
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=text.get("content", ""),
                    tool_call_chunks=chunks,  # type: ignore[arg-type]
                    response_metadata={"finish_reason": "tool_calls"},
                )
            )
            return
        for seq in stop or []:
            text = text.split(seq, 1)[0]
        words = re.findall(r"\S+\s*", text)
        cut = len(words) > self.max_tokens
        words = words[: self.max_tokens]
        for word in words:
            if self.behaviour == "slow":
                time.sleep(self.delay)
            with self._lock:
                FakeChatModel.emitted += 1
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word))
            if run_manager:
                run_manager.on_llm_new_token(word, chunk=chunk)
            yield chunk
        prompt_words = sum(len(str(m.content).split()) for m in messages)
        usage = {
            "input_tokens": prompt_words,
            "output_tokens": len(words),
            "total_tokens": prompt_words + len(words),
        }
        last = AIMessageChunk(
            content="",
            usage_metadata=usage,  # type: ignore[arg-type]
            response_metadata={"finish_reason": "length" if cut else "stop"},
        )
        yield ChatGenerationChunk(message=last)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))


class FakeToolChatModel(FakeChatModel):
    """`fake:tools`: a scripted model that can call tools."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def _fake(spec: ModelSpec, options: ModelOptions) -> BaseChatModel:
    kind = FakeToolChatModel if spec.name == "tools" else FakeChatModel
    return kind(behaviour=spec.name, max_tokens=options.max_tokens)


def _probe_fake(spec: ModelSpec) -> tuple[bool, str]:
    return (spec.name != "down", f"fake:{spec.name}")


register_backend("fake", _fake, _probe_fake)


class HashEmbedder:
    """Deterministic bag-of-words vectors: texts sharing words are similar. No model needed."""

    name = "hash-bow"

    def __init__(self, dims: int = 512) -> None:
        self.dims = dims

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[row, h % self.dims] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0  # an empty text still needs a unit vector
        return out
