"""What a question asks about that no retrieved chunk mentions: then the notes don't cover it.

reference.unseen_subject declines a question whose plain noun phrase the retrieved text never
names. Three shapes it missed or got wrong (session 8, examples_dev_qa.jsonl):
- "What do I cut thick branches with?" (a part of a question routed to the cooking plugin): the
  object sits between the verb and a final preposition, so no noun phrase was found and the
  steaks' rest times "answered" it;
- "How do I true a buckled wheel?": "wheel" is in the cycling notes, but neither the action
  ("true") nor what kind of wheel ("buckled") is — the headset check was quoted as the answer;
- "Why should I store my bike out of the sun?" was declined: "sun" is only in "sunlight", a
  compound the five-letter stems keep apart.
Keyword retrieval finds any word the notes use, so a word missing from every retrieved chunk is
one the notes do not use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from frontdesk.grounding import content_words, stems
from frontdesk.store import Hit

_DETERMINER = r"(?:a|an|the|my|your|our|his|her|their|this|that|these|those)"
# "What do I cut thick branches with?": the object of "what … VERB OBJECT PREPOSITION?"
_WHAT_WITH = re.compile(
    r"^(?:what|which)\s+(?:do|does|should|can|must|would|could)\s+(?:i|you|we)\s+[a-z]+\s+"
    rf"(?:{_DETERMINER}\s+)?(?P<object>[a-z][a-z ]*?)\s+"
    r"(?:with|at|in|on|for|to|from|into|by)\s*\?$",
    re.IGNORECASE,
)
# "How do I true a buckled wheel?": the verb, and the words before the object's head noun
_HOW_TO = re.compile(
    r"^how\s+(?:do|can|should|would|could)\s+(?:i|you|we)\s+(?P<verb>[a-z]+)\s+"
    rf"{_DETERMINER}\s+(?P<modifiers>(?:[a-z-]+\s+)+)(?P<head>[a-z]+)\s*\?$",
    re.IGNORECASE,
)
_COMPOUND_REST = 4  # "sun" + "light": the rest of a compound is a word of its own


def _words(hits: Sequence[Hit]) -> set[str]:
    return set(re.findall(r"[a-z]+", " ".join(h.text for h in hits).lower()))


def in_compound(word: str, hits: Sequence[Hit]) -> bool:
    """Whether the retrieved text uses `word` as the first part of a compound ("sun" in
    "sunlight", "bike" in "bikeshed")."""
    word = word.lower()
    return len(word) >= 3 and any(
        w.startswith(word) and len(w) - len(word) >= _COMPOUND_REST for w in _words(hits)
    )


def seen(word: str, hits: Sequence[Hit]) -> bool:
    """Whether the retrieved text uses `word` (its stem, or as part of a compound)."""
    return stems(word) <= stems(" ".join(h.text for h in hits)) or in_compound(word, hits)


def unseen(question: str, hits: Sequence[Hit]) -> str | None:
    """A word of what `question` asks about that no retrieved chunk uses, or None."""
    q = question.strip()
    m = _WHAT_WITH.match(q)
    if m:
        head = m.group("object").split()[-1]
        if content_words(head) and not seen(head, hits):
            return head
    m = _HOW_TO.match(q)
    if m:
        # neither what to do nor what kind of thing: "wheel" alone is no answer to truing a
        # buckled one (either alone is: "How do I sharpen a kitchen knife?" with "kitchen"
        # nowhere still asks how to sharpen a knife)
        modifiers = [w for w in m.group("modifiers").split() if content_words(w)]
        verb = m.group("verb")
        if content_words(verb) and not seen(verb, hits):
            missing = [w for w in modifiers if not seen(w, hits)]
            if missing:
                return missing[0]
    return None
