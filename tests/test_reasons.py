""" "Why?" after an answer gets a reason, not the answer again (issue 9 item 3: history never
makes a model repeat an earlier answer to a new question). Seen in the CLI: "How long should I
rest a steak?" → the steak times; "Why?" → the steak times again."""

from __future__ import annotations

from frontdesk import answering, reasons
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder

NOTES = (
    "# Resting and cooking meat\n\n## Why meat needs to rest\n"
    "When a steak comes off the heat, the outer layers are much hotter than the centre.\n"
    "Resting lets the heat even out and lets the juices settle back into the fibres.\n\n"
    "## How long to rest\n"
    "A thin steak needs about 5 minutes of rest. A thick steak needs 8 to 10 minutes.\n"
    "A whole roast should rest 15 to 30 minutes, so that it does not steam.\n"
)
HIT = Hit("cooking", "c1", "resting.md", "resting.md", "", 0.7, NOTES)
PREVIOUS = "“A thin steak needs about 5 minutes of rest. A thick steak needs 8 to 10 minutes.”"


def test_why_after_an_answer_is_answered_with_the_reason_under_its_heading() -> None:
    sel = answering.select("Why should I rest a steak?", [HIT], HashEmbedder(), PREVIOUS)
    assert sel.best is not None and sel.best.sentence.startswith("Resting lets the heat")
    assert [c.sentence for c in sel.evidence()] == [sel.best.sentence]


def test_without_sections_the_previous_answer_is_not_given_again() -> None:
    prose = Hit(
        "bio", "c1", "bio.md", "bio.md", "", 0.7, "She left the band in 1990. She moved to Paris."
    )
    before = answering.select("Why did she leave the band?", [prose], HashEmbedder())
    assert before.best is not None and before.best.sentence == "She left the band in 1990."
    after = answering.select(
        "Why did she leave the band?", [prose], HashEmbedder(), "She left the band in 1990."
    )
    assert after.best is not None and after.best.sentence == "She moved to Paris."


def test_only_why_questions_and_headings_as_written() -> None:
    assert reasons.asks_why("Why?") and reasons.asks_why("And why is that?")
    assert not reasons.asks_why("How long should I rest a steak?")
    text = NOTES
    assert (
        reasons.heading_of(
            text, "Resting lets the heat even out and lets the juices settle back into the fibres."
        )
        == "Why meat needs to rest"
    )
    assert (
        reasons.heading_of(
            text, "A whole roast should rest 15 to 30 minutes, so that it does not steam."
        )
        == "How long to rest"
    )
