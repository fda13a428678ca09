"""`frontdesk eval`: how good are the answers? Questions with reference answers, scored.

Each line of the file: {"question", "plugin": name or null, "answers": [...], "thread": optional
id, "document": optional name}. The turns of one thread come in order and are asked in one
conversation; an empty `answers` list marks a question the documents cannot answer. Everything
runs through the Engine's public API, as a user's question would.

A multi-part question names a plugin per part, with the answers of each part:
{"question": "…steak, and when…roses?", "plugin": ["cooking", "gardening"], "answers":
[["5 minutes"], ["late winter"]]}. A part with an empty list is one its plugin cannot answer.

Scores (overall and per expected plugin; a multi-part question counts under "a+b"):
- routing accuracy: the first routed plugin is the expected one (null: no plugin); for a
  multi-part question, the routed plugins are exactly the expected ones — only for questions
  the eval did not force to a plugin (a `document` forces its plugin);
- hit@k: a reference answer (normalised) occurs in one of the top-k chunks retrieved for the
  question as asked, from the expected plugin (and document); for a multi-part question, every
  answerable part's answer in the top-k of its own plugin;
- token F1 (SQuAD normalisation, best reference), on first turns and on follow-ups;
- declines ("not in the documents", see declines.py): precision and recall for the questions
  without an answer, and the share of answerable questions wrongly declined;
- correct: an answerable question whose answer holds a reference answer or scores F1 >= 0.5,
  or an unanswerable one that was declined; a multi-part question when every part is (an
  answerable part's reference answer held, a part without one said to be not covered). Its F1
  is the mean of its answerable parts' F1 against the whole answer.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from frontdesk.declines import is_decline
from frontdesk.errors import FrontdeskError, InputError
from frontdesk.stats import percentile

_ARTICLES = re.compile(r"\b(a|an|the)\b")
# SQuAD's ASCII punctuation, and every other character Unicode calls punctuation: the product
# quotes evidence in “ ” marks, which would otherwise stay glued to the first and last words
_PUNCT = str.maketrans(
    "",
    "",
    string.punctuation
    + "".join(c for c in map(chr, range(0x80, 0x10000)) if unicodedata.category(c).startswith("P")),
)
_THREAD_CHARS = re.compile(r"[^A-Za-z0-9_.:@-]")


def normalize(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation (Unicode's too), no articles, single spaces."""
    return " ".join(_ARTICLES.sub(" ", (text or "").lower().translate(_PUNCT)).split())


def token_f1(prediction: str, references: Iterable[str]) -> float:
    """Token F1 of the prediction against the best-matching reference."""
    pred = normalize(prediction).split()
    best = 0.0
    for ref in references:
        gold = normalize(ref).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains_answer(text: str, references: Iterable[str]) -> bool:
    """A reference occurs in the text: as written (case and spacing aside, so `-d` must be
    `-d`), or, when it has two words or more, after SQuAD normalisation."""
    light = " ".join((text or "").lower().split())
    hay = f" {normalize(text)} "
    for ref in references:
        plain = " ".join(ref.lower().split())
        if plain and re.search(rf"(?<![\w-]){re.escape(plain)}(?![\w-])", light):
            return True
        if len(normalize(ref).split()) > 1 and f" {normalize(ref)} " in hay:
            return True
    return False


@dataclass(frozen=True)
class Case:
    question: str
    plugin: str | None
    answers: list[str]
    thread: str | None = None
    document: str | None = None
    line: int = field(default=0, compare=False)  # where it is in its file, for errors
    # a multi-part question: (plugin, reference answers) per part; `plugin` is the first part's,
    # `answers` every part's
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def expects_decline(self) -> bool:
        """The answer should say the documents do not cover it (or one of its parts)."""
        return any(not refs for _, refs in self.parts) if self.parts else not self.answers

    @property
    def group(self) -> str:
        """The name its scores are reported under."""
        if self.parts:
            return "+".join(p for p, _ in self.parts)
        return self.plugin or "(none)"


@dataclass
class Result:
    case: Case
    answer: str = ""
    routed: str | None = None
    route_ok: bool | None = None  # None: forced, routing not measured
    hit: bool | None = None  # None: nothing to find
    f1: float | None = None  # None: unanswerable
    declined: bool = False
    correct: bool = False
    follow_up: bool = False
    mode: str = ""
    seconds: float = 0.0
    citations: list[str] = field(default_factory=list)


