"""When the model's rephrasing says less than the evidence sentence it rests on, show that sentence.

Tried in session 8 and not kept (BENCHMARKS.md, "QuAC: the product's phrasing (session 8)"):
dev QuAC follow-ups lost F1 while the example plugins' dev set gained three answers. Commit
688de44 has it wired into specialist.verified (with the evidence given best first, and tool
results standing); here it is what benchmarks.quac_phrasing replays on a recorded run.

verify.py checks that every claim of an answer is *true* of the evidence; it cannot see a claim
that is true and thin. The bundled model shortens the right sentence into a fragment that keeps
the question's words and drops what answers it: "His return to the Harry Potter franchise." for
"In 2004, Oldman returned to prominence when he landed a significant role in the Harry Potter
film series, playing Harry Potter's godfather Sirius Black." Every word is in the evidence; the
year, the role and the prominence — what was asked — are not in the answer.

The rule: a claim rests on the evidence sentence that shares most of its content words (its
basis). Of the basis's content words that the question does not already hold (what the
sentence adds), the claim must keep a share; one that keeps less is replaced by its basis,
quoted. Only the basis is quoted, not every evidence sentence: the claim says which of them it
rests on ("a thick steak" rests on the thick steak's sentence, not the thin one's), which is
what a narrowed quote of the selector's best sentence got wrong (BENCHMARKS.md, session 5).
A short answer that keeps what its sentence says ("Rest a thick steak for 8 to 10 minutes.")
stands as the model said it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from frontdesk.answering import _rejoin as rejoin  # sentences split after "C.", "Dr.", "No."
from frontdesk.grounding import stems

MIN_KEPT = 0.5  # share of what the basis sentence adds to the question a claim must keep
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")  # a claim ends at ";" too (as in verify.py)
_FULL_STOP = re.compile(r"(?<=[.!?])\s+|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Narrowed:
    answer: str
    changed: bool
    problems: list[str] = field(default_factory=list)


def _sentences(facts: list[str]) -> list[str]:
    # not at ";": "Check pressure every week with a gauge; tyres lose air slowly …" is one
    # sentence, and its second half holds words a claim about the first may rest on
    return [s for f in facts for s in rejoin([p.strip() for p in _FULL_STOP.split(f) if p.strip()])]


def _terms(text: str) -> set[str]:
    """Content-word stems and numbers: "8 to 10 minutes" rests on the thick steak's sentence,
    not on the thin one's, which shares as many words with it."""
    return stems(text) | set(_NUMBER.findall(text))


def basis(claim: str, facts: list[str]) -> str | None:
    """The evidence sentence `claim` rests on: the one sharing most of its content words and
    numbers, on a tie the first of `facts` (specialist.verified gives them best first: where
    the words do not say which sentence a claim rests on, the one selected as answering);
    None when it shares none."""
    terms = _terms(claim)
    best, where = 0, None
    for sentence in _sentences(facts):
        shared = len(terms & _terms(sentence))
        if shared > best:
            best, where = shared, sentence
    return where


def kept_share(claim: str, question: str, sentence: str) -> float:
    """Of what `sentence` adds to `question` (its content words the question lacks), the share
    `claim` keeps; 1.0 when it adds nothing."""
    adds = _terms(sentence) - _terms(question)
    if not adds:
        return 1.0
    return len(adds & _terms(claim)) / len(adds)


def thin(claim: str, question: str, facts: list[str], computed: Sequence[str] = ()) -> str | None:
    """The basis sentence, when `claim` keeps too little of what it adds to the question. A
    claim resting on a tool's result (`computed`: "180 °C = 356 °F") states its numbers, and
    the result's wording is no sentence of the notes to show instead."""
    sentence = basis(claim, [*computed, *facts])
    if sentence is None or kept_share(claim, question, sentence) >= MIN_KEPT:
        return None
    return None if any(sentence in c for c in computed) else sentence


def narrow(answer: str, question: str, facts: list[str], computed: Sequence[str] = ()) -> Narrowed:
    """`answer` with each claim that says less than its basis sentence replaced by that sentence,
    quoted (each sentence once, in the answer's order). A quote of the evidence already is the
    evidence and is left alone; `computed`: tool results (see `thin`)."""
    text = answer.strip()
    if not text or text.startswith("“") or not (facts or computed):
        return Narrowed(answer, False)
    parts: list[str] = []
    quoted: list[str] = []
    problems = []
    for claim in rejoin([c.strip() for c in _SENTENCE.split(text) if c.strip()]):
        sentence = thin(claim, question, facts, computed)
        if sentence is None:
            parts.append(claim)
            continue
        problems.append(f"“{claim[:60]}” says less than the sentence it rests on")
        if sentence not in quoted:
            quoted.append(sentence)
            parts.append("“" + sentence + "”")
    if not problems:
        return Narrowed(answer, False)
    return Narrowed(" ".join(parts), True, problems)
