"""Follow-ups made standalone before routing and retrieval.

"And in pots?", "What about the hydrangeas?", "Why?" or "And what is its population?" mean
nothing to a router, a retriever or a specialist that sees only this turn. They are rewritten
from the thread's previous (already standalone) question by rules: carry its topic — the noun
phrase it was about — into the new question. Measured on the bundled 135M model, asking it to
rewrite made things worse (it answered the question instead), so no model is called here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

_LEAD = re.compile(r"^(?:and|but|so|also|ok|okay|then|well)\b[,\s]*", re.IGNORECASE)
_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<x>.+?)\s*\??$", re.IGNORECASE)
_WHY = re.compile(r"^(?:why|how come|why so|why is that|why not)\s*\??$", re.IGNORECASE)
# "Why out of the sun?", "Why in the morning?": a why and a phrase of the question before it
# (no verb of its own) asks that question's reason for that phrase.
_WHY_PHRASE = re.compile(
    r"^why\s+(?!.*\b(?:is|are|was|were|do|does|did|should|can|could|will|would|must|has|have)\b)"
    r"(?P<x>(?:out|away|off|in|on|at|for|with|without|after|before|during|"
    r"under|inside|outside|from|into|over|near|below|above)\b[^?]*?)\s*\??$",
    re.IGNORECASE,
)
# "Why not under the tap?", "Why not longer?": the previous question's reason for not doing it
# so (a short phrase, no verb of its own; "Why not use bleach?" has one and stands alone).
_WHY_NOT = re.compile(
    r"^why\s+not\s+(?!.*\b(?:is|are|was|were|do|does|did|should|can|could|will|would|must|has|"
    r"have|use|add|put|make|keep|get)\b)(?P<x>[^?\s][^?]*?)\s*\??$",
    re.IGNORECASE,
)
_PREPOSITION = (
    r"(?:in|on|for|with|without|at|after|before|during|by|under|inside|outside|from|to|"
    r"into|over|near|if|when|while)"
)
# "when"/"while" start full questions as often as fragments: not taken as fragments.
_FRAGMENT = re.compile(rf"^(?!when\b|while\b){_PREPOSITION}\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|he|him|his|she|her)\b", re.IGNORECASE)
_POSSESSIVE = {"its", "their", "his", "her"}
_PERSONAL = {"he", "him", "his", "she", "her"}
# "Is it safe to…", "it is better if…": an `it` that points at nothing, not at the thread.
_DUMMY_IT = re.compile(
    r"\b(?:(?:is|was|would|will|isn't)\s+(it)|(it)(?:'s|\s+is|\s+was))\s+(?:\w+\s+){0,2}?"
    r"(?:to|if|that|for|when|ok|okay)\b",
    re.IGNORECASE,
)
_WH = re.compile(
    # "At what temperature do I season a pan?" (our own rewrite of "At what temperature?") too
    r"^(?:(?:at|in|on|for|to|by|from|with)\s+(?:what|which)\s+\w+|"
    r"how\s+(?:long|often|much|many|far|old|big|soon|early|late)|how|when|where|what|which|"
    r"who|whom|whose|why)\s+",
    re.IGNORECASE,
)
# "How often?", "When?", "How long for that?": a question word alone asks the question before
# it again, of another thing (a whole question was assumed, and routed anywhere).
_BARE_WH = re.compile(
    r"^(?P<wh>how\s+(?:long|often|much|many|far|deep|soon|early|late)|when|where|which)"
    r"(?:\s+(?:for|about|with)\s+(?:that|this|it|them))?\s*\??$",
    re.IGNORECASE,
)
# "How much should I cut back?", "How deep should I plant?": a measure, or a phrasal verb, with
# the object missing leans on the thread's topic for it ("How often should I water?" and "When
# do I sow?" ask about the action itself and stand alone).
_SUBJECT_VERB = r"\s+(?:do|should|can|must|shall|could|would)\s+(?:i|we|you)\s+\w+"
_PARTICLE = r"\s+(?:back|off|down|up|out|away)"
_ELLIPSIS = re.compile(
    rf"^(?P<head>how\s+(?:much|many|deep|thick|far|big|high|wide|hot){_SUBJECT_VERB}(?:{_PARTICLE})?"
    rf"|(?:how(?:\s+\w+)?|when|where|why){_SUBJECT_VERB}{_PARTICLE})\s*\??$",
    re.IGNORECASE,
)
# … and for a follow-up's referent, "how quickly must cooked rice be cooled" too
_HOW_ELSE = re.compile(
    r"^how\s+(?:deep|thick|wet|hot|cold|warm|high|wide|heavy|tight|hard|fast|\w+ly)\s+", re.I
)
_AUX = re.compile(
    r"^(?:do|does|did|is|are|was|were|can|could|should|shall|will|would|may|might|must|has|"
    r"have|had)\s+",
    re.IGNORECASE,
)
_BE = {"is", "are", "was", "were"}
_SUBJECT = re.compile(r"^(?:i|you|we|one)\s+", re.IGNORECASE)
_CUT = re.compile(rf"\s+{_PREPOSITION}\s+.*$", re.IGNORECASE)
_IF = re.compile(
    r"^if\s+(?:the\s+|my\s+|your\s+)?(?P<x>\w[\w\s'-]*?)\s+(?:is|are|was|were|do|does|did|have|has|get|gets)\b",
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(r"\bif\b", re.IGNORECASE)
# "Which one for thicker wood?": "one" stands for the thing the previous question asked for
_WHICH_ONE = re.compile(r"^which\s+ones?\b\s*(?P<x>[^?]*?)\s*\??$", re.IGNORECASE)
_WH_FRAGMENT = re.compile(rf"^{_PREPOSITION}\s+(?:what|which)\s+\w+\s*\??$", re.IGNORECASE)
# "And a whole chicken?", "And the hydrangeas?": a noun phrase alone, in place of the topic.
_NOUN_PHRASE = re.compile(r"^(?:a|an|the|my|your|our|some)\s+[\w\s'-]+?\s*\??$", re.I)
# "And baby fish?", "And thick steaks?": a noun phrase without a determiner after a connector;
# not an adverb ("And then?", "And now?")
_NOT_NOUN_PHRASE = frozenset(
    [
        "then",
        "now",
        "else",
        "too",
        "also",
        "otherwise",
        "later",
        "again",
        "yes",
        "no",
        "please",
        "thanks",
        "not",
        "so",
        "why",
        "how",
    ]
)
_ASKS = re.compile(r"\b(?:what|which|who|whom|whose|where|how|why)\b", re.I)
_PROPER = re.compile(r"(?:[A-Z][\w'-]*)(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'-]*)*")


@dataclass
class Standalone:
    """The question as routing, retrieval and the models should see it."""

    question: str  # standalone: the original when it needed no rewrite
    followup: bool  # the question leans on the thread
    previous: str | None = None  # the earlier question it leans on
    plugin: str | None = None  # the plugin that answered the previous turn, if one did


def previous_turn(messages: Sequence[BaseMessage]) -> tuple[str | None, str | None]:
    """The thread's last question (its standalone form when stored) and the single plugin that
    answered it (None for the coordinator or several plugins)."""
    question, plugin = None, None
    for i in range(len(messages) - 1, -1, -1):
        msg = messages[i]
        if isinstance(msg, AIMessage) and question is None and plugin is None:
            meta = (msg.additional_kwargs or {}).get("frontdesk") or {}
            route = meta.get("route") or {}
            names = [p["name"] for p in route.get("plugins") or [] if isinstance(p, dict)]
            plugin = names[0] if len(names) == 1 else None
            question = route.get("standalone") or None
        elif isinstance(msg, HumanMessage):
            return question or str(msg.content), plugin
    return question, plugin


def earlier_questions(messages: Sequence[BaseMessage]) -> list[str]:
    """The thread's questions, oldest first, in their standalone form where one was stored."""
    out: list[str] = []
    for i, msg in enumerate(messages):
        if isinstance(msg, HumanMessage):
            stored = None
            if i + 1 < len(messages) and isinstance(messages[i + 1], AIMessage):
                meta = (messages[i + 1].additional_kwargs or {}).get("frontdesk") or {}
                stored = (meta.get("route") or {}).get("standalone")
            out.append(stored or str(msg.content))
    return out


