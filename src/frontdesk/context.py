"""Fitting a prompt into a model's context window: the oldest history goes first; the system
prompt, the evidence and the question are always kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, trim_messages

from frontdesk.errors import TooLargeError

# Models that cannot count their own tokens are estimated conservatively: English runs near
# four characters a token in common tokenizers, so three over-counts rather than under-counts.
CHARS_PER_TOKEN = 3
MESSAGE_OVERHEAD = 8  # tokens of chat-template markup around each message (role, separators)


def count_tokens(model: Any, messages: Sequence[BaseMessage]) -> int:
    """Tokens the messages take in `model`'s prompt: its own tokenizer when it has one
    (`count_tokens(text)`, as LlamaCppChat does), an estimate otherwise."""
    counter = getattr(model, "count_tokens", None)
    total = 0
    for m in messages:
        text = m.content if isinstance(m.content, str) else str(m.content)
        total += MESSAGE_OVERHEAD
        total += counter(text) if callable(counter) else -(-len(text) // CHARS_PER_TOKEN)
    return total


def fit_prompt(
    model: Any,
    head: list[BaseMessage],
    history: list[BaseMessage],
    tail: list[BaseMessage],
    budget: int,
) -> list[BaseMessage]:
    """head + as much of the most recent history as fits + tail, within `budget` tokens.

    Raises TooLargeError when head and tail alone (system prompt, evidence, question) do not fit.
    """
    fixed = count_tokens(model, head + tail)
    if fixed > budget:
        raise TooLargeError(
            f"the question with its instructions and evidence needs about {fixed} tokens; the "
            f"model's context leaves {budget} after the answer (FRONTDESK_CONTEXT_WINDOW, "
            "FRONTDESK_MAX_ANSWER_TOKENS); ask a shorter question"
        )
    if not history:
        return head + tail
    kept = trim_messages(
        history,
        max_tokens=budget - fixed,
        token_counter=lambda msgs: count_tokens(model, msgs),
        strategy="last",
        start_on="human",  # never open the history with an answer whose question was cut
        allow_partial=False,
    )
    return head + list(kept) + tail
