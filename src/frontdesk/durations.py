""" "How long …?" is answered by a length of time given to what was asked about.

"How long should the dough rise?" was answered “The room was cold: below 18 °C dough rises very
slowly.” (no length of time at all), and "How long does bread dough take to prove?" with “Mix,
rest 20 minutes, then knead for about 10 minutes …” (the rest's and the kneading's). The notes'
answer is two sentences: "Leave the dough covered until it has doubled in size. At 22 °C this
takes about one to one and a half hours." — the second gives the time, the first ("this") what it
is the time of. A sentence's lengths of time belong to its steps ("rest 20 minutes", "knead for
about 10 minutes"); a length of time answers when its step (or, for "this takes …", the sentence
before) shares a word of the question. A generated claim's length of time belongs to the same
action as in the evidence: "The dough should rise for 10 minutes" is not what "knead for about 10
minutes" says.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from frontdesk import instructions
from frontdesk.cohesion import neighbour
from frontdesk.grounding import stems
from frontdesk.lifting import lift

if TYPE_CHECKING:
    from frontdesk.answering import Candidate

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_HOW_LONG = re.compile(r"\bhow long\b", re.IGNORECASE)
# "How far ahead should I salt a steak?" asks for a length of time too: the lead time of an
# action, told by a sentence saying "ahead", "in advance" or "before" (the steaks' rest times,
# ranked first, give a length of time to "steak" but not a lead time)
_AHEAD = re.compile(
    r"\bhow (?:far|long|much time|many \w+) (?:ahead|in advance|beforehand|before)\b", re.I
)
_LEAD_TIME = re.compile(r"\b(?:ahead|in advance|beforehand|before|earlier)\b", re.IGNORECASE)
_AMOUNT = (
    r"\d+(?:[.,]\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|half|few|several|couple\s+of"
)
_TIME_UNIT = r"(?:second|minute|min|hour|day|week|month|year|night)s?"
_DURATION = re.compile(rf"\b(?:{_AMOUNT})\s+(?:more\s+)?{_TIME_UNIT}\b", re.IGNORECASE)
# "once a day", "every week": how often, not how long
_RATE = re.compile(r"\b(?:once|twice|times|every|per|each)\s*$", re.IGNORECASE)
# "this takes about an hour": the length of time of what the sentence before says
_BACK = re.compile(
    r"\b(?:this|that|it)\s+(?:\w+ly\s+)?(?:takes|lasts|needs|will take|can take|should take)\b",
    re.IGNORECASE,
)
# A sentence's steps: "Mix, rest 20 minutes, then knead for about 10 minutes until the dough is
# smooth" gives its times to "rest" and "knead", not to the dough being smooth.
_STEP = re.compile(
    r"[,;:]?\s+(?:and\s+)?(?:then|before|after|until|till|once|when|while|so that)\s+|[,;:]\s+",
    re.IGNORECASE,
)
# Words of a "how long" that say nothing about what it is the length of.
_GENERIC = frozenset({"long", "tak", "need", "usual", "typic", "about"})
NEAR = 8  # how far down the ranking a length of time may be found


def asks_how_long(question: str) -> bool:
    return bool(_HOW_LONG.search(question) or _AHEAD.search(question))


def durations(text: str) -> list[re.Match[str]]:
    """The lengths of time `text` states ("10 minutes", "an hour"; not "once a day")."""
    return [m for m in _DURATION.finditer(text) if not _RATE.search(text[: m.start()])]


def _timed_steps(sentence: str) -> list[str]:
    return [s for s in _STEP.split(sentence) if s.strip() and durations(s)]


def _words(step: str) -> set[str]:
    return stems(_DURATION.sub(" ", step)) - _GENERIC


def answers(question: str, sentence: str, before: str = "") -> bool:
    """Whether `sentence` gives a length of time to what `question` asks about: a step of it
    that holds one shares a word of the question; for "this takes …", `before` does."""
    asked = stems(question) - _GENERIC
    said = [before, *_SENTENCE.split(sentence)]
    for previous, one in itertools.pairwise(said):
        if _AHEAD.search(question) and not _LEAD_TIME.search(one):
            continue
        for step in _timed_steps(one):
            words = _words(step)
            if _BACK.search(step) and previous:
                words |= _words(previous)
            if asked & words:
                return True
    return False


# "How quickly must cooked rice be cooled?", "How long should I knead it?": the time of one
# action, the verb of a passive or the one after "I"/"you"
_HOW_SOON = re.compile(r"\bhow (?:long|quickly|soon)\b", re.IGNORECASE)
_ASKED_VERB = re.compile(
    r"\bbe\s+([a-z]+ed)\b|\b(?:should|must|can|could|do|does|will|would)\s+(?:i|you|we|they)\s+"
    r"([a-z]+)|\b(?:does|do|did)\s+(?:[a-z]+\s+){1,3}?([a-z]+)"
    r"(?=\s+(?:in|on|at|for|to|after|before|with|under|once)\b|\W*$)",
    re.IGNORECASE,
)


def asked_action(question: str) -> str:
    """The stem of the action a "how long/quickly/soon" asks the time of; "" when none."""
    m = _ASKED_VERB.search(question) if _HOW_SOON.search(question) else None
    return next(iter(stems(m.group(1) or m.group(2) or m.group(3))), "") if m else ""


# Steps of an action: "wait until it is touch dry (about five minutes)" is one, the time the
# wait's (_STEP splits it at "until" to tell a condition from its step's time)
_ACTION_STEP = re.compile(
    r"[,;:]?\s+(?:and\s+)?(?:then|before|after|once|when|while|so that)\s+|[,;:]\s+", re.I
)


def _steps(text: str) -> Iterator[str]:
    """The steps of `text`: its sentences, each cut where another action begins."""
    return (s for one in _SENTENCE.split(text) for s in _ACTION_STEP.split(one))


def times_action(text: str, verb: str) -> bool:
    """Whether a step of `text` gives `verb` a length of time ("Cool rice within one hour";
    not "… to cool quickly, pack it into freezer bags within an hour")."""
    return bool(verb) and any(durations(s) and action(s) == verb for s in _steps(text))


def leaves_out_action(question: str, answer: str, facts: list[str]) -> bool:
    """Whether `answer` gives no time to the action asked where the evidence does: "Press the
    patch on firmly for a minute." for how long to wait before pressing it."""
    verb = asked_action(question)
    said = verb in stems(answer) and bool(durations(answer))
    return bool(verb) and not said and any(times_action(f, verb) for f in facts)


