"""Every claim of a generated answer, checked against the evidence it was given.

Word overlap alone passed wrong answers (a steak answered with a roast's "15 to 30 minutes":
every word of it is in the chunk). So each claim (sentence) of the answer must hold up against
the *selected* evidence sentences:
- numbers: each number in the claim appears in the evidence, with the same unit after it;
- negation: the claim and the evidence sentence it rests on agree on not/never/no;
- key terms: the claim's content words beyond the question's are found in the evidence, and a
  claim that only restates the question is no answer.
Claims that fail are dropped; if none is left, or what is left leaves out what was asked (the
number of a "how long", one of the cases the question left open), the answer becomes the
evidence itself, quoted.
The same checks run whatever the model, so a weak model can make an answer less fluent, never
wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from frontdesk import (
    alternatives,
    asked_kind,
    compound,
    cross_refs,
    durations,
    options,
    reasons,
    substituted,
)
from frontdesk.answering import has_negation, has_type, question_type
from frontdesk.grounding import content_words

MIN_KEY_TERMS = 0.7  # share of a claim's new content words that the evidence must hold
# Words a paraphrase adds of its own (hedges, connectives, "make sure"): content_words' stems.
PARAPHRASE = frozenset(
    content_words(
        "recommended recommend ensure important best typically generally usually normally "
        "properly simply just really approximately around roughly least sure also always "
        "way step steps following correct correctly good better ideally help helps able "
        "want like keep allow allows process remember note especially certain"
    )
)

_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "hundred": "100",
}
# Counts of times: "twice a week" is the 2 of "two or three times a week". "once" only before a
# frequency ("once a year", "once or twice"), not as a conjunction ("once the dough has risen").
_TIMES = {"once": "1", "twice": "2", "thrice": "3"}
_COUNT = r"twice|thrice|once(?=\s+(?:a|an|per|every|each|or|to|daily|weekly|monthly|yearly)\b)"
_NUM = re.compile(
    rf"(?<![\w.])(\d+(?:[.,]\d+)*|{_COUNT}|"
    + "|".join(_WORDS)
    + r")(?![\w])(?:\s*(°\s*[CF]|%|[a-zA-Z]+))?",
    re.I,
)
_VALUE = rf"\d+(?:[.,]\d+)?|{_COUNT}|" + "|".join(_WORDS)
# "two or three times a week" is a range as "three to four days" is
_RANGE = re.compile(rf"(?<![\w.])({_VALUE})\s*(?:to|or|-|–)\s*({_VALUE})(?![\w])", re.I)
_CLAIM = re.compile(r"(?<=[.!?;])\s+|\n+")
_YES_NO = re.compile(r"^(?:yes|no|yeah|nope)\b[,.!]?\s*", re.I)


def _number(token: str) -> str:
    token = token.lower()
    token = _WORDS.get(token, _TIMES.get(token, token))
    return token.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", token) else token


def numbers(text: str) -> list[tuple[str, str]]:
    """(number, the word after it) pairs; spelled-out numbers count as digits."""
    out = []
    for m in _NUM.finditer(text):
        unit = (m.group(2) or "").replace(" ", "").lower()
        if m.group(1).lower() == "one" and not content_words(unit):
            continue  # "a thick one for 8 minutes", "one of them": a pronoun, not a count
        if m.group(1).lower() in _TIMES:
            unit = "times"  # "twice" is "2 times", whatever word follows it
        out.append((_number(m.group(1)), unit[:3]))
    return out


def numbers_not_in(text: str, evidence: str) -> list[str]:
    """Numbers in `text` that `evidence` never states (ignoring units)."""
    known = {n for n, _ in numbers(evidence)}
    return sorted({n for n, _ in numbers(text) if n not in known and not n.isalpha()})


@dataclass(frozen=True)
class Verdict:
    answer: str  # what may be shown: the supported claims, or the quoted evidence
    supported: bool  # every claim held up
    repaired: bool  # claims were dropped or the evidence replaced the answer
    problems: list[str] = field(default_factory=list)


def sentences_of(facts: list[str]) -> list[str]:
    """The evidence's sentences: an entry or a note holds several."""
    return [s for f in facts for s in _CLAIM.split(f) if s.strip()]


