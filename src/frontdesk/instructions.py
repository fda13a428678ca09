""" "How do I …?" is answered with what to do, not with a description of the thing.

"How do I get rid of aphids?" was answered “Aphids gather on soft shoot tips in spring.”: the
sentence most like the question describes the pest, and the one saying what to do ("Squash small
colonies with your fingers …") shares none of the question's words. A question asking how to do
something is answered by an instruction, a sentence in the imperative; told apart here by its
first words (no tagger: a verb first, not a subject followed by its verb). "How do I know when
…?" asks for a test, so an instruction stating a condition ("Push a finger into the soil; if it
is dry at 5 cm deep, …") comes first for it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from frontdesk import options
from frontdesk.grounding import stems
from frontdesk.lifting import lift
from frontdesk.reasons import title_of

if TYPE_CHECKING:
    from frontdesk.answering import Candidate

_HOW_TO = re.compile(
    r"^\W*(?:and\s+|so\s+|but\s+)?(?:"
    r"how\s+(?:do|can|could|should|would|shall|must)\s+(?:i|we|you|one)\b"
    r"|how\s+(?:do|can|should|must)\b[\w\s'-]*?\bbe\s+\w+(?:ed|en)\b"  # "… pads be toed in"
    r"|how\s+to\b|what\s+(?:should|can|do)\s+(?:i|we)\s+do\b)",
    re.IGNORECASE,
)
# "know when", "tell if": a test is asked for, not a time (answering.question_type too)
TELL = re.compile(r"\b(?:know|tell|see|check|sure|notice)\s+(?:when|if|whether)\b", re.I)
_CONDITION = re.compile(r"\b(?:if|when|once|until|as soon as)\b", re.IGNORECASE)
# Words that start a sentence without being a verb in the imperative.
_NOT_VERB_WORDS = (
    "a an the this that these those my your our their its his her some any each every all both "
    "no not most many much more few several other another such i you we he she it they there "
    "here if when while once after before during because since although though as so but and "
    "or nor for of in on at by to from with without into over under about above below between "
    "what which who whom whose why how where one two three four five six seven eight nine ten "
    "only also then usually often always never sometimes"
)
_NOT_VERB = frozenset(_NOT_VERB_WORDS.split(" "))
# A subject's verb right behind it: "Clay soil is rich", "New pads need to be bedded in".
_FINITE_WORDS = (
    "is are was were has have had can could will would should must may might does do did need needs"
)
_FINITE = frozenset(_FINITE_WORDS.split(" "))
_OBJECT_START = _NOT_VERB  # "Cover brassicas with …", "Carry lights you can see …"
_PURPOSE = re.compile(r"^(?:To|In order to)\s+[^,;:]+,\s+(?P<rest>\w.*)$")
# "After cooking, clean cast iron …", "When the soil is dry, water …": what to do in one case
_CASE = re.compile(
    r"^(?P<case>(?:After|Before|When|Whenever|Once|If|Until|During|In|On|At|Every|Each)"
    r"\s+[^,;:]+),\s+(?P<rest>\w.*)$"
)
NEAR = 8  # how far down the ranking an instruction may be found


def asks_how_to(question: str) -> bool:
    """ "How do I …?", "How should the pads be toed in?", "How to …": what to do is asked."""
    return bool(_HOW_TO.match(question))


def asks_tell(question: str) -> bool:
    """ "How do I know when …?", "How can I tell if …?": a test is asked for."""
    return bool(TELL.search(question))


def is_instruction_clause(clause: str) -> bool:
    """is_instruction of a clause cut from inside a sentence ("shift to the smallest sprocket,
    …" after "To adjust cable tension,"): its first letter capitalised as a sentence's is."""
    return is_instruction(clause[:1].upper() + clause[1:])


def is_instruction(sentence: str) -> bool:
    """Whether `sentence` is in the imperative ("Squash small colonies …", "Toe the pads in …",
    "Water deeply …"), not a statement about a subject ("Aphids gather …", "Rim brakes squeal …",
    "Clay soil is rich …")."""
    if options.defined(sentence):  # an option entry ("-m, --move Move/rename a branch") is one
        return True
    purpose = _PURPOSE.match(sentence)
    if purpose:  # "To adjust cable tension, shift to the smallest sprocket, …"
        return is_instruction_clause(purpose.group("rest"))
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)[:4]
    if len(words) < 2 or not sentence[:1].isupper():
        return False
    first = words[0].lower()
    if first in _NOT_VERB or re.search(r"(?:[^s]s|ing|[^e]ed|ly)$", first):
        return False  # a plural or a verb's -s ("Aphids", "Slugs"), -ing, -ed ("Feed" is one)
    rest = [w.lower() for w in words[1:]]
    if any(w in _FINITE for w in rest[:2]):
        return False
    # "Rim brakes squeal", "Beer traps sunk": two nouns and the subject's verb
    plural_head = re.search(r"[^s]s$", rest[0]) and len(rest) > 1
    return not (plural_head and rest[1] not in _OBJECT_START)


