"""Choosing the sentence that answers a question, not just the most similar one.

Each sentence of the retrieved chunks is scored by a small logistic model over features that
say whether it *answers*: embedding similarity, the question's words and exact tokens (`--soft`,
`-D`, part numbers) found in it, whether it holds what the question asks for (a number for "how
long", a date for "when", a name for "who"), and, in a conversation, where it sits relative to
the previous answer (answers usually move forward through a text). A second small model says
whether the best sentence answers at all; below its threshold the specialist says the notes do
not cover the question. Both were fitted on the QuAC dev split (dialogs 0-199) by
benchmarks/answer_selection.py --fit and live in answer_model.json.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from frontdesk import (
    alternatives,
    asked_kind,
    cohesion,
    compound,
    durations,
    followup,
    instructions,
    options,
    reasons,
    reference,
    sentence_cache,
    unseen,
)
from frontdesk.embeddings import Embedder
from frontdesk.grounding import content_words
from frontdesk.store import Hit

MODEL_FILE = Path(__file__).with_name("answer_model.json")
# Below this chunk similarity nothing retrieved is about the question (the floor the grounding
# check used before); the gate was fitted on QuAC passages given whole, which it never saw fall
# below it, so the gate could not learn it (scoped questions skip it, see select()).
MIN_RETRIEVAL = 0.30
# A question scoped to one document ("ask about this file") reads that much of it: the answer
# model and its gate were fitted on whole passages, and with only the top 3 chunks of a QuAC
# passage a third of the answerable questions were declined (BENCHMARKS.md).
SCOPED_K = 8
ENTRY_SENTENCES = 3  # sentences of an option entry's description kept with its heading

# Blank lines, headings and list items end a sentence; a wrapped line inside a paragraph does not.
_BLOCK = re.compile(r"\n\s*\n|\n(?=\s*(?:#|[-*+] |\d+[.)] |\|))")
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
# A full stop that ends an initial or a title, not a sentence ("Vincent J. McMahon", "Dr.
# Zahorian", "No. 1"): split there, "In 1991 Dr." was a candidate answer of its own.
_ABBREVIATION = re.compile(
    r"(?:^|[\s(\"'.])(?:[A-Z]|Dr|Mr|Mrs|Ms|Mt|St|Jr|Sr|Lt|Gen|Col|Capt|Sgt|Prof|Rev|Gov|Sen|Rep|"
    r"No|Nos|Vol|vs|U\.S|U\.K)\.$"
)
_DEICTIC = re.compile(
    r"\b(?:this|that|these|those|next|else|other|another|article|document|file|text|passage|page)\b",
    re.I,
)
_MARKER = re.compile(r"^\s*(?:[-*+]\s+|\|)")
_EXACT = re.compile(r"(?:^|\s)(-{1,2}[\w-]+|\w*\d\w*|\w+[-_./:]\w[\w./:-]*)")
_NUMBER = re.compile(r"\d")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "spring|summer|autumn|fall|winter|morning|evening|night|week|month|year|day|hour|minute"
)
_TIME = re.compile(rf"\b(?:{_MONTHS})s?\b", re.I)
_FREQUENCY = re.compile(
    r"\b(?:once|twice|thrice|every|daily|weekly|monthly|yearly|annually|"
    r"(?:a|an|per|each) (?:day|week|month|year|hour|ride|use))\b",
    re.I,
)
MEASURES = (  # the words of a "what angle/temperature …" question
    "angle|temperature|size|weight|speed|pressure|percentage|height|depth|distance|length|"
    "width|torque|age|price|cost|ratio|degree|dose|volume|capacity|voltage|frequency|ph|level"
)
_NAME = re.compile(r"(?<=\w[\s,])[A-Z][a-z]+")
_COUNT_OF = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|few|several)"
    r"(?:\s+(?:or|to)\s+\w+)?\s+(?:times?|evenings?|mornings?|nights?|days?|weeks?|months?|"
    r"years?|hours?|rides?|km|miles?)\b",
    re.I,
)
_A_UNIT = re.compile(r"\b(?:a|an)\s+(?:second|minute|hour|day|week|month|year|night)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|without|cannot)\b|n't\b", re.I)

FEATURES = (
    "sim",
    "sim_gap",
    "keywords",
    "exact",
    "type_hit",
    "type_miss",
    "has_prev",
    "after_prev",
    "next_after_prev",
    "prev_distance",
    "position",
    "length",
)
# Reference documentation's option entries (options.py). QuAC's prose has none, so these
# weights are fitted on a man-page dev set of our own questions with the QuAC-fitted score as
# a fixed offset: QuAC's ranking is unchanged, an option's own entry wins where one is asked.
STRUCTURE = ("defines_asked", "defines_other", "option_answer")


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    sentence: str
    position: int  # reading order over all retrieved chunks
    sim: float
    score: float = 0.0  # the selection model's probability that this sentence answers


NEAR_RUNNERS = 3  # how far down the ranking a sentence holding more of the question may be
RUNNER_SHARE = 0.4  # and how close to the best it must still score
# A sentence this much closer in meaning (MiniLM cosine) than one holding more of the
# question's words is not evicted by it: "toe" is not "toed" to the word count, and the toe-in
# sentence (0.77) lost to "Rim brakes squeal …" (0.50) for "How should rim brake pads be toed in?"
MEANING_MARGIN = 0.15


@dataclass(frozen=True)
class Selection:
    ranked: list[Candidate]  # best first
    confidence: float  # the answerability model's probability that the best sentence answers
    covered: bool  # confidence at or above the threshold fitted on dev
    question: str = ""
    parts: tuple[Selection, ...] = ()  # each part of a compound question, selected alone

    def part_evidence(self) -> list[list[Candidate]]:
        """The evidence of each part of a compound question that its notes cover."""
        return [p.evidence() for p in self.parts if p.covered]

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None

    def evidence(self, limit: int = 2) -> list[Candidate]:
        """The best sentence and any close runner-up, in reading order; for a compound
        question, every part's."""
        if not self.ranked:
            return []
        if self.part_evidence():
            # by place: two parts may select the same sentence (one Candidate each)
            seen = {c.position: c for own in self.part_evidence() for c in own}
            return sorted(seen.values(), key=lambda c: c.position)
        top = self.ranked[0].score
        close = [c for c in self.ranked[:limit] if c.score >= 0.6 * top]
        # A sentence whose share of the question's words another close one holds and more is
        # no evidence: "When are climbing roses pruned?" is not answered by the bush roses'
        # sentence beside the climbers' (complementary sentences both stay).
        asked = set(content_words(self.question))
        # … and a runner-up less close that holds more of them than the best, about the same
        # kind of thing, is one too: "How often should I water tomatoes in pots?" ranked the
        # tomatoes in the ground first (alternatives.same_kind: QuAC's passages, about one
        # person or album, lost F1 when any runner-up could take the best's place).
        first = asked & set(content_words(self.ranked[0].sentence))
        close += [
            c
            for c in self.ranked[1:NEAR_RUNNERS]
            if c not in close
            and c.score >= RUNNER_SHARE * top
            and first < asked & set(content_words(c.sentence))
            and alternatives.same_kind(self.question, self.ranked[0].sentence, c.sentence)
        ]
        # A sentence giving the kind of answer asked for ("every week" for "how often") is not
        # evicted by one that does not, whatever words that one shares.
        kind = question_type(self.question)
        holds = [asked & set(content_words(c.sentence)) for c in close]
        typed = [
            t
            if (t := asked_kind.gives(self.question, c.sentence)) is not None
            else not kind or _has_type(kind, c.sentence)
            for c in close
        ]
        keep = [
            c
            for c, h, t in zip(close, holds, typed, strict=True)
            if not any(
                h < o and (u or not t) and c.sim < d.sim + MEANING_MARGIN
                for d, o, u in zip(close, holds, typed, strict=True)
            )
        ]
        # The reason reasons.rerank put first for a "why" stays, whatever words it shares.
        if reasons.asks_why(self.question) and reasons.gives_reason(self.ranked[0].sentence):
            keep += [self.ranked[0]] if self.ranked[0] not in keep else []
        # A "how do I" is answered by the instructions kept, or else by the one
        # instructions.rerank put first; a description beside it ("Aphids gather on soft shoot
        # tips") is no answer to it.
        if instructions.asks_how_to(self.question):
            told = instructions.answering_how(self.question, keep)
            if not told and instructions.answers_how(self.question, self.ranked[0].sentence):
                told = [self.ranked[0]]
            # … of them, not one much less close in meaning than another ("Replace gear
            # cables …" beside "To adjust cable tension, shift …" for adjusting the tension)
            closest = max((c.sim for c in told), default=0.0)
            keep = [c for c in told if c.sim > closest - MEANING_MARGIN] or keep
        keep = durations.kept(self.question, keep, self.ranked[0])  # a length of time of it
        # "a steak" when the notes answer for a thin and a thick one: both (alternatives.py).
        keep += [c for c in self.alternatives() if c not in keep]
        # "rambling roses": a close sentence naming the kind the question names takes the place
        # of the ones naming other kinds of it (bush, climbing roses), however they score.
        # Only when the best sentence is about another kind: on QuAC's prose any two words in
        # a row match too often (without the condition, QuAC selection moved: dev unanswerable
        # declined 9.3% -> 12.8%, test first turns -0.019 F1).
        named = [
            c
            for c in self.ranked[:NEAR_RUNNERS]
            if c.score >= RUNNER_SHARE * top
            and alternatives.names_asked_kind(self.question, c.sentence)
        ]
        if named and alternatives.names_other_kind(self.question, self.ranked[0].sentence):
            keep = [*named, *(c for c in keep if c not in named)]
            keep = [c for c in keep if not alternatives.names_other_kind(self.question, c.sentence)]
        # The entry shown as the answer (entry_answer) is evidence, whatever a longer runner-up
        # holds of the question's words ("--log-size …" beside "-n, --max-count … Limit the
        # number of commits to output.").
        if self.ranked[0] not in keep and answers_as_entry(self.question, self.ranked[0].sentence):
            keep.append(self.ranked[0])
        # "When you then pedal …" comes with the step before it (cohesion.py)
        return cohesion.with_antecedents(sorted(keep, key=lambda c: c.position), self.ranked)

    def alternatives(self) -> list[Candidate]:
        """The best sentence and the ones answering for the other cases of what the question
        left open, in reading order; [] when the best sentence is not one case of several."""
        return alternatives.siblings(self.question, self.ranked)


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk; lines wrapped inside a paragraph are joined first, headings
    (titles, not statements) are left out."""
    return [s for s, _ in split_entries(text)]


CONTINUED = -1  # split_entries(carry=True): the entry the previous chunk ended in


_TITLE = re.compile(r"^[A-Z][\w'’-]*(?: [\w'’&/-]+){0,5}$")


def _plain_title(line: str, following: str, first: bool) -> bool:
    """A plain-text note's title ("Soil and compost", "Starting a compost heap"): first in its
    paragraph, at the margin, a few words without a full stop, alone or followed by a line that
    starts a sentence (a wrapped line going on in lower case is no title)."""
    return (
        first
        and bool(_TITLE.match(line.rstrip()))
        and (not following.strip() or following[:1].isupper())
        and not options.defined(line)
    )


def split_entries(text: str, carry: bool = False) -> list[tuple[str, int | None]]:
    """split_sentences() with, for each sentence, the index (in the returned list) of the
    option entry it belongs to: the entry's own candidate, or the entry whose description
    goes on in later paragraphs ("-k, --keep-index" … "All changes already added to the index
    are left intact." two paragraphs further down). A title or the next entry ends an entry.
    `carry`: sentences before the chunk's first heading or title get CONTINUED."""
    out: list[tuple[str, int | None]] = []
    entry: int | None = CONTINUED if carry else None
    for block in _BLOCK.split(text):
        groups: list[list[str]] = [[]]
        lines = block.splitlines()
        for i, line in enumerate(lines):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if (
                line.lstrip().startswith("#")
                or options.is_title_line(line)
                or _plain_title(line, following, first=not any(lines[:i]))
            ):
                groups.append([])
            else:
                groups[-1].append(line)
        for n, group in enumerate(groups):
            entry = None if n else entry
            flat = " ".join(line.strip() for line in group)
            # a list marker or table edge, not an option's dash (`-n, --dry-run`)
            flat = _MARKER.sub("", flat).strip(" |\t")
            parts = _rejoin([s.strip() for s in _SENTENCE.split(flat)])
            heading = bool(options.defined(flat))
            if len(parts) > 1 and heading:
                # An option entry: its heading and the first sentences of its description
                # answer together ("-k, --keep-index … All changes already added to the index
                # are left intact." is one answer, not a heading sentence and an orphan).
                parts = [" ".join(parts[:ENTRY_SENTENCES]), *parts[ENTRY_SENTENCES:]]
            kept = [s for s in parts if len(s.split()) >= 3]
            if heading:
                entry = len(out) if kept else None
            out.extend((s, entry) for s in kept)
    return out


def _rejoin(parts: list[str]) -> list[str]:
    """Sentences split after an abbreviation joined again."""
    out: list[str] = []
    for part in parts:
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return out


def question_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow often\b", q):
        return "frequency"
    if re.search(r"\bhow (long|many|much|old|far|big|high|hot|cold|large|tall)\b", q):
        return "number"
    if re.search(rf"\bwhat (?:{MEASURES})s?\b", q):  # "at what temperature …", "what angle …"
        return "number"
    # "How do I know when my plants need water?" asks for a test, not a time
    if re.search(
        r"\b(when|what year|which year|what time|what date)\b", instructions.TELL.sub(" ", q)
    ):
        return "time"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "name"
    return ""


def says_frequency(text: str) -> bool:
    """ "once a day", "every month": a frequency in words (a number alone, "5 Nm", is none)."""
    return bool(_FREQUENCY.search(text))


def has_type(kind: str, sentence: str) -> bool:
    """Whether `sentence` holds an answer of the kind question_type() asked for."""
    return _has_type(kind, sentence)


def _has_type(kind: str, sentence: str) -> bool:
    if kind == "frequency":  # "once a day", "every week" answer a "how often" as "2 times" does
        # … a count of times or of days, not a measurement ("1 cm above ground")
        return bool(_FREQUENCY.search(sentence) or _COUNT_OF.search(sentence))
    if kind == "number":  # "for a minute" says how long as "for 1 minute" does
        return bool(_NUMBER.search(sentence) or _A_UNIT.search(sentence)) or bool(
            re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|few)\b", sentence, re.I)
        )
    if kind == "time":
        return bool(_YEAR.search(sentence) or _TIME.search(sentence))
    if kind == "name":
        return bool(_NAME.search(sentence))
    return False


