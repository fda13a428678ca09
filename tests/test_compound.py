"""A question with two parts answered by one plugin: every part gets its evidence and its answer.

Seen on the dev questions (session 6): "When should I sow carrots, and how deep?" → "Sow carrots
in March to July, thinly." (the notes' "1 cm deep" left out), and "How long does cooked fish keep,
and how long do soups keep?" → “Cooked fish is best within two days.” (the soups left out).
"""

from __future__ import annotations

from frontdesk import answering, compound
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder
from frontdesk.verify import verify

CARROTS = "Carrots: sow outdoors from March to July, thinly, 1 cm deep, in stone-free soil."
LEFTOVERS = (
    "Most cooked leftovers keep three to four days in a fridge at 4 °C or below. Cooked fish is "
    "best within two days. Soups and stews keep three days. When in doubt, throw it out."
)


def test_the_parts_of_a_question_an_elided_one_completed() -> None:
    assert compound.parts_of("When should I sow carrots, and how deep?") == [
        "When should I sow carrots?",
        "How deep should I sow carrots?",
    ]
    assert compound.parts_of("How long does cooked fish keep, and how long do soups keep?") == [
        "How long does cooked fish keep?",
        "How long do soups keep?",
    ]
    assert compound.parts_of("How long should I rest a steak?") == []
    assert compound.parts_of("Should I salt and oil the steak?") == []


def test_each_part_has_its_evidence() -> None:
    hit = Hit("cooking", "c1", "leftovers.txt", "leftovers.txt", "", 0.7, LEFTOVERS)
    question = "How long does cooked fish keep, and how long do soups keep?"
    sel = answering.select(question, [hit], HashEmbedder())
    said = [c.sentence for c in sel.evidence()]
    assert [p.question for p in sel.parts] == [
        "How long does cooked fish keep?",
        "How long do soups keep?",
    ]
    assert all(p.ranked[0].sentence in said for p in sel.parts)
    assert "Soups and stews keep three days." in said


def test_an_answer_leaving_out_a_part_is_replaced_by_the_evidence() -> None:
    question = "When should I sow carrots, and how deep?"
    verdict = verify("Sow carrots in March to July, thinly.", question, [CARROTS], parts=[CARROTS])
    assert verdict.repaired and "1 cm deep" in verdict.answer
    said = "Sow carrots from March to July, 1 cm deep."
    assert verify(said, question, [CARROTS], parts=[CARROTS]).supported
    fish, soups = "Cooked fish is best within two days.", "Soups and stews keep three days."
    question = "How long does cooked fish keep, and how long do soups keep?"
    verdict = verify(
        "Cooked fish is best within two days.", question, [fish, soups], parts=[fish, soups]
    )
    assert verdict.repaired and "three days" in verdict.answer