def names_in(question: str) -> list[str]:
    """Capitalised names past a question's first word ("Peru", "Albert Einstein")."""
    q = re.sub(r"^Why\? \((.*)\)$", r"\1", question.strip())  # our own "why" rewrite
    q = _LEAD.sub("", q).rstrip("?!. ")
    rest = _AUX.sub("", _WH.sub("", q))
    found = [m.group(0) for m in _PROPER.finditer(rest) if m.start() > 0 or rest != q]
    return [re.sub(r"'s?$", "", n) for n in found if n.lower() != "i"]


_NOT_NOUNS = frozenset(
    [
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "him",
        "his",
        "she",
        "her",
        "i",
        "you",
        "we",
        "was",
        "were",
        "is",
        "are",
        "did",
        "do",
        "does",
        "had",
        "has",
        "have",
        "be",
        "been",
    ]
)


def _looks_like_noun_phrase(phrase: str) -> bool:
    """False for what the rules dig out of a question that had no object ("they have any",
    "happened"): substituting it would make the question worse than leaving it."""
    words = phrase.lower().split()
    if not words or any(w in _NOT_NOUNS for w in words):
        return False
    return not (len(words) == 1 and re.search(r"(?:ed|ing)$", words[0]))


_PARTICLES = frozenset({"back", "off", "down", "up", "out", "away"})
_COMPLEMENT_VERBS = frozenset({"make", "keep", "get", "turn", "leave"})
_OWNERS = frozenset({"my", "your", "our", "their", "the", "a", "an"})