def exact_tokens(text: str) -> set[str]:
    """Tokens that must match literally: options, numbers, identifiers."""
    return {m.strip(".,;:?!").lower() for m in _EXACT.findall(text)} - {""}


def _locate(previous: str | None, pool: list[tuple[Hit, str]]) -> int | None:
    """Where the previous answer sits in the pool (its best-overlapping sentence), if at all."""
    if not previous:
        return None
    words = set(content_words(previous))
    if not words:
        return None
    best, where = 0.0, None
    for i, (_, s) in enumerate(pool):
        share = len(words & set(content_words(s))) / len(words)
        if share > best:
            best, where = share, i
    return where if best >= 0.5 else None


def features(
    question: str, pool: list[tuple[Hit, str]], sims: np.ndarray, previous: str | None
) -> np.ndarray:
    q_words = set(content_words(question))
    q_exact = exact_tokens(question)
    kind = question_type(question)
    prev = _locate(previous, pool)
    top = float(sims.max()) if len(sims) else 0.0
    n = max(len(pool), 1)
    rows = []
    for i, (_, s) in enumerate(pool):
        s_words = set(content_words(s))
        keywords = len(q_words & s_words) / len(q_words) if q_words else 0.0
        s_lower = s.lower()
        exact = sum(t in s_lower for t in q_exact) / len(q_exact) if q_exact else 0.0
        typed = _has_type(kind, s) if kind else False
        rows.append(
            [
                float(sims[i]),
                float(sims[i]) - top,
                keywords,
                exact,
                float(bool(kind) and typed),
                float(bool(kind) and not typed),
                float(prev is not None),
                float(prev is not None and i > prev),
                float(prev is not None and i == prev + 1),
                abs(i - prev) / n if prev is not None else 0.0,
                i / n,
                math.log(1 + len(s.split())),
            ]
        )
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES))


