"""How an answer says the documents do not hold it — one test everyone shares.

The specialists' "not covered" sentence and `frontdesk eval`'s count of declined questions must
agree, or the benchmark measures wording instead of behaviour. A decline is any answer holding
one of DECLINE_PHRASES ("The cooking notes don't cover …", "… is not in the documents", and a
multi-part answer's "Not found in gardening's knowledge (…): that part is not answered.").
"""

from __future__ import annotations

import re

# How a multi-part answer says a part was not found (parts.gap); a decline of that part.
PART_NOT_ANSWERED = "that part is not answered"
DECLINE_PHRASES = ("don't cover", "do not cover", "not in the documents", PART_NOT_ANSWERED)
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`´]")


def is_decline(answer_text: str) -> bool:
    """True when the answer says the documents do not cover the question."""
    text = " ".join(_APOSTROPHES.sub("'", answer_text or "").lower().split())
    return any(phrase in text for phrase in DECLINE_PHRASES)