def _says_time_of(text: str, verb: str) -> bool:
    """Whether a step of `text` holds both `verb` and a length of time: a statement ("Most
    cooked leftovers keep three to four days …") times its verb as an instruction does."""
    return any(durations(s) and verb in stems(s) for s in _steps(text))


def _by_action(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """The near sentence timing the action asked first, when the best times another one: the
    freezing sentence shares more of "How quickly must cooked rice be cooled?"."""
    verb = asked_action(question)
    if not verb or not ranked or times_action(ranked[0].sentence, verb):
        return ranked
    if _says_time_of(ranked[0].sentence, verb):  # the best states the time of the action
        return ranked
    found = [c for c in ranked[1:NEAR] if times_action(c.sentence, verb)]
    return lift(ranked, max(found, key=lambda c: c.sim)) if found else ranked


def kept(
    question: str, evidence: list[Candidate], best: Candidate | None = None
) -> list[Candidate]:
    """Of the evidence for a "how long", the sentences giving a length of time to what was
    asked, when one does (the room being cold beside the proving time is no answer); the
    `best` and others timing the very action asked, when they do, whatever words another
    shares."""
    verb = asked_action(question)
    timed = [c for c in evidence if times_action(c.sentence, verb)]
    if best is not None and times_action(best.sentence, verb) and best not in evidence:
        timed.insert(0, best)
    if timed:
        return timed
    if not asks_how_long(question):
        return evidence
    return [c for c in evidence if answers(question, c.sentence)] or evidence


def _answer_of(question: str, ranked: list[Candidate], c: Candidate) -> list[Candidate]:
    """`c` as an answer to the "how long": itself, with the sentence before or after it that
    its "this takes …" or its own needs; [] when it gives no length of time to what was asked."""
    after, before = neighbour(ranked, c, 1), neighbour(ranked, c, -1)
    if answers(question, c.sentence, before.sentence if before else ""):
        if before and _BACK.search(c.sentence):
            return [before, c]
        return [c]
    if after and _BACK.search(after.sentence) and answers(question, after.sentence, c.sentence):
        return [c, after]
    return []


def rerank(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """`ranked` (best first) with a sentence giving a length of time to what was asked first,
    for a "how long" whose best sentence gives none; the one closest in meaning of those near
    the top, joined with the sentence its "this takes …" refers to. Unchanged otherwise."""
    ranked = _by_action(question, ranked)
    if not ranked or not asks_how_long(question) or _answer_of(question, ranked, ranked[0]):
        return ranked
    found = [a for c in ranked[1:NEAR] if (a := _answer_of(question, ranked, c))]
    if not found:
        return ranked
    best = max(found, key=lambda a: max(c.sim for c in a))
    return lift(
        ranked,
        best[0],
        replacing=best,
        sentence=" ".join(c.sentence for c in best),
        sim=max(c.sim for c in best),
    )


_MODAL = re.compile(
    r"\b(?:should|must|can|could|will|would|may|might|needs? to|has to|have to|ought to)\s+"
    r"(?:be\s+|first\s+|then\s+|only\s+)?([a-z]+)",
    re.IGNORECASE,
)


def action(step: str) -> str:
    """The verb of a step, as a stem: an instruction's first word ("knead for 10 minutes"), or
    the one after a modal ("the dough should rise …"); "" when neither."""
    # "…, and freeze it for up to one month": the step is freezing
    step = re.sub(r"^(?:and|then|or)\s+", "", step.strip(" .!?"), flags=re.IGNORECASE)
    if instructions.is_instruction_clause(step):
        first = re.match(r"[A-Za-z]+", step)
        return next(iter(stems(first.group(0))), "") if first else ""
    m = _MODAL.search(step)
    return next(iter(stems(m.group(1))), "") if m else ""


def other_action(
    claim: str, facts: list[str], value: str, same: Callable[[str, str], bool]
) -> str | None:
    """Why the length of time `value` of `claim` belongs to another action in `facts` than the
    claim gives it to, or None. `same(a, b)`: whether two numbers as written are one."""
    mine = [s for s in _STEP.split(claim) if any(same(value, m.group(0)) for m in durations(s))]
    verb = action(mine[0]) if mine else ""
    if not verb:
        return None
    theirs = [
        s
        for f in facts
        for s in _STEP.split(f)
        if any(same(value, m.group(0)) for m in durations(s))
    ]
    verbs = [action(s) for s in theirs]
    if not theirs or not all(verbs) or any(verb in stems(s) for s in theirs):
        return None
    return f"the evidence gives {value} to “{theirs[0].strip()[:40]}”, not to “{verb}…”"
