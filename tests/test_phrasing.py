"""The model's rephrasing against the evidence sentence it rests on (phrasing.py).

A true claim that keeps the question's words and drops what the sentence says (QuAC dev,
session 5: "His return to the Harry Potter franchise.", F1 1.00 → 0.30) is shown as that
sentence; a short answer that keeps what its sentence says stands, and the sentence quoted is
the one the claim rests on, never another case's (the thick and the thin steak).
"""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk import answering, specialist
from frontdesk.phrasing import basis, narrow
from frontdesk.store import Hit

OLDMAN = (
    "In 2004, Oldman returned to prominence when he landed a significant role in the Harry "
    "Potter film series, playing Harry Potter's godfather Sirius Black."
)
BEFORE = "Oldman grew up in New Cross, London, and left school at sixteen."
THIN = "A thin steak (about 2 cm) needs about 5 minutes of rest."
THICK = "A thick steak (4 cm or more) needs 8 to 10 minutes."


def _verified(question: str, said: str, sentences: list[str]) -> dict[str, Any]:
    hit = Hit("notes", "c1", "notes.md", "notes.md", "", 0.6, " ".join(sentences))
    ranked = [answering.Candidate(hit, s, i, 0.6, 0.5) for i, s in enumerate(sentences)]
    sel = answering.Selection(ranked, 0.9, True, question)
    return specialist.verified(
        "notes", question, said, sel, ranked, 0.6, lambda h: {"source": h.source}
    )


def test_a_fragment_of_the_right_sentence_is_shown_as_that_sentence() -> None:
    out = _verified(
        "What was his resurgence or comeback role?",
        "His return to the Harry Potter franchise.",
        [BEFORE, OLDMAN],
    )
    assert out["answer"] == f"“{OLDMAN}”", out["answer"]
    assert out["grounding"]["repaired"]
    assert out["grounding"]["generated"] == "His return to the Harry Potter franchise."
    assert "says less than the sentence it rests on" in out["grounding"]["reason"]


@pytest.mark.parametrize(
    "said",
    ["A thick steak needs 8 to 10 minutes.", "8 to 10 minutes.", "It needs 8 to 10 minutes."],
)
def test_a_short_answer_keeping_what_its_sentence_says_stands(said: str) -> None:
    out = _verified("How long should a thick steak rest?", said, [THIN, THICK])
    assert out["answer"] == said
    assert not out["grounding"]["repaired"]


def test_the_sentence_a_claim_rests_on_is_found_by_its_numbers_too() -> None:
    # the thin steak's sentence shares as many words ("steak", "needs"); "8 to 10" decides
    assert basis("A steak needs 8 to 10.", [THIN, THICK]) == THICK
    # and a thin claim about the thick steak is shown as the thick steak's sentence alone
    out = narrow("The thick one needs 8.", "How long should a thick steak rest?", [THIN, THICK])
    assert out.changed and out.answer == f"“{THICK}”"


RIDE = "Before every ride: Press each tyre with your thumb, or better, check the pressure with a gauge."
WEEK = "Check pressure every week with a gauge."


def test_on_a_tie_the_claim_rests_on_the_sentence_selected_as_answering() -> None:
    # examples_dev: "… every week with a gauge" shares as many words with the check before every
    # ride; the selection ranked the weekly check first, and the claim keeps what it says
    said = "Check your tyre pressure every week with a gauge."
    question = "How often should I check my tyre pressure?"
    hit = Hit("cycling", "c1", "tyres.md", "tyres.md", "", 0.6, f"{RIDE} {WEEK}")
    ride = answering.Candidate(hit, RIDE, 0, 0.5, 0.3)
    week = answering.Candidate(hit, WEEK, 1, 0.6, 0.6)
    sel = answering.Selection([week, ride], 0.9, True, question)
    out = specialist.verified("cycling", question, said, sel, [ride, week], 0.6, lambda h: {})
    assert out["answer"] == said, out["answer"]
    assert basis(said, [RIDE, WEEK]) == RIDE and basis(said, [WEEK, RIDE]) == WEEK


def test_a_claim_rests_on_the_whole_sentence_not_on_half_of_it() -> None:
    # examples_dev, the selection ranked the check before every ride first: the weekly check's
    # sentence holds more of the claim once its "; tyres lose air …" counts as part of it
    week = f"{WEEK[:-1]}; tyres lose air slowly even without a puncture."
    said = "Check your tyre pressure every week with a gauge;"
    assert basis(said, [RIDE, week]) == week
    out = narrow(said, "How often should I check my tyre pressure?", [RIDE, week])
    assert RIDE not in out.answer and "every week" in out.answer


def test_an_initial_does_not_end_a_claim() -> None:
    # QuAC dev: “Thomas in the 2000, …” was quoted after "Jeffrey C." cut the claim in two
    fact = (
        "He defeated Democratic challenger Jeffrey C. Thomas in the 2000, 2002, 2004, and 2006 "
        "elections."
    )
    said = "He defeated Jeffrey C. Thomas."
    out = narrow(said, "Who did he run against in the first election?", [fact])
    assert out.answer in (said, f"“{fact}”")


def test_a_quote_or_a_decline_is_left_alone() -> None:
    assert not narrow(f"“{THIN}”", "How long should a steak rest?", [THIN]).changed
    assert not narrow("No, they did not.", "Did they have any children?", [OLDMAN]).changed