def _range_cut(claim: str, facts: list[str]) -> str | None:
    """Why `claim` gives one end of a range the evidence states ("up to three days" for "three
    to four days"), or None. A number the evidence also states on its own may stand alone, when
    the sentence stating it alone is the one the claim rests on: "sometimes twice" (a day, of
    tomatoes in pots) does not make "twice a week" true of the sentence saying "two or three
    times a week"."""
    said = {n for n, _ in numbers(claim)}
    words = set(content_words(claim))
    # the sentences stating each number: as a range's end (with the other end) or alone
    stating: dict[str, list[tuple[int, tuple[str, str] | None]]] = {}
    for sentence in re.split(r"(?<=[.!?;])\s+", " ".join(" ".join(facts).split())):
        overlap = len(words & set(content_words(sentence)))
        for a, b in _RANGE.findall(sentence):
            pair = (_number(a), _number(b))
            for end in pair:
                stating.setdefault(end, []).append((overlap, pair))
        for n, _ in numbers(_RANGE.sub(" ", sentence)):
            stating.setdefault(n, []).append((overlap, None))
    for end in sorted(said):
        # the closest sentence decides; on a tie a number stated alone stands
        _, closest = max(stating.get(end, [(0, None)]), key=lambda s: (s[0], s[1] is None))
        if closest is not None and not set(closest) <= said:
            a, b = closest
            return f"it gives {end} of the evidence's {a} to {b}, not the range"
    return None


_COPULA = re.compile(r"\b([a-z]+)\s+(?:is|are|was|were)\s+(?:not\s+)?([a-z]+)", re.I)


def _said_of(text: str) -> dict[tuple[str, str], str]:
    """(thing, what it is) pairs of "the cassette is worn", as content-word stems, each with the
    thing's word as written."""
    pairs = {}
    for thing, what in _COPULA.findall(text):
        a, b = content_words(thing), content_words(what)
        if a and b:
            pairs[(a[0], b[0])] = thing.lower()
    return pairs


def swapped(claim: str, facts: list[str]) -> str | None:
    """Why `claim` says of one thing what the evidence says of another that the claim also
    names ("the chain is worn too" where the notes say "the cassette is worn too", and the claim
    speaks of the cassette as well), or None. A thing the claim does not name otherwise may be
    the evidence's under another word ("the bread is done" for "the loaf is done")."""
    evidence = " ".join(facts)
    stated = _said_of(evidence)
    have, names = set(content_words(evidence)), set(content_words(claim))
    for (thing, what), word in _said_of(claim).items():
        if (thing, what) in stated or thing not in have:
            continue
        others = sorted(
            w for (t, v), w in stated.items() if v == what and t != thing and t in names
        )
        if others:
            return f"the evidence says that of the {others[0]}, not of the {word}"
    return None


# The steps of one sentence: "wait until it is touch dry (about five minutes), then press the
# patch on firmly for a minute" states two lengths of time, each of its own step.
_STEP = re.compile(r"[,;:]\s+|\s+(?:then|and then|before|after)\s+", re.IGNORECASE)
_A_UNIT = re.compile(
    r"\b(?:a|an|one)\s+(?:second|minute|hour|day|week|month|year|night|cm|mm|metre|litre)s?\b",
    re.IGNORECASE,
)


def other_step(claim: str, facts: list[str]) -> str | None:
    """Why `claim` gives a number the evidence states for another step of the same sentence
    than the one the claim is about, or None: "Press a patch on firmly for about five minutes"
    where the five minutes are the solution's drying time and the pressing takes "a minute"."""
    words = set(content_words(claim)) - {w for n, _ in numbers(claim) for w in content_words(n)}
    for sentence in sentences_of(facts):
        steps = [s for s in _STEP.split(sentence) if s.strip()]
        valued = [s for s in steps if numbers(s) or _A_UNIT.search(s)]
        if len(valued) < 2:
            continue
        overlap = {s: len(words & set(content_words(s))) for s in valued}
        for n, _ in numbers(claim):
            own = [s for s in valued if n in {m for m, _ in numbers(s)}]
            if not own:
                continue
            other = max((s for s in valued if s not in own), key=overlap.__getitem__, default="")
            if (
                other
                and overlap[other] >= 2
                and overlap[other] > max(map(overlap.__getitem__, own))
            ):
                return f"the evidence gives {n} for another step (“{other.strip()[:50]}”)"
    return None


def _same_time(a: str, b: str) -> bool:
    """Whether two lengths of time as written ("10 minutes", "ten minutes") are one number."""
    x, y = numbers(a) or [(a.split()[0].lower(), "")], numbers(b) or [(b.split()[0].lower(), "")]
    return x[0][0] == y[0][0]


