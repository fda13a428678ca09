""" "Why?" is answered with a reason, not with what was already said.

After "How long should I rest a steak?", "Why?" (made "Why should I rest a steak?") was answered
with the steak times again: the sentence most like the question is the one the thread already
has. For a question asking why, the sentences of the previous answer are not candidates, and a
sentence giving a reason ("Resting lets the heat even out …", "… because …") comes first — of
those, the one under the section heading nearest the question ("## Why meat needs to rest"),
then the one nearest the question itself.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from frontdesk import sentence_cache
from frontdesk.embeddings import Embedder
from frontdesk.grounding import stems
from frontdesk.lifting import lift

if TYPE_CHECKING:
    from frontdesk.answering import Candidate

_WHY = re.compile(r"^\W*(?:and\s+|but\s+|so\s+)?(?:why|how come)\b", re.IGNORECASE)
_CAUSE = re.compile(
    r"\b(?:because|so that|so the|lets?|allows?|helps?|prevents?|otherwise|reasons?|due to|"
    r"since|in order to|which is why|causes?|caused)\b"
    # "If cooked rice is left warm, the spores germinate …": what happens otherwise
    r"|^\W*if\b[^,.;]{3,},"
    # "… out of direct sunlight, which perishes tyres": what it does, the reason to avoid it
    r"|,\s*which\s+(?!is\b|was\b|has\b|does\b)[a-z]+s\b",
    re.IGNORECASE,
)
# "Let a new heater stand for 30 minutes …": an instruction, not a reason ("Resting lets the heat
# even out", "… with a fork to let air in" are reasons)
_IMPERATIVE_LET = re.compile(r"(?:^|(?<=[.!?:;]\s))[^\w]*(?:\d+\.\s*)?let\b", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def asks_why(question: str) -> bool:
    return bool(_WHY.match(question))


def gives_reason(text: str) -> bool:
    """Whether `text` states a reason ("because …", "so that …", "lets …")."""
    return bool(_CAUSE.search(_IMPERATIVE_LET.sub("", text)))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def heading_of(text: str, sentence: str) -> str:
    """The Markdown heading the sentence sits under in `text` ("" when none)."""
    heading, at = "", _flat(sentence)[:40]
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            heading = m.group(1)
        elif at and at[:20] in _flat(line):
            return heading
    return heading if at in _flat(text) else ""


def rerank(
    question: str, ranked: list[Candidate], previous: str | None, embedder: Embedder
) -> list[Candidate]:
    """`ranked` (best first) with a reason first for a why-question; unchanged otherwise."""
    if not asks_why(question) or not ranked:
        return ranked
    said = _flat(previous or "")
    asked = stems(question) - {"why"}

    def kept(c: Candidate) -> bool:
        # A sentence already said stays when it holds the reason asked for: after a quote of
        # "… loosely covered with foil so that it does not steam …", "Why?" is answered by its
        # "so that"; when it was the whole answer, one word of the question is enough ("Why out
        # of the sun?" after "Keep a bicycle … out of direct sunlight, which perishes tyres.").
        shared = _shared(asked, c.sentence)
        alone = _bare(said) == _bare(c.sentence)
        return gives_reason(c.sentence) and (shared > 1 or (alone and shared > 0))

    fresh = [c for c in ranked if not (said and _flat(c.sentence) in said) or kept(c)]
    whole = [c for c in fresh if said and _bare(said) == _bare(c.sentence)]
    if whole:  # the why is about what that one sentence said, and it holds its reason
        return lift(ranked, whole[0], rest=[*fresh, *(c for c in ranked if c not in fresh)])
    cued = [c for c in fresh if gives_reason(c.sentence) and _shared(asked, c.sentence)]
    headings = [heading_of(c.hit.text, c.sentence) or _line_title(c) for c in cued]
    if not any(headings):
        # Prose without sections (QuAC's passages): a cue word alone picked worse sentences
        # than the selection model on QuAC's dev dialogs, so only the repeat is left out.
        return [*fresh, *(c for c in ranked if c not in fresh)]
    vectors = sentence_cache.embed(embedder, question, [h or "-" for h in headings])
    near = [float(v @ vectors[0]) if h else 0.0 for v, h in zip(vectors[1:], headings, strict=True)]
    # … and of those, the one about more of what was asked (the roast covered, not resting)
    share = [_shared(asked, c.sentence) / max(len(asked), 1) for c in cued]
    best = max(range(len(cued)), key=lambda i: near[i] + cued[i].sim + share[i])
    return lift(ranked, cued[best], rest=[*fresh, *(c for c in ranked if c not in fresh)])


def _bare(text: str) -> str:
    return _flat(text).strip(" \"'“”‘’.!?")


def _shared(asked: set[str], sentence: str) -> int:
    """How many of the question's stems the sentence holds, a stem also matching one it begins
    ("sun" in "sunlight", "stor" in "storage")."""
    own = stems(sentence)
    return sum(
        1
        for a in asked
        if a in own
        or any(min(len(a), len(o)) > 2 and (o.startswith(a) or a.startswith(o)) for o in own)
    )


_PLAIN_TITLE = re.compile(r"^[A-Z][^.!?:;]{0,60}$")


def _line_title(c: Candidate) -> str:
    """A .txt note's title on the line above its paragraph ("Rice\nCooked rice deserves …");
    "" when none (QuAC's passages are prose without one)."""
    at = _flat(c.sentence)[:30]
    for block in re.split(r"\n\s*\n", c.hit.text):
        first, _, body = block.strip().partition("\n")
        if at and at in _flat(body):
            return first.strip() if _PLAIN_TITLE.match(first.strip()) else ""
    return ""


def title_of(text: str, sentence: str) -> str:
    """The heading the sentence sits under: a Markdown heading, or a plain-text one (a paragraph
    of one short line without a full stop, as HTML's <h2> and a .txt note's titles come out);
    "" when none."""
    title, at = "", _flat(sentence)[:30]
    for block in re.split(r"\n\s*\n", text):
        line = block.strip()
        m = _HEADING.match(line)
        if m:
            title = m.group(1)
        elif "\n" not in line and _PLAIN_TITLE.match(line):
            title = line
        elif at and at in _flat(block):
            return title
    return ""
