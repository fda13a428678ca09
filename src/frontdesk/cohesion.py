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


def with_antecedents(kept: list[Candidate], ranked: list[Candidate]) -> list[Candidate]:
    """`kept` (in reading order) with the sentence before each leaning one, from the same
    retrieved chunk, added in its place."""
    by_place = {(c.hit.chunk_id, c.position): c for c in ranked}
    out = list(kept)
    for c in kept:
        current = c
        for _ in range(STEPS):
            if not leans(current.sentence):
                break
            before = by_place.get((current.hit.chunk_id, current.position - 1))
            if before is None:
                break
            if before not in out:
                out.append(before)
            current = before
    return sorted(out, key=lambda c: c.position)