def other_action(claim: str, facts: list[str]) -> str | None:
    """Why a length of time in `claim` is another action's in the evidence (durations.py)."""
    for m in durations.durations(claim):
        why = durations.other_action(claim, facts, m.group(0), _same_time)
        if why:
            return why
    return None


# "cut out a third of the oldest stems": how much of a thing the evidence says to act on
_SHARE_OF = re.compile(
    r"\b(?P<share>(?:a|one|two|three)\s+(?:half|third|quarter|fifth)s?|half|\d+\s*%|"
    r"\d+\s+per\s*cent)\s+of\s+(?:the\s+|its\s+|their\s+|your\s+)?(?P<thing>[a-z]+(?:\s+[a-z]+)?)",
    re.IGNORECASE,
)


def dropped_share(claim: str, facts: list[str]) -> str | None:
    """Why `claim` speaks of a thing the evidence gives a share of ("a third of the oldest
    stems") without the share ("removing the oldest stems": all of them), or None."""
    said = claim.lower()
    for m in _SHARE_OF.finditer(" ".join(facts)):
        thing = m.group("thing").lower()
        share = m.group("share").lower().split()[-1].rstrip("s")
        if re.search(rf"\b{re.escape(thing)}\b", said) and share not in said:
            return f"it leaves out the evidence's “{m.group('share')} of” the {thing}"
    return None


def _is_unit(word: str) -> bool:
    return bool(word) and word not in {"to", "and", "or", "of", "a", "an", "the"}


def check_claim(claim: str, question: str, facts: list[str]) -> str | None:
    """Why `claim` is not supported by `facts`, or None when it is."""
    evidence = " ".join(facts)
    stated = numbers(evidence)
    known = {n for n, _ in stated}
    for n, unit in numbers(claim):
        if n not in known:
            return f"number {n} is not in the evidence"
        units = {u for m, u in stated if m == n}
        # "8 to 10 minutes": a joining word after a number says nothing about its unit.
        if _is_unit(unit) and units and unit not in units and all(map(_is_unit, units)):
            return f"'{n} {unit}…' is not what the evidence says about {n}"
    mixed = (
        alternatives.misattributed(claim, question, facts)
        or swapped(claim, facts)
        or substituted.put_in_place(claim, question, sentences_of(facts))
    )
    if mixed:
        return mixed
    cut = (
        _range_cut(claim, facts)
        or other_step(claim, facts)
        or other_action(claim, facts)
        or dropped_share(claim, facts)
    )
    if cut:
        return cut
    body = _YES_NO.sub("", claim)
    words = set(content_words(body))
    if not words:
        return None
    asked = set(content_words(question))
    new = words - asked
    # "Use 10 g of salt." says what was asked: 10 g; "--bare Make a bare repository." for
    # "Which option makes a bare repository?" says it too: the option the question left open
    given = numbers(claim) or options.flags(claim) - options.flags(question)
    if not new and not given:
        return "it restates the question"
    # a page the evidence only names ("See also git-diff(1)") is no evidence of what it does
    have = set(content_words(cross_refs.without_references(evidence, quoted=claim)))
    share = len(new & have) / len(new) if new else 1.0
    if share < MIN_KEY_TERMS:
        return f"only {share:.0%} of its key terms are in the evidence"
    # … and within that share, no word that names a thing or an action the evidence does not:
    # "on the edge of your shatter", "check your headset for loose bolts" passed at 80% and 75%
    # (one invented word of five, of four). What a paraphrase may add is its own wording.
    invented = sorted(new - have - PARAPHRASE)
    if invented:
        return f"'{invented[0]}…' is not in the evidence"
    # The one sentence of the evidence the claim rests on: an entry or a note holds several,
    # and a "no" in another of them says nothing about this claim.
    said = sentences_of(facts)
    basis = max(said, key=lambda f: len(words & set(content_words(f))))
    if has_negation(body) != has_negation(basis):
        return "it flips a negation of the evidence"
    return None


_HOW_LONG = re.compile(r"\bhow long\b", re.I)
_DURATION = frozenset({"sec", "min", "hou", "day", "wee", "mon", "yea", "nig"})


def _durations(text: str) -> list[str]:
    """The numbers of `text` that are lengths of time ("35 minutes", "three days")."""
    return [n for n, unit in numbers(text) if unit in _DURATION]