def load_cases(path: Path) -> list[Case]:
    """Read an eval file; InputError naming the file and line for anything malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    cases: list[Case] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers = row.get("answers", [])
            if not isinstance(answers, list) or not str(row["question"]).strip():
                raise ValueError("'answers' must be a list and 'question' non-empty")
            parts = _parts(row.get("plugin"), answers)
            case = Case(
                question=str(row["question"]),
                plugin=parts[0][0] if parts else row.get("plugin"),
                answers=[a for _, got in parts for a in got]
                if parts
                else [str(a) for a in answers],
                thread=None if row.get("thread") is None else str(row["thread"]),
                document=row.get("document"),
                line=n,
                parts=parts,
            )
            if case.document is not None and (not case.plugin or parts):
                raise ValueError("a line with 'document' needs its 'plugin', one name")
        except (json.JSONDecodeError, KeyError, ValueError, AttributeError, TypeError) as exc:
            why = f"no field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InputError(
                f"{path}:{n}: not an eval line ({why}); expected "
                '{"question": ..., "plugin": name or null, "answers": [...]}'
            ) from None
        cases.append(case)
    if not cases:
        raise InputError(f"{path}: no questions")
    return cases


def _parts(plugin: Any, answers: list[Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A multi-part line's (plugin, answers) per part; () for a line with one plugin or none."""
    if not isinstance(plugin, list):
        return ()
    if len(plugin) < 2 or len(set(plugin)) != len(plugin) or len(answers) != len(plugin):
        raise ValueError(
            "a multi-part line names two or more different plugins in 'plugin' and gives "
            "'answers' as one list per plugin"
        )
    if not all(isinstance(a, list) for a in answers):
        raise ValueError("a multi-part line's 'answers' holds one list per plugin")
    return tuple(
        (str(p), tuple(str(a) for a in got)) for p, got in zip(plugin, answers, strict=True)
    )


def check_cases(engine: Any, cases: list[Case], path: Path) -> None:
    """InputError at the first line naming a plugin or document that does not exist, before
    any question is asked (a typo would otherwise count as a routing miss, or end the run
    there)."""
    for case in cases:
        try:
            named = [p for p, _ in case.parts] or ([case.plugin] if case.plugin else [])
            for name in named:
                engine.plugin_set.get(name)
            if case.document is not None:
                engine.check_document(case.plugin, case.document)
        except FrontdeskError as exc:
            raise InputError(f"{path}:{case.line}: {exc}") from None


