"""Ranking candidates from reference documentation: an option's entry before prose about it.

The selection model scores sentences one by one. In a man page that is not enough:
- "What does git tag -f do?" names an option several pages define (-f is in git-push, git-mv,
  git-clean …): the entry of the page the question names ("git tag") is the answer;
- "Which git stash option leaves the changes already added to the index intact?" is answered by
  a sentence two paragraphs into the -k entry's description: the entry (its heading says which
  option) is the answer, so an entry is scored by the best of its sentences;
- a question asking for an option ("which option …", "how do I …") is answered by an entry, not
  by the page's NAME line or prose that shares its words, whenever the retrieved text holds one;
- a synopsis line ("git tag [-a | -s] [-f] <tagname>") names options and answers nothing.
Where the retrieved text holds no entries (prose notes, QuAC passages) nothing here applies and
the model's order stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from frontdesk import options
from frontdesk.grounding import content_words, stems
from frontdesk.store import Hit

# What an entry's described() share adds to its score when the question asks for an option
# without naming it: a short entry whose description is the asked effect ("-w,
# --ignore-all-space Ignore whitespace when comparing lines.") before a longer one sharing
# more of the question's words.
# Chosen on the man-page dev set: 0.25, 0.5 and 1 rank the same (48 of 59 best candidates
# right, 45 with 0, 47 with 0.1).
# With an entry described by its best sentence (session 9, second round), on the 87 dev
# questions' best candidates (benchmarks.reference_diag): 0.5 71, 1 73, 2 72.
DESCRIBED = 1.0


def rank(
    question: str,
    pool: Sequence[tuple[Hit, str, int | None]],
    scores: np.ndarray,
    unplaced: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order best first, scores as ranked, own) — `own`: the candidates that define an option
    the question names; `unplaced`: the scores without the position in the text, which is how
    entries are compared."""
    asked = options.flags(question)
    defines = [options.defined(s) for _, s, _ in pool]
    entry = np.array([bool(d) for d in defines])
    named = np.array([options.named_document(question, h.source) for h, _, _ in pool])
    usage = np.array([options.is_usage(s) for _, s, _ in pool])
    scores = scores.copy()
    own = np.array([bool(d & asked) for d in defines])
    if (own & named).any():  # the page the question names defines it: that page's entry
        own &= named
    tier = np.zeros(len(pool))
    key = scores  # the order within a tier; `scores` stay the model's probabilities (the gate)
    if own.any():
        # The entry that defines the very option asked about ("What does --amend do?") is its
        # answer, whatever else shares the question's words.
        scores = np.where(own, np.maximum(scores, scores.max()), scores)
        tier = np.where(own, 0, 2)
    elif entry.any() and not asked and options.asks_for_option(question):
        # An entry answers with its best sentence, later paragraphs of its description too.
        for i, (_, _, owner) in enumerate(pool):
            if owner is not None:
                scores[owner] = max(scores[owner], unplaced[i])
        preferred = entry & named if (entry & named).any() else entry
        cov = [
            described(question, s, h.source) if entry[i] else 0.0
            for i, (h, s, _) in enumerate(pool)
        ]
        key = scores + DESCRIBED * np.array(cov)
        tier = np.where(preferred, 0, np.where(entry, 1, 2))
    tier = np.where(usage & ~own, 3, tier)
    order = np.lexsort((-key, tier))
    return order, scores, own


# A name inside a question ("… on GitHub", "my Bitbucket account", "Visual Studio Code"):
# a capitalised word that does not start it.
_NAME = re.compile(r"(?<=[\w,] )[A-Z][\w-]+")  # "I" is no name


_DETERMINER = re.compile(r"^(?:a|an|the|my|your|our)\s+", re.IGNORECASE)
_AFTER = r"(?:at|for|in|on|with|to|from|into|after|before)\b"
_WHAT_THING = re.compile(
    rf"^(?:at\s+)?(?:what|which)\s+(?P<thing>[a-z][a-z ]*?)\s+"
    r"(?:do|does|should|can|must|would|could)\s+(?:i|you|we)\s+[a-z]+"
    rf"(?:\s+(?!{_AFTER})(?P<object>[a-z][a-z ]*?))?(?:\s+{_AFTER}.*)?\s*\?$",
    re.IGNORECASE,
)
_WHICH_OPTION = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}(?:option|flag)s?\b", re.IGNORECASE
)
_PREPOSITIONS = frozenset(
    {"in", "on", "at", "to", "for", "with", "from", "by", "of", "into", "after", "before", "during"}
)