def topic(question: str, referent: bool = False) -> str:
    """The noun phrase a question is about: a name if it has one, else its object.
    `referent`: what a later pronoun points to, so also past "how quickly" and before a
    passive's "be cooled" ("cooked rice")."""
    q = _LEAD.sub("", question.strip()).rstrip("?!. ")
    rest = _WH.sub("", _HOW_ELSE.sub("", q) if referent else q)
    aux = _AUX.match(rest)
    rest = _AUX.sub("", rest)
    # Names (capitalised words past the first word) are what later pronouns point to; the
    # first one is usually the question's subject.
    names = names_in(question)
    if names:
        return names[0]
    conditional = _IF.match(rest)
    if conditional:  # "what if tomatoes are in pots": the subject of the if-clause
        return conditional.group("x")
    had_subject = bool(_SUBJECT.match(rest))
    rest = _SUBJECT.sub("", rest)
    words = rest.split()
    verb = words[0].lower() if had_subject and len(words) > 1 else ""
    if had_subject and len(words) > 1:
        words = words[1:]  # the verb after "should I": rest, prune, water...
        # a pronoun after "cut back roses" is roses (only for a referent: reference.py's
        # unseen subject takes "give up a merge that stopped" for no plain noun phrase)
        if referent and len(words) > 1 and words[0].lower() in _PARTICLES:
            words = words[1:]
    # "make my clay soil better", "keep my knives sharp": the last word is what to make it
    if verb in _COMPLEMENT_VERBS and len(words) > 2 and words[0].lower() in _OWNERS:
        words = words[:-1]
    phrase = " ".join(words)
    if "'s " in phrase:
        phrase = phrase.split("'s ")[0]
    if " of " in phrase:
        phrase = phrase.rsplit(" of ", 1)[1]
    phrase = _CUT.sub("", phrase).strip()
    # "must cooked rice be cooled", "should garlic be planted": the noun phrase before "be"
    passive = referent and re.match(r"^(?P<x>.+?)\s+be\s+\w+(?:ed|en)$", phrase)
    phrase = passive.group("x") if passive else phrase
    verb_last = (
        aux and not passive and not had_subject and aux.group(0).split()[0].lower() not in _BE
    )
    if verb_last and " " in phrase:  # "do leftovers keep": the noun phrase, not the verb
        phrase = phrase.rsplit(" ", 1)[0]
    return phrase


def _possessive(phrase: str) -> str:
    return phrase + ("'" if phrase.endswith("s") else "'s")


def _as_referent(phrase: str) -> str:
    return re.sub(r"^(?:a|an)\s+", "the ", phrase, flags=re.IGNORECASE)


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip("?.! ") + "?"
    return text[0].upper() + text[1:]


