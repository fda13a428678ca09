""" "How often?" and "How wet should it be?" are answered by a sentence that says how often, or
how wet — not by the one most like the question.

"How do I get rid of slugs?" then "How often?" ranked "Slugs feed at night and in damp weather."
first; the notes' "two or three evenings after rain" came second, too far below to be kept.
"How wet should a compost heap be?" ranked the heap's "six to twelve months" above "Keep the heap
as moist as a wrung-out sponge". When the best sentence does not give the kind of answer asked
for and a close one of the same document does, that one comes first (durations.py does the same
for "how long"; the "why" and "how do I" reranks for reasons and instructions).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from frontdesk.lifting import lift

if TYPE_CHECKING:
    from frontdesk.answering import Candidate

NEAR = 4  # how far down the ranking the answer may be found
# "How wet should it be?", "How thick should a mulch be?": a degree, asked of a thing
_DEGREE = re.compile(
    r"^how\s+(?!long\b|often\b|many\b|much\b|far\b|old\b|come\b|do\b|does\b|did\b|can\b|"
    r"should\b|is\b|are\b|to\b)(?P<adj>[a-z]+)\s+(?:should|must|does|do|is|are|can|ought to)\b"
    r".*\b(?:be|get|go|stay)\s*\?$",
    re.IGNORECASE,
)
_MEASURE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:cm|mm|m|km|°\s*[CF]|%|litres?|ml|g|kg|bar|psi|Nm|degrees?)\b"
)
_AS_AS = re.compile(r"\bas\s+\w+\s+as\b", re.IGNORECASE)
# A count of occasions ("two or three evenings", "three times"), not a length of time: "six to
# twelve months" is how long compost takes, no answer to how often to turn it.
_OCCASIONS = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|few|several)"
    r"(?:\s+(?:or|to)\s+\w+)?\s+(?:times?|evenings?|mornings?|nights?|rides?)\b",
    re.IGNORECASE,
)


# "At what temperature?" (of seasoning a pan): degrees Celsius, not a number of repeats; an
# angle's "15 to 20 degrees" is no temperature
_TEMPERATURE_ASKED = re.compile(r"\b(?:what|which)\s+temperature\b|\bhow hot\b", re.I)
_TEMPERATURE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:°\s*[CF]\b|degrees?\s+(?:Celsius|Fahrenheit|C|F)\b)", re.I
)


# "How much should I cut back (roses)?": a share of what the verb acts on ("back by about a
# half"), said with that verb, not another measure near it ("each cut about 5 mm above a bud")
_SHARE_ASKED = re.compile(
    r"^how\s+much\s+(?:should|do|can|must|would)\s+(?:i|we|you)\s+(?P<verb>[a-z]+)\s+"
    r"(?P<particle>back|off|down|away|out)\b",
    re.IGNORECASE,
)
_SHARE = re.compile(
    r"\b(?:a|one|two)\s+(?:half|third|quarter|fifth)s?\b|\bhalf\b|\d+\s*(?:%|per\s*cent)",
    re.IGNORECASE,
)


# "What should I use to prune roses?", "What do I cut thick branches with?", "Which tool …?":
# a thing to do it with, said as "use …", "using …" or "with …" — not when to do it
_INSTRUMENT_ASKED = re.compile(
    r"^what\s+(?:should|do|can|must|would)\s+(?:i|we|you|one)\s+use\b"
    r"|^what\s+(?:should|do|can|must|would)\s+(?:i|we|you|one)\s+\w+\b.*\bwith\s*\?$"
    r"|\b(?:what|which)\s+tools?\b",
    re.IGNORECASE,
)
_INSTRUMENT = re.compile(r"\b(?:use|using)\b|\bwith\s+(?:a|an)\b", re.IGNORECASE)


def asks_instrument(question: str) -> bool:
    return bool(_INSTRUMENT_ASKED.search(question.strip()))


def gives_share(question: str, sentence: str) -> bool | None:
    """Whether `sentence` gives the share a "how much should I cut back" asks for (None when
    the question asks no share)."""
    m = _SHARE_ASKED.match(question.strip())
    if not m:
        return None
    said = sentence.lower()
    verb = rf"\b{re.escape(m.group('verb').lower())}\w*\b.*\b{m.group('particle').lower()}\b"
    return bool(_SHARE.search(sentence) and re.search(verb, said))


def asks_degree(question: str) -> bool:
    return bool(_DEGREE.match(question.strip()))


def asks_temperature(question: str) -> bool:
    return bool(_TEMPERATURE_ASKED.search(question))


def gives_temperature(sentence: str) -> bool:
    return bool(_TEMPERATURE.search(sentence))


def asks_measure(question: str) -> bool:
    """ "What pH …?", "What size heater …?": a value of a measure is asked for."""
    from frontdesk.answering import MEASURES

    return bool(re.search(rf"\bwhat\s+(?:{MEASURES})s?\b", question, re.IGNORECASE))


def gives_degree(sentence: str) -> bool:
    """ "5 cm thick", "as moist as a wrung-out sponge": a measure or a comparison."""
    return bool(_MEASURE.search(sentence) or _AS_AS.search(sentence))


def gives(question: str, sentence: str) -> bool | None:
    """Whether `sentence` gives what `question` asks for; None when it asks for neither kind."""
    from frontdesk.answering import has_type, question_type, says_frequency

    share = gives_share(question, sentence)
    if share is not None:
        return share
    if question_type(question) == "frequency":
        return says_frequency(sentence) or bool(_OCCASIONS.search(sentence))
    if asks_degree(question):
        return gives_degree(sentence)
    if asks_temperature(question):
        return gives_temperature(sentence)
    if asks_instrument(question):
        return bool(_INSTRUMENT.search(sentence))
    if asks_measure(question):  # "What pH …?": a value, not a sentence about pH
        return has_type("number", sentence)
    return None


def rerank(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """`ranked` (best first) with the closest in meaning of the near sentences of the best's
    document that give what was asked first, when the best does not. Unchanged otherwise."""
    if not ranked or gives(question, ranked[0].sentence) is not False:
        return ranked
    best = ranked[0]
    # a share said with the question's own verb and particle is a narrow enough signal to look
    # further down (in a thread, the sentence after the last answer came first); so is a thing
    # to use, for "what should I use …" (the Tools section's "Use sharp bypass secateurs …" was
    # sixth: when-to-prune sentences are closer in meaning to "… to prune roses")
    narrow = gives_share(question, "") is not None or asks_instrument(question)
    near = len(ranked) if narrow else NEAR
    found = [
        c for c in ranked[1:near] if c.hit.source == best.hit.source and gives(question, c.sentence)
    ]
    if not found:
        return ranked
    chosen = max(found, key=lambda c: c.sim)
    return lift(ranked, chosen)
