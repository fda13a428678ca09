"""Is a specialist's answer supported by what it retrieved?

Cheap and explainable: the share of the answer's content words that appear in the retrieved
chunks (or the question). A small model that wanders off its notes scores low and is escalated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?!\.\s)")
_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "don't",
        "doesn't",
        "isn't",
        "aren't",
        "can't",
        "won't",
        "it's",
        "you're",
        "they're",
        "there's",
        "that's",
        "usually",
        "generally",
        "often",
        "many",
        "much",
        "well",
        "make",
        "makes",
        "made",
        "get",
        "gets",
        "one",
        "two",
        "use",
        "used",
        "using",
        "may",
        "might",
        "need",
    ]
)


def content_words(text: str) -> list[str]:
    # A five-letter prefix is a crude stem: "ferment", "fermented", "fermenting" agree.
    return [w[:5] for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2]


_ENDING = re.compile(r"(?:ing|ed|es|s|e)$")


def stems(text: str, skip: frozenset[str] = frozenset()) -> set[str]:
    """content_words' five-letter prefix after a plural or tense ending, so that "rests",
    "resting" and "rest", or "shows" and "show", agree (the prefix alone keeps them apart)."""
    return {
        (_ENDING.sub("", w) if len(w) > 3 else w)[:5]
        for w in re.findall(r"[a-z0-9]+", text.lower())
        if w not in skip and content_words(w)
    }


@dataclass(frozen=True)
class Grounding:
    retrieval: float  # best chunk similarity
    support: float  # share of answer content words found in the chunks or the question
    grounded: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "retrieval": round(self.retrieval, 4),
            "support": round(self.support, 4),
            "grounded": self.grounded,
            "reason": self.reason,
        }


def assess(
    answer: str,
    question: str,
    chunks: list[str],
    retrieval: float,
    min_retrieval: float = 0.30,
    min_support: float = 0.55,
) -> Grounding:
    words = content_words(answer)
    if not chunks or retrieval < min_retrieval:
        return Grounding(retrieval, 0.0, False, f"weak retrieval ({retrieval:.2f})")
    if not words:
        return Grounding(retrieval, 0.0, False, "empty answer")
    known = set(content_words(question))
    for chunk in chunks:
        known.update(content_words(chunk))
    support = sum(w in known for w in words) / len(words)
    context = " ".join([question, *chunks])
    invented = sorted({n for n in _NUMBER.findall(answer) if n not in context})
    if invented:
        # A number the notes never gave is the commonest invention of small models.
        return Grounding(
            retrieval, support, False, f"numbers not in its notes: {', '.join(invented[:3])}"
        )
    if support < min_support:
        return Grounding(
            retrieval, support, False, f"answer not supported by its notes ({support:.0%})"
        )
    return Grounding(retrieval, support, True, f"supported by its notes ({support:.0%})")
