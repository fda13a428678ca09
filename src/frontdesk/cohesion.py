"""A sentence that leans on the one before it is not quoted without it.

"How high should my saddle be?" was answered "When you then pedal with the ball of the foot,
the knee keeps a slight bend of about 25 to 35 degrees. …": the check that comes *after* the
step the note gives just before it ("Sit on the bike with your heel on the pedal at its lowest
point: your leg should be straight."). Alone it is half an instruction, so the step it follows
is evidence too.

Only the forms that cannot stand alone are read as leaning: a second-person step "then" ("When
you then pedal …", "Then tighten …"), a demonstrative used as a pronoun ("This takes about ten
minutes", not "This album …"), and "otherwise", "if not", "doing so", "after that". A narrative
"He then moved to Paris" is left alone: a passage's story reads on without its previous
sentence, and QuAC's reference answers are the one span.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontdesk.answering import Candidate

_LEANS = re.compile(
    r"^(?:then\b"
    r"|(?:(?:when|if|once|as|after)\s+)?you\s+(?:can\s+|should\s+|must\s+)?then\b"
    r"|(?:this|that|these|those)\s+(?:is|are|was|were|takes?|makes?|means?|helps?|keeps?|lets?"
    r"|stops?|gives?|needs?|will|would|can|could|should|may|might|must|way)\b"
    r"|otherwise\b|if\s+not\b|doing\s+so\b|after\s+that\b)",
    re.IGNORECASE,
)
STEPS = 2  # how far back a chain of leaning sentences is followed


def leans(sentence: str) -> bool:
    """Does the sentence only make sense after the one before it?"""
    return bool(_LEANS.match(sentence.lstrip("“\"'(")))


def neighbour(ranked: list[Candidate], c: Candidate, offset: int) -> Candidate | None:
    """The sentence `offset` places from `c` in reading order, in the same paragraph."""
    for d in ranked:
        if d.position == c.position + offset and d.hit is c.hit:
            first, second = (c, d) if offset > 0 else (d, c)
            # wrapped lines joined, paragraphs kept apart
            text = re.sub(r"[ \t]*\n(?![ \t]*\n)[ \t]*", " ", d.hit.text)
            a, b = text.find(first.sentence[-20:]), text.find(second.sentence[:20])
            if a < 0 or b < 0 or "\n\n" in text[a:b] or "#" in text[a:b]:
                return None
            return d
    return None


def with_antecedents(kept: list[Candidate], ranked: list[Candidate]) -> list[Candidate]:
    """`kept` (in reading order) with the sentence before each leaning one, from the same
    paragraph of the same retrieved chunk, added in its place."""
    out = list(kept)
    for c in kept:
        current = c
        for _ in range(STEPS):
            if not leans(current.sentence):
                break
            before = neighbour(ranked, current, -1)
            if before is None:
                break
            if before not in out:
                out.append(before)
            current = before
    return sorted(out, key=lambda c: c.position)