def structure_features(question: str, pool: list[tuple[Hit, str]]) -> np.ndarray:
    asked = options.flags(question)
    wants = options.asks_for_option(question)
    rows = []
    for _, s in pool:
        defines = options.defined(s)
        rows.append(
            [
                float(bool(defines & asked)),
                float(bool(asked) and bool(defines) and not defines & asked),
                float(wants and not asked and bool(defines)),
            ]
        )
    return np.array(rows, dtype=float).reshape(-1, len(STRUCTURE))


@dataclass(frozen=True)
class AnswerModel:
    """Sentence scorer and answerability gate (logistic models; weights from the dev split)."""

    coef: np.ndarray
    intercept: float
    gate_coef: np.ndarray
    gate_intercept: float
    threshold: float
    structure_coef: np.ndarray = field(default_factory=lambda: np.zeros(len(STRUCTURE)))

    def sentence_scores(self, x: np.ndarray, doc: np.ndarray | None = None) -> np.ndarray:
        logit = x @ self.coef + self.intercept
        if doc is not None:
            logit = logit + doc @ self.structure_coef
        return 1.0 / (1.0 + np.exp(-logit))

    def gate_features(self, x: np.ndarray, scores: np.ndarray) -> np.ndarray:
        order = np.argsort(-scores)
        best = x[order[0]]
        second = scores[order[1]] if len(order) > 1 else 0.0
        # The best sentence's own features, how sure the scorer is, and its margin.
        return np.concatenate([best, [scores[order[0]], scores[order[0]] - second]])

    def answerable(self, g: np.ndarray) -> float:
        return float(1.0 / (1.0 + math.exp(-(float(g @ self.gate_coef) + self.gate_intercept))))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel:
        data = json.loads(path.read_text())
        return cls(
            coef=np.array(data["sentence"]["coef"], dtype=float),
            intercept=float(data["sentence"]["intercept"]),
            gate_coef=np.array(data["gate"]["coef"], dtype=float),
            gate_intercept=float(data["gate"]["intercept"]),
            threshold=float(data["gate"]["threshold"]),
            structure_coef=np.array(
                data.get("structure", {}).get("coef", [0.0] * len(STRUCTURE)), dtype=float
            ),
        )


