"""The model's rephrasing against the evidence sentence it rests on (phrasing.py).

A true claim that keeps the question's words and drops what the sentence says (QuAC dev,
session 5: "His return to the Harry Potter franchise.", F1 1.00 → 0.30) is shown as that
sentence; a short answer that keeps what its sentence says stands, and the sentence quoted is
the one the claim rests on, never another case's (the thick and the thin steak).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from frontdesk import answering, specialist
from frontdesk.engine import Engine
from frontdesk.phrasing import basis, narrow, rests_on
from frontdesk.settings import Settings
from frontdesk.store import Hit
from frontdesk.testing import FakeChatModel, HashEmbedder

from .conftest import write_plugin

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


def test_on_a_tie_the_claim_rests_on_the_sentence_it_covers_more_of() -> None:
    # examples_dev: "every week" rests on the weekly check, not on the check before every ride
    ride = "Before every ride: Press each tyre with your thumb, or better, check the pressure with a gauge."
    week = "Check pressure every week with a gauge; tyres lose air slowly even without a puncture."
    said = "Check your tyre pressure every week with a gauge;"
    assert basis(said, [ride, week]) == "Check pressure every week with a gauge;"
    assert not narrow(said, "How often should I check my tyre pressure?", [ride, week]).changed


def test_a_quote_or_a_decline_is_left_alone() -> None:
    assert not narrow(f"“{THIN}”", "How long should a steak rest?", [THIN]).changed
    assert not narrow("No, they did not.", "Did they have any children?", [OLDMAN]).changed


BIO = (
    "She studied law in Paris. In 1990 she joined a small firm. "
    "In 1995 she opened her own firm. In 2001 she retired to the coast."
)


def test_a_turn_stores_the_sentence_its_answer_rests_on_for_the_next_turn(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    # "Yes, she did." locates nothing in the notes; the next turn starts from the sentence the
    # answer rested on (QuAC: "No, they did not." left a follow-up without a position)
    root = tmp_path / "bio-plugins"
    write_plugin(
        root,
        "bio",
        "Her life and career.",
        ["Where did she study?"],
        {"bio.md": BIO},
        "fake:script",
    )
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest()
    FakeChatModel.enqueue("Yes, she did.")
    first = eng.ask("Did she open her own firm in 1995?", thread_id="b", plugin="bio")
    assert first.answer == "Yes, she did."
    stored = eng.memory.messages(eng.graph, "b")
    rests = stored[-1].additional_kwargs["frontdesk"]["rests_on"]
    assert rests and rests[0] in BIO, rests
    assert specialist.previous_answer(stored) == " ".join(rests)


def test_without_a_stored_sentence_the_previous_answer_is_its_text() -> None:
    said = "She opened her own firm."
    assert specialist.previous_answer([HumanMessage("q"), AIMessage(said)]) == said
    stored = AIMessage(said, additional_kwargs={"frontdesk": {"rests_on": [BIO[59:91]]}})
    assert specialist.previous_answer([HumanMessage("q"), stored]) == BIO[59:91]
    assert rests_on("No, they did not.", [THIN, THICK], THICK) == [THICK]
    assert rests_on(f"“{THIN} {THICK}”", [THIN, THICK], THICK) == [THIN, THICK]