def left_out(answer: str, question: str, facts: list[str]) -> str | None:
    """What the question asks for that the evidence gives and the answer leaves out: the number
    of a "how long", the date of a "when", the option of a "which option" ("Thaw food in the
    fridge." is true and no answer to how long a chicken takes to thaw)."""
    kind = question_type(question)
    typed = kind in ("number", "time", "frequency")
    if typed and not has_type(kind, answer) and any(has_type(kind, f) for f in facts):
        return f"it leaves out the {kind} the evidence gives"
    # "six to twelve months" for how wet a compost heap should be: no degree (asked_kind.py)
    degree = asked_kind.asks_degree(question) and not asked_kind.gives_degree(answer)
    if degree and any(asked_kind.gives_degree(f) for f in facts):
        return "it leaves out the degree the evidence gives"
    hot = asked_kind.asks_temperature(question) and not asked_kind.gives_temperature(answer)
    if hot and any(asked_kind.gives_temperature(f) for f in facts):
        return "it leaves out the temperature the evidence gives"
    if durations.leaves_out_action(question, answer, facts):  # the time of another step
        return "it leaves out the length of time of what was asked"
    # "96 °C" for how long a loaf bakes: a number, not the length of time the evidence gives
    timed = _HOW_LONG.search(question) and numbers(answer) and not _durations(answer)
    if timed and any(_durations(f) for f in facts):
        return "it leaves out the length of time the evidence gives"
    # a thin steak's rest time for "why does meat need to rest?": true, and no reason
    why = reasons.asks_why(question) and not reasons.gives_reason(answer)
    if why and any(reasons.gives_reason(f) for f in facts):
        return "it leaves out the reason the evidence gives"
    wants = options.asks_for_option(question) and not options.flags(answer)
    if wants and any(options.defined(f) for f in facts):
        return "it leaves out the option the evidence gives"
    return None


_QUANTITY = re.compile(r"\bhow (?:much|many) (\w+)", re.IGNORECASE)


def off_quantity(answer: str, question: str, facts: list[str]) -> list[str]:
    """For "how much salt …": the evidence sentences giving a number for salt, when the answer's
    numbers come only from sentences that never mention salt ("below 18 °C dough rises very
    slowly", a true runner-up, kept while the recipe's "10 g salt" was left out); else []."""
    m = _QUANTITY.search(question)
    asked = content_words(m.group(1)) if m else []
    given = {n for n, _ in numbers(answer)}
    if not asked or not given:
        return []
    said = sentences_of(facts)
    about = [s for s in said if asked[0] in content_words(s) and numbers(s)]
    basis = [s for s in said if given & {n for n, _ in numbers(s)}]
    if about and not any(asked[0] in content_words(s) for s in basis):
        return about
    return []


def quote(facts: list[str]) -> str:
    """The evidence itself as the answer."""
    return "“" + " ".join(facts) + "”"


def verify(
    answer: str,
    question: str,
    facts: list[str],
    cases: Sequence[str] = (),
    parts: Sequence[str] = (),
) -> Verdict:
    """Keep the claims of `answer` that `facts` support; otherwise answer with the facts.
    `cases`: facts answering for each case of what the question left open (a thin and a thick
    steak; alternatives.py): an answer must give every one. `parts`: the evidence of each part
    of a compound question (compound.py): an answer must give every part."""
    if not facts:
        return Verdict(answer, False, False, ["no evidence"])
    claims = [c.strip() for c in _CLAIM.split(answer.strip()) if c.strip(" -*\n\t")]
    kept, problems = [], []
    for claim in claims:
        why = check_claim(claim, question, facts)
        if why is None:
            kept.append(claim)
        else:
            problems.append(f"“{claim[:60]}”: {why}")
    missing = (
        left_out(" ".join(kept), question, facts)
        or alternatives.missing(" ".join(kept), question, list(cases))
        or compound.left_out(" ".join(kept), question, list(parts))
    )
    if missing:  # true, but not what was asked: the evidence holds it, so show the evidence
        return Verdict(quote(facts), False, True, [*problems, missing])
    about = off_quantity(" ".join(kept), question, facts)
    if about:  # the number of something else: the sentences giving the asked one
        return Verdict(
            quote(about), False, True, [*problems, "it gives the number of another thing"]
        )
    if not problems and kept:
        return Verdict(answer.strip(), True, False, [])
    if kept and any(content_words(_YES_NO.sub("", c)) for c in kept):
        return Verdict(" ".join(kept), False, True, problems)
    return Verdict(quote(facts), False, True, problems or ["empty answer"])