def unseen_subject(question: str, hits: Sequence[Hit]) -> str | None:
    """The thing asked about ("an apple tree", "hydrangeas": the noun phrase the question is
    about, when it is a plain one) when no retrieved chunk mentions its head noun: as for names,
    keyword retrieval would have found it had the documents used it."""
    from frontdesk.answering import MEASURES
    from frontdesk.followup import topic

    if _WHICH_OPTION.search(question):
        return None  # about an option, told by its effect in the asker's words ("… lands in")
    text = stems(" ".join(h.text for h in hits))
    # "What oil temperature should I fry chips at?": the thing after "what" and the verb's object
    m = _WHAT_THING.match(question.strip())
    for phrase in (m.group("thing"), m.group("object") or "") if m else ():
        words = [w for w in phrase.lower().split() if not re.fullmatch(f"(?:{MEASURES})s?", w)]
        # "what angle", "what frame size": the measure is what is asked, not what about; notes
        # say "15 to 20 degrees", not "angle" (seen on the examples test set, BENCHMARKS.md)
        head = (words or [""])[-1]
        if head.isalpha() and content_words(head) and not stems(head) <= text:
            return head
    subject = topic(question)
    words = subject.split()
    # "apple trees" ending "When should I prune apple trees?" is one too, without a determiner
    ending = (
        1 < len(words) <= 3
        and question.strip().rstrip("?!. ").lower().endswith(subject.lower())
        and all(w.isalpha() for w in words)
        and words[0].lower() not in _PREPOSITIONS
        and not re.search(r"(?:ed|ing)$", words[-1])
    )
    if not words or not (_DETERMINER.match(subject) or len(words) == 1 or ending):
        return None  # "salt goes", "deep should I plant …": the rules found no plain noun phrase
    head = words[-1].strip("?,.!").lower()
    if not head.isalpha() or not content_words(head):
        return None
    if re.match(rf"\W*(?:what|who|which)\s+{re.escape(head)}\s+\S", question, re.IGNORECASE):
        return None  # "What happens if …": the question's verb, not what it is about
    return None if stems(head) <= text else head


def unseen_names(question: str, hits: Sequence[Hit]) -> list[str]:
    """Names in the question that no retrieved chunk mentions. Keyword retrieval finds a name
    wherever the documents use it, so one missing from every retrieved chunk is one the
    documents do not know: the question is about something else ("How do I add an SSH key to
    my Bitbucket account?" asked of git's manual), and the honest answer is that they don't
    cover it — on reference pages every question shares enough words with some chunk for the
    answerability gate to pass it."""
    text = " ".join(h.text for h in hits).lower()
    return [
        n
        for n in _NAME.findall(question)
        # "GPG-signs" where the pages say "GPG-sign": a verb's or plural's "s"
        if not any(
            re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text)
            for form in {n.lower(), re.sub(r"(?<=\w{3})s$", "", n.lower())}
        )
    ]


def unseen_command(question: str, hits: Sequence[Hit]) -> str | None:
    """A command of the documents' family that none of them documents: "git lfs" asked of
    pages git-config.txt, git-blame.txt … when no retrieved chunk uses the word "lfs". Pages
    named "<family>-<command>" document one command each, and keyword retrieval finds a word
    wherever they use it, so the question is about a command they do not cover (it shares
    its other words, "track large files", with them, and the gate passes it)."""
    pages = {h.source_name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower() for h in hits}
    parts = [p.split("-", 1) for p in pages if "-" in p]
    families = {f for f, _ in parts if sum(g == f for g, _ in parts) >= 2}
    text = stems(" ".join(h.text for h in hits))
    for family in families:
        pattern = rf"\b{re.escape(family)}\s+([a-z][a-z0-9]*)\b"
        for m in re.finditer(pattern, question, re.IGNORECASE):
            word = m.group(1).lower()
            if f"{family}-{word}" not in pages and content_words(word) and not stems(word) <= text:
                return word
    return None


# Words that say an option is asked for, not what it does.
_GENERIC = frozenset({"option", "options", "flag", "switch", "command", "git"})
_FIRST = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def _stems(text: str) -> set[str]:
    return stems(text, _GENERIC)


def described(question: str, sentence: str, source: str = "") -> float:
    """How much of an option entry the question describes: the share of the entry's own words
    (its long option names and a sentence of its description, the best) the question holds.
    "-d, --delete All listed refs are deleted from the remote repository." is all asked by
    "Which git push option deletes the listed refs from the remote repository?"; the --mirror
    entry, longer and sharing as many of the question's words, is not. The page's own name ("revert" in git-revert.txt) describes
    every entry of it and counts for none."""
    heading = options.heading(sentence)
    if not heading:
        return 0.0  # prose: no entry to describe
    names = " ".join(f.lstrip("-") for f in options.flags(heading) if f.startswith("--"))
    page = _stems(source.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " "))
    asked = _stems(question)
    best = 0.0
    # Each sentence of the description with the names, the best: "-n, --no-commit Usually the
    # command automatically creates some commits …" says what -n does in its second sentence
    # ("This flag applies the changes … but does not make the commits.").
    for said in _FIRST.split(sentence[len(heading) :].strip()):
        own = _stems(names + " " + said) - page
        best = max(best, len(own & asked) / len(own) if own else 0.0)
    return best