@lru_cache(maxsize=1)
def default_model() -> AnswerModel:
    return AnswerModel.load()


def reading_order(hits: list[Hit]) -> list[Hit]:
    """Chunks of one document in the order they are read (ids end in the chunk's index): the
    position features were fitted on passages read in order."""

    return sorted(hits, key=lambda h: (h.source, _chunk_index(h)))


def _chunk_index(hit: Hit) -> int:
    tail = hit.chunk_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def candidates(hits: list[Hit]) -> list[tuple[Hit, str]]:
    return [(hit, s) for hit, s, _ in _pool(hits)]


def _pool(hits: list[Hit]) -> list[tuple[Hit, str, int | None]]:
    """Candidates with the pool index of the option entry each belongs to (if any). An entry
    cut by a chunk boundary goes on in the next chunk when both were retrieved."""
    out: list[tuple[Hit, str, int | None]] = []
    ends: dict[tuple[str, int], int | None] = {}  # (document, chunk index) -> entry open at end
    carried: list[tuple[int, tuple[str, int]]] = []
    for hit in hits:
        index: dict[int, int] = {}
        last: int | None = None
        for i, (s, entry) in enumerate(split_entries(hit.text, carry=True)):
            # A question in the notes (an FAQ heading) restates what was asked; it never
            # answers it.
            if not s.endswith("?"):
                index[i] = len(out)
            owner = index.get(entry) if entry is not None and entry >= 0 else None
            last = owner
            if s.endswith("?"):
                continue
            if entry == CONTINUED:
                carried.append((len(out), (hit.source, _chunk_index(hit) - 1)))
            out.append((hit, s, owner))
        ends[(hit.source, _chunk_index(hit))] = last
    for i, previous in carried:
        hit, s, _ = out[i]
        out[i] = (hit, s, ends.get(previous))
    return out