def _pronouns(question: str) -> list[re.Match[str]]:
    dummies = {m.start(g) for m in _DUMMY_IT.finditer(question) for g in (1, 2) if m.group(g)}
    return [m for m in _PRONOUN.finditer(question) if m.start() not in dummies]


def is_followup(question: str) -> bool:
    """Does the question lean on an earlier turn (a connector, a pronoun, or a fragment)?"""
    q = question.strip()
    words = q.rstrip("?!. ").split()
    return bool(
        _LEAD.match(q)
        or _ABOUT.match(q)
        or _WHY.match(q)
        or _WHY_PHRASE.match(_LEAD.sub("", q))
        or (_WHY_NOT.match(_LEAD.sub("", q)) and len(words) <= 6)
        or _pronouns(q)
        or _BARE_WH.match(_LEAD.sub("", q))
        or _ELLIPSIS.match(_LEAD.sub("", q))
        or _WHICH_ONE.match(_LEAD.sub("", q))
        or (len(words) <= 3 and not (_WH.match(q + " ") or _AUX.match(q + " ")))
    )


def _about(new: str, previous: str, earlier: Sequence[str]) -> str:
    """ "What about X?": the question the thread asked, with X in place of its topic. A
    conditional follow-up ("What if tomatoes are in pots?") only modified the question before
    it, so the latest question that is not one is preferred."""
    candidates = [previous, *[e for e in reversed(earlier) if e.strip() != previous]]
    usable = [(c, topic(c)) for c in candidates]
    usable = [(c, t) for c, t in usable if _looks_like_noun_phrase(t) and t in c]
    plain = [(c, t) for c, t in usable if not _CONDITIONAL.search(c)]
    for question, subject in plain or usable:
        return _sentence(question.replace(subject, new, 1))
    return _sentence(f"What about {new}")


def rewrite(question: str, previous: str, earlier: Sequence[str] = ()) -> str:
    """The follow-up as a question that stands on its own, from the previous question (and,
    for a pronoun the previous question gives nothing for, the latest name in `earlier`)."""
    q = _LEAD.sub("", question.strip()).strip()
    prev = previous.strip()
    subject = topic(prev, referent=True)
    names = [n for e in reversed(earlier) for n in names_in(e)[:1]]
    if not _looks_like_noun_phrase(subject):  # "What happened in 1983?" names nobody
        subject = names[0] if names else ""
    about = _ABOUT.match(q)
    if about:
        return _about(about.group("x"), prev, earlier)
    phrase_why = _WHY_PHRASE.match(q)
    if phrase_why:  # "Why out of the sun?" -> "Why should I store my bike out of the sun?"
        rest = _CUT.sub("", _WH.sub("", _LEAD.sub("", prev)).rstrip("?!. "))
        if _AUX.match(rest):
            return _sentence(f"Why {rest[0].lower() + rest[1:]} {phrase_why.group('x')}")
    why_not = _WHY_NOT.match(q)
    if why_not and not _WHY.match(q):
        return _why_not(why_not.group("x"), prev)
    if _WHY.match(q):
        rest = _WH.sub("", _LEAD.sub("", prev))
        if _AUX.match(rest):  # "How long should I rest a steak?" -> "Why should I rest a steak?"
            return _sentence(f"Why {rest[0].lower() + rest[1:]}")
        return f"Why? ({_sentence(prev)})"
    bare = _BARE_WH.match(q)
    rest = _WH.sub("", _LEAD.sub("", prev))
    if bare and rest != _LEAD.sub("", prev) and _AUX.match(rest):
        # "How often?" after "How do I sharpen a knife?": "How often do I sharpen a knife?"
        return _sentence(f"{bare.group('wh')} {rest}")
    ellipsis = _ELLIPSIS.match(q)
    if ellipsis and subject:  # "How much should I cut back?" -> "… cut back my roses?"
        return _sentence(f"{ellipsis.group('head')} {subject}")
    pronouns = _pronouns(q)
    # "and in pots?", "and if they are in pots?": the previous question, so qualified (its
    # pronouns now have the previous question before them).
    fragment = _FRAGMENT.match(q) and (len(q.split()) <= 4 or not _ASKS.search(q))
    which_one = _WHICH_ONE.match(q)
    if which_one:  # "What should I use to prune roses?" + "for thicker wood"
        return _sentence(f"{prev.rstrip('?!. ')} {which_one.group('x')}")
    asks_anew = _WH_FRAGMENT.match(q)
    rest = _WH.sub("", _LEAD.sub("", prev))
    if asks_anew and rest != _LEAD.sub("", prev) and _AUX.match(rest):
        # "At what angle?" after "How often should I hone a knife?" asks another question of the
        # same action: "At what angle should I hone a knife?" (not "… a knife at what angle?")
        return _sentence(f"{asks_anew.group(0).rstrip('?!. ')} {rest}")
    if fragment:  # "in what year?" is one; "After she studied there what did she do?" is not
        return _sentence(f"{_without_last(prev.rstrip('?!. '), q)} {q[0].lower() + q[1:]}")
    phrase = _NOUN_PHRASE.match(q)
    if phrase and len(q.split()) <= 4 and not pronouns:
        return _about(q.rstrip("?!. "), prev, earlier)
    if _LEAD.match(question.strip()) and _bare_noun_phrase(q) and not pronouns:
        return _about(q.rstrip("?!. "), prev, earlier)
    if subject and pronouns:
        referent = _as_referent(subject)
        out, at = [], 0
        for m in pronouns:
            word = m.group(1).lower()
            if word in _PERSONAL and not names_in(prev) and subject not in names:
                continue  # "he" is a person: only a name may stand in for it
            out += [q[at : m.start()], _possessive(referent) if word in _POSSESSIVE else referent]
            at = m.end()
        return _sentence("".join([*out, q[at:]]))
    if len(q.rstrip("?!. ").split()) <= 3 and subject:
        return _sentence(f"{q.rstrip('?!. ')}, about {subject}")
    return _sentence(q) if q else question.strip()


