"""An answer that copies a sentence of the evidence with the question's words in place of its own.

"How often should I oil the chain in winter?" was answered "Oil the chain every 150 to 300 km,
and after every ride in winter.": the notes say "in the rain" there. Every word of it is in the
evidence or the question, so the word checks pass; what is wrong is where the question's word
stands. Aligning the claim with the evidence sentence it copies shows it: the phrase after one of the
sentence's prepositions replaced by the question's phrase after that preposition, words only the
question holds.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from frontdesk.grounding import content_words

_WORD = re.compile(r"[A-Za-z0-9°%'-]+")
MOST = 0.6  # the share of the claim's words that must come from one sentence: a copy of it
SPAN = 3  # the longest stretch replaced: a phrase, not a rewording of the sentence
_PREPOSITIONS = frozenset(
    [
        "in",
        "on",
        "at",
        "for",
        "with",
        "without",
        "after",
        "before",
        "during",
        "under",
        "over",
        "from",
        "into",
        "near",
        "by",
    ]
)


def _qualifies(question: str, preposition: str, word: str) -> bool:
    """Does the question hold "PREPOSITION (a word) WORD" ("in winter", "in a heatwave")?"""
    pattern = rf"\b{preposition}\s+(?:[\w'-]+\s+)?{re.escape(word)}\b"
    return bool(re.search(pattern, question, re.IGNORECASE))


def put_in_place(claim: str, question: str, sentences: Sequence[str]) -> str | None:
    """Why `claim` says of a copied evidence sentence what it does not (the question's words in
    place of the sentence's), or None."""
    said = _WORD.findall(claim.lower())
    asked = set(content_words(question))
    for sentence in sentences:
        words = _WORD.findall(sentence.lower())
        match = difflib.SequenceMatcher(None, words, said, autojunk=False)
        if match.ratio() < MOST:
            continue
        own = set(content_words(sentence))
        for tag, i1, i2, j1, j2 in match.get_opcodes():
            if tag != "replace" or max(i2 - i1, j2 - j1) > SPAN:
                continue
            # a phrase the question qualifies itself with ("in winter") put in place of the
            # sentence's own after the same preposition ("in the rain"); another word for the
            # thing itself ("the bread is done" for "the loaf is done") is a paraphrase
            prep = words[i1 - 1] if i1 else ""
            if prep not in _PREPOSITIONS or not _qualifies(question, prep, said[j1]):
                continue
            put = set(content_words(" ".join(said[j1:j2])))
            gone = set(content_words(" ".join(words[i1:i2])))
            if put and gone and put <= asked - own and not gone & put:
                was, now = " ".join(words[i1:i2]), " ".join(said[j1:j2])
                return f"the evidence says “{was}” where it says “{now}” (the question's words)"
    return None
