"""A client's `stop` and `max_tokens` applied to the answer it gets back.

The limits reach every answering model call (generation.py), but the graph's answer is not
always a model's text: a specialist whose phrasing did not survive verification answers with its
evidence, quoted; a multi-part answer adds notes. Those would pass a client's limits by, so the
final answer is cut here too: before the first stop sequence (which is not returned, as in
OpenAI's API), then to at most `max_tokens` tokens on a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from frontdesk.context import CHARS_PER_TOKEN
from frontdesk.generation import Generation

TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    """The conservative estimate context.py uses for models without their own tokenizer."""
    return -(-len(text) // CHARS_PER_TOKEN)


def limit_answer(
    text: str, generation: Generation | None, count: TokenCounter = estimate_tokens
) -> tuple[str, bool]:
    """(the answer within the client's limits, whether `max_tokens` cut it)."""
    if generation is None:
        return text, False
    for seq in generation.stop:
        if seq in text:
            text = text[: text.index(seq)]
    limit = generation.max_tokens
    if limit is None or count(text) <= limit:
        return text, False
    words = re.findall(r"\S+\s*", text)
    # The longest run of whole words within the limit (counting is monotone in the prefix).
    low, high = 0, len(words)
    while low < high:
        mid = (low + high + 1) // 2
        if count("".join(words[:mid]).rstrip()) <= limit:
            low = mid
        else:
            high = mid - 1
    return "".join(words[:low]).rstrip(), True