def run_eval(
    engine: Any,
    cases: list[Case],
    k: int = 3,
    force_plugin: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """Ask every question through the engine; threads are asked in order and then deleted."""
    run = uuid.uuid4().hex[:8]
    threads: dict[str, str] = {}
    results: list[Result] = []
    try:
        for i, case in enumerate(cases):
            results.append(_one(engine, case, k, force_plugin, run, threads))
            if progress:
                progress(i + 1, len(cases))
    finally:
        for thread_id in threads.values():
            engine.delete_thread(thread_id)
    return results


def _one(engine: Any, case: Case, k: int, force: bool, run: str, threads: dict[str, str]) -> Result:
    thread_id = None
    follow_up = False
    if case.thread is not None:
        follow_up = case.thread in threads
        name = _THREAD_CHARS.sub("_", case.thread)[:100]
        thread_id = threads.setdefault(case.thread, f"eval-{run}-{name}")
    forced = case.plugin if (case.document is not None or force) and case.plugin else None
    answer = engine.ask(case.question, thread_id, plugin=forced, document=case.document)
    plugins = [p["name"] for p in answer.route.get("plugins", [])]
    res = Result(
        case=case,
        answer=answer.answer,
        routed=plugins[0] if plugins else None,
        follow_up=follow_up,
        mode=str(answer.route.get("mode", "")),
        seconds=answer.seconds,
        citations=[f"{c['plugin']}/{c['source']}" for c in answer.citations],
    )
    if case.parts:
        return _score_parts(engine, res, plugins, k, forced is None)
    if forced is None:
        res.route_ok = res.routed == case.plugin
    res.declined = is_decline(answer.answer)
    if case.answers:
        res.f1 = token_f1(answer.answer, case.answers)
        res.correct = not res.declined and (
            contains_answer(answer.answer, case.answers) or res.f1 >= 0.5
        )
        if case.plugin:
            hits = engine.search(case.question, case.plugin, k, document=case.document)
            res.hit = any(contains_answer(h.text, case.answers) for h in hits)
    else:
        res.correct = res.declined
    return res


def _score_parts(engine: Any, res: Result, routed: list[str], k: int, scored: bool) -> Result:
    """A multi-part question: routed to exactly its plugins, every part answered or said to be
    not covered."""
    case, text = res.case, res.answer
    if scored:
        res.route_ok = sorted(routed) == sorted(p for p, _ in case.parts)
    res.declined = is_decline(text)
    answerable = [(p, refs) for p, refs in case.parts if refs]
    if answerable:
        res.f1 = sum(token_f1(text, refs) for _, refs in answerable) / len(answerable)
        res.hit = all(
            any(contains_answer(h.text, refs) for h in engine.search(case.question, p, k))
            for p, refs in answerable
        )
    res.correct = all(
        contains_answer(text, refs) if refs else res.declined for _, refs in case.parts
    )
    return res


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarize(results: list[Result]) -> dict[str, Any]:
    """The scores of a group of results (see the module docstring)."""
    answerable = [r for r in results if r.case.answers]
    # a decline is right for a question without answers, and for a multi-part one with a part
    # its plugin cannot answer
    unanswerable = [r for r in results if r.case.expects_decline]
    declined = [r for r in results if r.declined]
    seconds = [r.seconds for r in results]
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "correct": _share([r.correct for r in results]),
        "routing_accuracy": _share([r.route_ok for r in results if r.route_ok is not None]),
        "hit_at_k": _share([r.hit for r in answerable if r.hit is not None]),
        "f1": _mean([r.f1 for r in answerable if r.f1 is not None]),
        "f1_first_turns": _mean([r.f1 for r in answerable if r.f1 is not None and not r.follow_up]),
        "f1_follow_ups": _mean([r.f1 for r in answerable if r.f1 is not None and r.follow_up]),
        "decline_precision": _share([r.case.expects_decline for r in declined]),
        "decline_recall": _share([r.declined for r in unanswerable]),
        "wrongly_declined": _share([r.declined for r in answerable if not r.case.expects_decline]),
        "seconds_p50": round(percentile(seconds, 50), 3) if seconds else None,
    }


def report(results: list[Result], k: int, worst: int = 10) -> dict[str, Any]:
    """Overall and per-plugin scores, the worst questions, and every result."""
    plugins = sorted({r.case.group for r in results})
    ranked = sorted(results, key=lambda r: (r.correct, r.f1 if r.f1 is not None else 1.0))
    return {
        "k": k,
        "overall": summarize(results),
        "plugins": {p: summarize([r for r in results if r.case.group == p]) for p in plugins},
        "worst": [_row(r) for r in ranked[:worst] if not r.correct],
        "results": [_row(r) for r in results],
    }


def _row(r: Result) -> dict[str, Any]:
    row = asdict(r)
    row.update(row.pop("case"))
    return row


METRICS = [
    ("questions", "questions"),
    ("correct", "correct"),
    ("routing_accuracy", "routing accuracy"),
    ("hit_at_k", "hit@k"),
    ("f1", "token F1"),
    ("f1_first_turns", "F1 first turns"),
    ("f1_follow_ups", "F1 follow-ups"),
    ("decline_precision", "decline precision"),
    ("decline_recall", "decline recall"),
    ("wrongly_declined", "answerable declined"),
    ("seconds_p50", "answer p50 s"),
]


def format_report(rep: dict[str, Any]) -> list[str]:
    """The report as lines of text: a table of scores, then the worst questions."""
    groups = [("overall", rep["overall"]), *rep["plugins"].items()]
    lines = ["metric".ljust(22) + "".join(name[:14].rjust(15) for name, _ in groups)]
    for key, label in METRICS:
        label = label.replace("@k", f"@{rep['k']}")
        cells = []
        for _, scores in groups:
            value = scores[key]
            cells.append(
                "-" if value is None else str(value) if isinstance(value, int) else f"{value:.3f}"
            )
        lines.append(label.ljust(22) + "".join(c.rjust(15) for c in cells))
    if rep["worst"]:
        lines.append("")
        lines.append("worst questions:")
        for r in rep["worst"]:
            f1 = "-" if r["f1"] is None else f"{r['f1']:.2f}"
            expected = r["answers"][0] if r["answers"] else "(not in the documents)"
            lines.append(f"  F1 {f1}  {r['question'][:70]}")
            lines.append(f"      expected: {expected[:80]}")
            lines.append(f"      answered: {' '.join(r['answer'].split())[:80]}")
    return lines