def _bare_noun_phrase(q: str) -> bool:
    """ "baby fish" in "And baby fish?": one to three words that are neither a question, a
    fragment starting with a preposition, nor an adverb."""
    words = q.rstrip("?!. ").split()
    return (
        0 < len(words) <= 3
        and not (_WH.match(q + " ") or _AUX.match(q + " ") or _FRAGMENT.match(q))
        and not _NOT_NOUN_PHRASE & {w.lower() for w in words}
        and _looks_like_noun_phrase(" ".join(words))
    )


def _why_not(phrase: str, previous: str) -> str:
    """ "Why not under the tap?" after "How do I clean the sponge?" asks "Why not clean the sponge
    under the tap?"; when the previous question has no "do I VERB" to take, the previous question
    goes with it, as for a bare "Why?"."""
    rest = _WH.sub("", _LEAD.sub("", previous))
    aux = _AUX.match(rest)
    action = _SUBJECT.sub("", rest[aux.end() :]) if aux and rest != previous else ""
    if aux and action != rest[aux.end() :]:  # "do I clean the sponge" -> "clean the sponge"
        action = action.rstrip("?!. ")
        if _FRAGMENT.match(phrase):  # "under the tap" takes the place of a last "in a bucket"
            action = _without_last(action, phrase)
        return _sentence(f"Why not {action} {phrase}")
    return f"Why not {phrase}? ({_sentence(previous)})"


def _without_last(previous: str, fragment: str) -> str:
    """`previous` without a last short phrase that `fragment` replaces: "… tomatoes in the
    ground" + "in pots" asks about pots, not ground and pots (a clause, "if they are in pots",
    stays)."""
    lead = fragment.split()[0].lower()
    if lead not in {"in", "on", "at", "during", "for", "with", "without"}:
        return previous
    if re.search(r"\b(?:if|when|while)\b", previous, re.IGNORECASE):
        return previous
    pattern = rf"\s+{lead}\s+(?:(?:the|a|an|my|your)\s+)?[\w°-]+(?:\s+[\w°-]+)?$"
    return re.sub(pattern, "", previous, flags=re.IGNORECASE) or previous


def standalone(question: str, messages: Sequence[BaseMessage]) -> Standalone:
    """`question` made standalone from the thread `messages` (oldest first)."""
    previous, plugin = previous_turn(messages)
    if not previous or not is_followup(question):
        return Standalone(question, False, previous, plugin)
    earlier = earlier_questions(messages)
    return Standalone(rewrite(question, previous, earlier), True, previous, plugin)
