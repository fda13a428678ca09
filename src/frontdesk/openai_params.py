"""Which OpenAI chat-completion parameters frontdesk honours, and which it refuses.

Honoured: `max_tokens` / `max_completion_tokens`, `stop`, system (and `developer`) messages as
extra instructions to the answering model. Refused with a 400 naming the parameter: anything
frontdesk cannot do (several choices, tools and function calling, structured output, log
probabilities, non-text output) — a client must not believe it got what it asked for.
Accepted and not used: sampling knobs such as `temperature`, `top_p`, `seed`, `user`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from frontdesk.generation import Generation

ROLES = ("system", "developer", "user", "assistant")
INSTRUCTION_ROLES = ("system", "developer")
MAX_STOP = 4


class ParamError(Exception):
    """A request parameter frontdesk cannot honour; `param` names it (OpenAI's `param`)."""

    def __init__(self, message: str, param: str, code: str = "unsupported_parameter") -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def _refused(name: str, value: Any) -> bool:
    if value is None or value is False or value == []:
        return False
    if name in ("tool_choice", "function_call"):
        return value != "none"
    if name == "n":
        return value != 1
    if name == "response_format":
        return not (isinstance(value, Mapping) and value.get("type") == "text")
    if name == "modalities":
        return list(value) != ["text"]
    if name == "top_logprobs":
        return value != 0
    return True


REFUSED = {
    "n": "frontdesk returns one choice per request; send n=1 or leave it out",
    "tools": "frontdesk does not call client-defined tools",
    "tool_choice": "frontdesk does not call client-defined tools",
    "functions": "frontdesk does not call client-defined functions",
    "function_call": "frontdesk does not call client-defined functions",
    "response_format": "frontdesk answers in plain text only (response_format type 'text')",
    "logprobs": "frontdesk does not return log probabilities",
    "top_logprobs": "frontdesk does not return log probabilities",
    "modalities": "frontdesk answers with text only",
    "audio": "frontdesk answers with text only",
    "prediction": "frontdesk does not use predicted outputs",
}


def check_parameters(body: Mapping[str, Any]) -> None:
    """Raise ParamError for the first parameter frontdesk would have to ignore."""
    for name, why in REFUSED.items():
        if name in body and _refused(name, body[name]):
            raise ParamError(f"'{name}' is not supported: {why}", name)


def check_roles(roles: Sequence[str]) -> None:
    for i, role in enumerate(roles):
        if role in ROLES:
            continue
        if role in ("tool", "function"):
            why = f"role '{role}' is not supported: frontdesk does not call client-defined tools"
        else:
            why = f"unknown role '{role}'; use one of {', '.join(ROLES)}"
        raise ParamError(why, f"messages[{i}].role", "invalid_role")


def check_content(contents: Sequence[Any]) -> None:
    """Refuse message parts other than text (images, audio, files): answered as if the part
    were not there, the question would lose what the client sent."""
    for i, content in enumerate(contents):
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind != "text":
                raise ParamError(
                    f"content part type '{kind}' is not supported: frontdesk reads text only",
                    f"messages[{i}].content[{j}].type",
                    "invalid_content",
                )


def metadata_text(metadata: Mapping[str, Any] | None, key: str) -> str | None:
    """A string field of the request's `metadata` (thread_id, document), or None if absent."""
    value = (metadata or {}).get(key)
    if value is None or isinstance(value, str):
        return value
    raise ParamError(f"metadata.{key} must be a string", f"metadata.{key}", "invalid_value")


def stop_sequences(stop: str | Sequence[str] | None) -> tuple[str, ...]:
    if stop is None:
        return ()
    items = [stop] if isinstance(stop, str) else list(stop)
    if len(items) > MAX_STOP:
        raise ParamError(f"'stop' takes at most {MAX_STOP} sequences", "stop", "invalid_value")
    return tuple(s for s in items if s)


def generation(
    max_tokens: int | None,
    max_completion_tokens: int | None,
    stop: str | Sequence[str] | None,
    instructions: Sequence[str],
) -> Generation | None:
    """The request's overrides for the answering models, or None when it sets none."""
    gen = Generation(
        max_tokens=max_completion_tokens or max_tokens,
        stop=stop_sequences(stop),
        instructions="\n\n".join(t.strip() for t in instructions if t.strip()),
    )
    return gen if gen != Generation() else None