def select(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    previous: str | None = None,
    model: AnswerModel | None = None,
    scoped: bool = False,
) -> Selection:
    """Rank the retrieved chunks' sentences by how likely each answers `question`.

    `previous` is the last answer in the conversation, if any (its position is a feature);
    `scoped`: the hits are of the one document the question is about.
    """
    model = model or default_model()
    entries = _pool(hits)
    pool = [(hit, s) for hit, s, _ in entries]
    if not pool:
        return Selection([], 0.0, False)
    vectors = sentence_cache.embed(embedder, question, [s for _, s in pool])
    sims = vectors[1:] @ vectors[0]
    x = features(question, pool, sims, previous)
    doc = structure_features(question, pool)
    # Reference documentation's option entries and synopsis lines (reference.py). Where an
    # option sits on its page says nothing (QuAC's answers come early in a passage; a man
    # page's options are in any order), so entries are compared as if in the same place.
    unplaced = x.copy()
    unplaced[:, FEATURES.index("position")] = 0.0
    order, scores, _ = reference.rank(
        question, entries, model.sentence_scores(x, doc), model.sentence_scores(unplaced, doc)
    )
    confidence = model.answerable(model.gate_features(x, scores))
    ranked = [Candidate(pool[i][0], pool[i][1], i, float(sims[i]), float(scores[i])) for i in order]
    ranked = reasons.rerank(question, ranked, previous, embedder)  # "why?": a reason, not a repeat
    ranked = instructions.rerank(question, ranked)  # "how do I?": what to do, not a description
    ranked = durations.rerank(question, ranked)  # "how long?": a length of time of what was asked
    ranked = asked_kind.rerank(question, ranked)  # "how often?", "how wet?": one that says it
    # A question scoped to one document is about it by the user's choice: the floor (cosine,
    # low for short questions such as "When was retirement?") would decline it before the gate
    # — as long as the document shares a word with it, or the question leans on what it is
    # about ("Did they have any children?", "Why?", "What happens next?", "anything else in
    # this article?": its subject is the document's); one that does neither is not about it.
    # QuAC dev: 23% of the questions share no word with their own passage (22% of the
    # answerable ones, 27% of the others); with these 2% (BENCHMARKS.md).
    relevant = max(hit.score for hit in hits) >= MIN_RETRIEVAL or (
        scoped
        and (
            bool(set(content_words(question)) & set(content_words(" ".join(h.text for h in hits))))
            or followup.is_followup(question)
            or bool(_DEICTIC.search(question))
        )
    )
    # A name the retrieved text never mentions: the documents are not about it (reference.py).
    # Only when the plugin's documents were searched (keywords would have found the name): one
    # document asked about (scoped) or one passage given whole may call its subject by another
    # name or a pronoun.
    searched = not scoped and len(hits) > 1
    known = not searched or not (
        reference.unseen_names(question, hits)
        or (
            (subject := reference.unseen_subject(question, hits))
            and not unseen.in_compound(subject, hits)  # "sun" in "sunlight"
        )
        or reference.unseen_command(question, hits)
        or unseen.unseen(question, hits)
    )
    covered = relevant and known and confidence >= model.threshold
    # "When should I sow carrots, and how deep?": each part ranked on its own (compound.py)
    pieces = compound.parts_of(question)
    parts = tuple(select(p, hits, embedder, previous, model, scoped) for p in pieces)
    return Selection(ranked, confidence, covered, question, parts)


def entry_answer(question: str, selection: Selection) -> Candidate | None:
    """The best candidate when it is an option entry that answers the question (it defines the
    option asked about, or the question asks for an option): shown as it stands. Paraphrased by
    the bundled model, "-D Shortcut for --delete --force." became "a shortcut for deleting the
    branch"; the entry is the reference's own answer and needs no model."""
    best = selection.best
    if best is None or not selection.covered:
        return None
    return best if answers_as_entry(question, best.sentence) else None


def answers_as_entry(question: str, sentence: str) -> bool:
    """`sentence` is an option entry that answers `question`: it defines the option asked
    about, or the question asks for an option without naming one."""
    defines = options.defined(sentence)
    asked = options.flags(question)
    return bool(defines) and bool(
        defines & asked or (not asked and options.asks_for_option(question))
    )


def has_negation(text: str) -> bool:
    """not/never/no/…; an option's name (`--no-single-branch`) is no negation."""
    return bool(_NEGATION.search(options.without_flags(text)))
