"""What a specialist's consult returns: a verified answer, the quoted evidence, or an honest gap.

graph.consult retrieves, selects (answering.py) and lets the plugin's model phrase an answer;
this module turns that into the consult record the graph passes on: every claim checked
(verify.py), citations for the sentences the answer rests on, and, when the selection says the
notes do not hold the answer, one sentence saying so with the closest passages as citations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from frontdesk import reasons
from frontdesk.answering import Candidate, Selection, has_type, question_type, says_frequency
from frontdesk.declines import is_decline
from frontdesk.store import Hit
from frontdesk.verify import verify

Cite = Callable[[Hit], dict[str, Any]]


def previous_answer(history: list[BaseMessage]) -> str | None:
    """The thread's last answer (its position in the notes helps pick the next one)."""
    for message in reversed(history):
        if isinstance(message, AIMessage):
            text = str(message.content)
            return None if is_decline(text) else text
    return None


def _unique(hits: list[Hit]) -> list[Hit]:
    seen: dict[str, Hit] = {}
    for hit in hits:
        seen.setdefault(hit.chunk_id, hit)
    return list(seen.values())


def _facts(selection: Selection, cite: Cite, limit: int = 4) -> list[dict[str, Any]]:
    best = sorted(selection.ranked[:limit], key=lambda c: c.position)
    return [{"text": c.sentence, "citation": cite(c.hit)} for c in best]


def decline_text(plugin: str, question: str) -> str:
    topic = question.strip().rstrip("?.! ")
    return f'The {plugin} notes don\'t cover "{topic}".'


def declined(
    plugin: str, question: str, selection: Selection, hits: list[Hit], retrieval: float, cite: Cite
) -> dict[str, Any]:
    """No sentence answers well enough: say so, and show the closest passages."""
    closest = _unique([c.hit for c in selection.ranked[:2]] or hits[:2])
    return {
        "plugin": plugin,
        "answer": decline_text(plugin, question),
        "grounding": {
            "declined": True,
            "retrieval": round(retrieval, 4),
            "support": 0.0,
            "confidence": round(selection.confidence, 4),
            "grounded": False,
            "reason": f"its notes don't cover it (selection confidence {selection.confidence:.2f})",
        },
        "citations": [cite(h) for h in closest],
        "facts": _facts(selection, cite),
    }


def titled(question: str, evidence: list[Candidate]) -> list[str]:
    """The evidence sentences, one that does not say the "how often"/"when" asked for preceded
    by its section's title when that does ("Every month: Check all bolts …" — a schedule's
    sentences sit under their frequency)."""
    kind = question_type(question)
    out = []
    for c in evidence:
        title = reasons.title_of(c.hit.text, c.sentence) if kind in ("frequency", "time") else ""
        # a schedule's sentence may hold a number ("5 Nm") and still not say how often
        typed = says_frequency(c.sentence) if kind == "frequency" else has_type(kind, c.sentence)
        out.append(
            f"{title}: {c.sentence}"
            if title and not typed and has_type(kind, title)
            else c.sentence
        )
    return out


def verified(
    plugin: str,
    question: str,
    said: str,
    selection: Selection,
    evidence: list[Candidate],
    retrieval: float,
    cite: Cite,
    tool_facts: list[str] | None = None,
) -> dict[str, Any]:
    """The model's answer, checked claim by claim against `evidence` (and the results of the
    tools it called, which are evidence too), repaired where needed."""
    facts = [*(tool_facts or []), *titled(question, evidence)]
    cases = [c.sentence for c in selection.alternatives() if c in evidence]
    # each part of a compound question, as far as its evidence is what the model was given
    parts = [
        " ".join(c.sentence for c in own)
        for own in selection.part_evidence()
        if all(c in evidence for c in own)
    ]
    verdict = verify(said, question, facts, cases if len(cases) > 1 else (), parts)
    if verdict.supported:
        reason = "every claim is in its notes" + (" or tool results" if tool_facts else "")
    else:
        reason = "answered from its notes, quoted (" + "; ".join(verdict.problems[:2]) + ")"
    # A part of the question these notes do not cover is said, not dropped (a question across
    # two plugins routed to one: "… loose spokes, and how long does a sourdough starter take
    # to double?" was answered about the spokes alone).
    gaps = [decline_text(plugin, p.question) for p in selection.parts if not p.covered]
    gaps = gaps if len(gaps) < len(selection.parts) else []  # none covered: the whole answers
    return {
        "plugin": plugin,
        "answer": " ".join([verdict.answer, *gaps]),
        "grounding": {
            "generated": said,  # what the model said, before the checks
            "repaired": verdict.repaired,
            "retrieval": round(retrieval, 4),
            "support": 1.0 if verdict.supported else 0.0,
            "confidence": round(selection.confidence, 4),
            "grounded": True,
            "reason": reason,
        },
        "citations": [cite(h) for h in _unique([c.hit for c in evidence])],
        "facts": _facts(selection, cite),
    }
