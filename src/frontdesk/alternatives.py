"""Answers that depend on a condition the question left open.

"How long should I rest a steak?" — the notes say "A thin steak … about 5 minutes. A thick steak
… 8 to 10 minutes." The best sentence answers for a *kind* of steak the question did not name;
the answer is both sentences, and an answer that gives one of them is incomplete. Here a kind is
the word right before the question's noun ("thin steak", "bush roses"), which the question does
not use; its alternatives are the sentences next to it, in the same document, that name the same
noun with another such word and hold what the question asks for (a number for "how long").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from frontdesk.grounding import content_words

if TYPE_CHECKING:
    from frontdesk.answering import Candidate

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|\S")
# How far (in sentences of the retrieved text) an alternative may sit from the best sentence:
# a note lists its cases together ("Prune bush roses … Pruning in autumn … Climbing roses …").
NEAR = 2
_DEFINITE = frozenset(
    ["the", "this", "that", "these", "those", "his", "her", "its", "their", "whose", "which"]
)
_INDEFINITE = frozenset(["a", "an", "my", "your", "our", "any", "some"])
MOST = 3  # the best sentence and at most two alternatives


def _noun(word: str) -> str:
    w = word.lower()
    return w[:-1] if w.endswith("s") and len(w) > 3 else w


def _generic(words: list[str]) -> set[str]:
    """The question's nouns that name a kind of thing, not one thing: "a steak", "my roses",
    "prune roses" — not "the album", "his career" (a conversation about one album)."""
    out = set()
    for i, word in enumerate(words):
        if not content_words(word):
            continue
        generic = word.endswith("s") and len(word) > 3  # a bare plural
        for before in reversed(words[max(0, i - 3) : i]):
            if before in _DEFINITE:
                generic = False
                break
            if before in _INDEFINITE:
                generic = True
                break
            if not content_words(before):  # "to", "how": the noun phrase began after it
                break
        if generic:
            out.add(_noun(word))
    return out


def generic_nouns(question: str) -> set[str]:
    return _generic(re.findall(r"[a-z]+", question.lower()))


def qualifier(question: str, sentence: str) -> tuple[str, str] | None:
    """(kind, noun) where `sentence` names a noun the question uses for a kind of thing with a
    word before it that the question does not use ("a thin steak" for "… rest a steak?")."""
    words = re.findall(r"[a-z]+", question.lower())
    asked = {_noun(w) for w in words}
    nouns = _generic(words)
    tokens = _TOKEN.findall(sentence)
    for before, word in zip(tokens, tokens[1:], strict=False):
        noun, kind = _noun(word), before.lower()
        if noun in nouns and kind.isalpha() and content_words(kind) and _noun(kind) not in asked:
            return kind, noun
    return None


def same_kind(question: str, first: str, second: str) -> bool:
    """Whether both sentences name a thing the question asks about generically ("tomatoes")."""
    nouns = generic_nouns(question)
    return bool(nouns & _nouns_of(first) & _nouns_of(second))


def siblings(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """The best candidate and its alternatives, in reading order; [] when it has none."""
    from frontdesk.answering import has_type, question_type

    if not ranked:
        return []
    best = ranked[0]
    mark = qualifier(question, best.sentence)
    if mark is None:
        return []
    kind = question_type(question)
    found, kinds = [best], {mark[0]}
    for c in ranked[1:]:
        if len(found) == MOST:
            break
        other = qualifier(question, c.sentence)
        if (
            c.hit.source == best.hit.source
            and abs(c.position - best.position) <= NEAR
            and other is not None
            and other[1] == mark[1]
            and other[0] not in kinds
            and (not kind or has_type(kind, c.sentence))
        ):
            found.append(c)
            kinds.add(other[0])
    return sorted(found, key=lambda c: c.position) if len(found) > 1 else []


def missing(answer: str, question: str, alternatives: list[str]) -> str | None:
    """Why `answer` does not cover every alternative, or None: each one's kind must be named,
    and its number given where it holds one."""
    from frontdesk.verify import numbers

    said = {_noun(w) for w in re.findall(r"[A-Za-z]+", answer)}
    given = {n for n, _ in numbers(answer)}
    for sentence in alternatives:
        mark = qualifier(question, sentence)
        if mark is None:
            continue
        stated = {n for n, _ in numbers(sentence)}
        if _noun(mark[0]) not in said or (stated and not stated & given):
            return f"it leaves out the {mark[0]} {mark[1]} the evidence also answers for"
    return None


def _nouns_of(text: str) -> set[str]:
    return {_noun(w) for w in re.findall(r"[A-Za-z]+", text)}


def misattributed(claim: str, question: str, facts: list[str]) -> str | None:
    """Why `claim` gives the asked thing another case's numbers, or None. "Rest a whole chicken
    for 15 to 30 minutes": the evidence sentence stating 15 and 30 is about a whole roast, and
    the one about a chicken says 15 minutes; every number is in the evidence, the claim is not."""
    from frontdesk.verify import numbers, sentences_of

    nouns = generic_nouns(question) & _nouns_of(claim)
    stated = {n for n, _ in numbers(claim)}
    if not nouns or not stated:
        return None
    sentences = sentences_of(facts)
    counts = [len(stated & {n for n, _ in numbers(s)}) for s in sentences]
    if not counts or max(counts) == 0:
        return None
    # The sentences stating most of the claim's numbers: the ones it can rest on.
    basis = [s for s, c in zip(sentences, counts, strict=True) if c == max(counts)]
    said = set().union(*(_nouns_of(s) for s in basis))
    for noun in sorted(nouns - said - _final_verb(question)):
        if any(noun in _nouns_of(s) and numbers(s) for s in sentences if s not in basis):
            return f"its numbers are the evidence's for something else, not for the {noun}"
    return None


# "How long should a thick steak rest?": after a modal and its subject, the last word is the
# verb, not a kind of steak ("rest" is in the thin steak's sentence, not the thick one's).
_FINAL_VERB = re.compile(
    r"\b(?:should|must|can|could|does|do|did|will|would)\s+(?:a|an|the|my|your|our|this|that)\s+"
    r"(?:[a-z]+\s+){0,3}([a-z]+)\W*$",
    re.IGNORECASE,
)


def _final_verb(question: str) -> set[str]:
    m = _FINAL_VERB.search(question)
    return {_noun(m.group(1))} if m else set()


def _pairs(text: str) -> set[tuple[str, str]]:
    """(word, noun) of each two content words in a row: ("rambling", "rose")."""
    words = re.findall(r"[a-z]+", text.lower())
    return {
        (a, _noun(b))
        for a, b in zip(words, words[1:], strict=False)
        if content_words(a) and content_words(b)
    }


def names_asked_kind(question: str, sentence: str) -> bool:
    """Whether `sentence` names the kind the question names ("rambling roses")."""
    return bool(_pairs(question) & _pairs(sentence))


def names_other_kind(question: str, sentence: str) -> bool:
    """Whether `sentence` names another kind of what the question names a kind of ("bush roses"
    for "How do I prune rambling roses?") and not the asked one."""
    asked = _pairs(question)
    # a noun the question names generically ("rambling roses"), not one thing ("cooked rice",
    # "which chain lube": "wet lube" is the answer, not another kind)
    nouns = {n for _, n in asked} & generic_nouns(question)
    words = {w for w, _ in asked} | {n for _, n in asked}
    return not asked & _pairs(sentence) and any(
        n in nouns and w not in words and _noun(w) not in nouns for w, n in _pairs(sentence)
    )
