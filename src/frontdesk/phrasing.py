"""When the model's rephrasing says less than the evidence sentence it rests on, show that sentence.

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
from dataclasses import dataclass, field

from frontdesk.grounding import stems

MIN_KEPT = 0.5  # share of what the basis sentence adds to the question a claim must keep
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Narrowed:
    answer: str
    changed: bool
    problems: list[str] = field(default_factory=list)


def _sentences(facts: list[str]) -> list[str]:
    return [s.strip() for f in facts for s in _SENTENCE.split(f) if s.strip()]


def _terms(text: str) -> set[str]:
    """Content-word stems and numbers: "8 to 10 minutes" rests on the thick steak's sentence,
    not on the thin one's, which shares as many words with it."""
    return stems(text) | set(_NUMBER.findall(text))


def basis(claim: str, facts: list[str]) -> str | None:
    """The evidence sentence `claim` rests on: the one sharing most of its content words and
    numbers, on a tie the one the claim covers more of ("Check your tyre pressure every week
    with a gauge" rests on "Check pressure every week with a gauge", not on "Before every ride:
    … check the pressure with a gauge"); None when it shares none."""
    terms = _terms(claim)
    best: tuple[int, float] = (0, 0.0)
    where = None
    for sentence in _sentences(facts):
        own = _terms(sentence)
        shared = len(terms & own)
        key = (shared, shared / len(own) if own else 0.0)
        if shared and key > best:
            best, where = key, sentence
    return where


def kept_share(claim: str, question: str, sentence: str) -> float:
    """Of what `sentence` adds to `question` (its content words the question lacks), the share
    `claim` keeps; 1.0 when it adds nothing."""
    adds = _terms(sentence) - _terms(question)
    if not adds:
        return 1.0
    return len(adds & _terms(claim)) / len(adds)


def thin(claim: str, question: str, facts: list[str]) -> str | None:
    """The basis sentence, when `claim` keeps too little of what it adds to the question."""
    sentence = basis(claim, facts)
    if sentence is None or kept_share(claim, question, sentence) >= MIN_KEPT:
        return None
    return sentence


def narrow(answer: str, question: str, facts: list[str]) -> Narrowed:
    """`answer` with each claim that says less than its basis sentence replaced by that sentence,
    quoted (each sentence once, in the answer's order). A quote of the evidence already is the
    evidence and is left alone."""
    text = answer.strip()
    if not text or text.startswith("“") or not facts:
        return Narrowed(answer, False)
    parts: list[str] = []
    quoted: list[str] = []
    problems = []
    for claim in (c.strip() for c in _SENTENCE.split(text)):
        if not claim:
            continue
        sentence = thin(claim, question, facts)
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


def rests_on(answer: str, facts: list[str], best: str | None) -> list[str]:
    """The evidence sentences `answer` rests on, in its order: each quoted sentence, and each
    claim's basis. Stored with the answer, they locate it in the notes for the next question of
    the thread (answering.select's position features, and what a "why?" must not repeat); its
    phrasing may locate nothing ("No, they did not.") or another sentence than the one it rests
    on. An answer resting on none of them (a bare "No.") rests on the best sentence it was
    given."""
    found: list[str] = []
    for claim in (c.strip(" “”") for c in _SENTENCE.split(answer.strip())):
        if not claim:
            continue
        inside = [s for s in _sentences(facts) if s in claim or claim in s]
        sentence = inside[0] if inside else basis(claim, facts)
        if sentence is not None and sentence not in found:
            found.append(sentence)
    return found or ([best] if best is not None else [])