# "It is ready when a floured finger … leaves a dent", "a knock means the headset is loose": the
# test a "how can I tell if …" asks for, whether or not an instruction states it
_TEST = re.compile(
    r"\b(?:is|are)\s+(?:ready|done|cooked|ripe|enough|worn|loose|time)\s+(?:when|if|once)\b"
    r"|\bmeans\s+(?:that\s+)?(?:the|it|they|your)\b",
    re.IGNORECASE,
)


def instruction_for(question: str, sentence: str) -> bool:
    """An instruction, or one for a case that the question asks about: "After cooking, clean
    cast iron with hot water …" answers "How do I clean cast iron after cooking?" (the
    seasoning steps beside it were lifted above it), not "How do I season a cast iron pan?"."""
    if is_instruction(sentence):
        return True
    case = _CASE.match(sentence)
    if not case:
        return False
    said = stems(case.group("case"))
    return bool(said) and said <= stems(question) and is_instruction_clause(case.group("rest"))


# "The tank is cycled when it turns …": a state reached when something happens, for a "how do I
# know when" only (a man page's "is ignored when …" answers no other how-to)
_STATE_WHEN = re.compile(r"\b(?:is|are)\s+[a-z]+ed\s+(?:when|once)\b", re.IGNORECASE)


def states_test(question: str, sentence: str) -> bool:
    """Whether `sentence` states a test ("It is ready when …"; for "how do I know when my tank
    is cycled", "The tank is cycled when …")."""
    return bool(_TEST.search(sentence)) or (
        asks_tell(question) and bool(_STATE_WHEN.search(sentence))
    )


def says_what_to_do(question: str, sentence: str) -> bool:
    """An instruction (for the case asked about), or a sentence whose clause after a colon or
    semicolon is one ("Green water is free-floating algae …: cut the light and feed less.")."""
    clauses = re.split(r"[:;]\s+", sentence)
    return instruction_for(question, sentence) or any(
        is_instruction_clause(c) for c in clauses[1:] if c
    )


def answers_how(question: str, sentence: str) -> bool:
    """Whether `sentence` answers a how-to question: an instruction, or for "how can I tell
    if …" the test."""
    return instruction_for(question, sentence) or (
        asks_tell(question) and states_test(question, sentence)
    )


def answering_how(question: str, candidates: list[Candidate]) -> list[Candidate]:
    """Those of `candidates` that answer a how-to question; for "how can I tell if …", the
    tests alone when one is there (an instruction beside it is what to do, not how to tell)."""
    told = [c for c in candidates if answers_how(question, c.sentence)]
    tests = [c for c in told if asks_tell(question) and states_test(question, c.sentence)]
    return tests or told


def _tested(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """For "how can I tell if the dough has proved enough?", the near sentence stating the
    test ("It is ready when …") first, when the best states none ("Leave the dough covered
    until it has doubled in size", an instruction with a condition, true of the first prove)."""
    if not asks_tell(question) or states_test(question, ranked[0].sentence):
        return ranked
    asked = stems(TELL.sub(" ", question))
    found = [
        c for c in ranked[1:NEAR] if states_test(question, c.sentence) and asked & stems(c.sentence)
    ]
    if not found:
        return ranked
    return lift(ranked, found[0])


def rerank(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """`ranked` (best first) with an instruction first for a how-to question whose best sentence
    is none; unchanged otherwise. The instruction is one under the best sentence's own section
    (the pest described there) or one sharing a word of the question; for "how do I know …", one
    stating a condition first."""
    if not ranked or not asks_how_to(question):
        return ranked
    ranked = _tested(question, ranked)
    if says_what_to_do(question, ranked[0].sentence) or states_test(question, ranked[0].sentence):
        return ranked
    asked = stems(question)
    section = title_of(ranked[0].hit.text, ranked[0].sentence)
    found = [
        c
        for c in ranked[1:NEAR]
        if instruction_for(question, c.sentence)
        and (
            bool(asked & stems(c.sentence))
            or (section and title_of(c.hit.text, c.sentence) == section)
        )
    ]
    if not found:
        return ranked
    tell = asks_tell(question)
    best = min(found, key=lambda c: (not (tell and _CONDITION.search(c.sentence)), ranked.index(c)))
    return lift(ranked, best)
