"""A question with several parts that one plugin answers: each part is selected on its own, and
an answer must give every part.

"When should I sow carrots, and how deep?" was answered "Sow carrots in March to July, thinly."
(the notes' "1 cm deep", in the same sentence, left out), and "How long does cooked fish keep,
and how long do soups keep?" with the fish alone: the selection ranks sentences for the whole
question, and the model answered one part of it. The router splits a question into parts only to
send them to different plugins; here the parts go to one.
"""

from __future__ import annotations

import re

from frontdesk.grounding import content_words
from frontdesk.router import segments

# "…, and how deep?": a wh-word and at most one more word, the rest of the first part elided
_ELIDED = re.compile(
    r"^(?P<first>.+?),?\s+and\s+(?P<tail>(?:how|when|where|what|which|why)(?:\s+\w+)?)\s*\?$",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"^(?:how|when|where|what|which|why|who|whom|whose|is|are|was|were|can|could|should|would|"
    r"will|do|does|did|has|have)\b",
    re.IGNORECASE,
)
# The first part's own wh-phrase: what the elided part replaces ("When" of "When should I …")
_WH = re.compile(r"^(?:how\s+\w+|what\s+\w+|which\s+\w+|when|where|why|who)\s+(?P<rest>.+)$", re.I)


def _question(text: str) -> str:
    text = text.strip(" ,;?.!")
    return text[0].upper() + text[1:] + "?"


def parts_of(question: str) -> list[str]:
    """The parts of a compound question as questions of their own; [] for a simple one."""
    found = segments(question.strip())
    if found:  # each a question of its own ("Should I salt" and "oil the steak?" is one)
        return [_question(p) for p in found] if all(_ASKS.match(p) for p in found) else []
    m = _ELIDED.match(question.strip())
    if not m:
        return []
    first = m.group("first").strip(" ,")
    wh = _WH.match(first)
    if not wh or len(first.split()) < 3:
        return []
    return [_question(first), _question(f"{m.group('tail')} {wh.group('rest')}")]


def _numbers(text: str) -> set[str]:
    from frontdesk.verify import numbers

    return {n for n, _ in numbers(text)}


def left_out(answer: str, question: str, parts: list[str]) -> str | None:
    """Which part's evidence `answer` does not give, or None. `parts`: the evidence sentences
    each part was selected (joined per part). A part's evidence with numbers needs one of them
    in the answer; one without, half of its words beyond the question's."""
    given, said = _numbers(answer), set(content_words(answer))
    asked = set(content_words(question))
    for evidence in parts:
        stated = _numbers(evidence)
        if stated and not stated & given:
            return "it leaves out a part of the question the evidence answers"
        words = set(content_words(evidence)) - asked
        if not stated and words and len(words & said) < 0.5 * len(words):
            return "it leaves out a part of the question the evidence answers"
    return None
