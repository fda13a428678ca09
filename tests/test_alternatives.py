"""Answers that depend on a condition the question left open ("a steak": thin or thick?) give
every alternative the notes hold, not the first one alone (issue 9: the README's steak answer
said "about 5 minutes" and left out the thick steak's 8 to 10)."""

from __future__ import annotations

from frontdesk import alternatives
from frontdesk.answering import Candidate, Selection
from frontdesk.store import Hit
from frontdesk.verify import verify

STEAK_Q = "How long should I rest a steak?"
THIN = "A thin steak (about 2 cm) needs about 5 minutes of rest."
THICK = "A thick steak (4 cm or more) needs 8 to 10 minutes."
ROAST = "A whole roast, such as a leg of lamb or a rib of beef, should rest 15 to 30 minutes."
MOIST = "A steak cut straight from the pan leaks its juice; the same steak rested stays moist."
HIT = Hit("cooking", "c1", "resting.md", "resting.md", "", 0.73, " ".join([THIN, THICK, ROAST]))
OTHER = Hit("cooking", "c2", "safety.md", "safety.md", "", 0.4, "A thick steak needs 9 minutes.")


def _selection(question: str, ranked: list[tuple[str, int, float, Hit]]) -> Selection:
    cands = [Candidate(hit, s, pos, 0.7, score) for s, pos, score, hit in ranked]
    return Selection(cands, 0.93, True, question)


# The scores the selection model gives these sentences for the README question (MiniLM).
STEAK = _selection(
    STEAK_Q,
    [(THIN, 0, 0.466, HIT), (THICK, 1, 0.266, HIT), (ROAST, 2, 0.133, HIT), (MOIST, 8, 0.05, HIT)],
)


def test_the_thick_steak_is_evidence_beside_the_thin_one() -> None:
    assert [c.sentence for c in STEAK.evidence()] == [THIN, THICK]
    assert [c.sentence for c in STEAK.alternatives()] == [THIN, THICK]


def test_a_question_that_names_the_condition_gets_that_alternative_alone() -> None:
    sel = _selection(
        "How long should I rest a thick steak?", [(THICK, 1, 0.6, HIT), (THIN, 0, 0.2, HIT)]
    )
    assert [c.sentence for c in sel.evidence()] == [THICK]
    assert sel.alternatives() == []


def test_no_alternative_from_another_document_or_far_away_or_without_the_asked_kind() -> None:
    far = "A thick steak grilled over charcoal tastes of smoke."  # no time: not an answer
    sel = _selection(
        STEAK_Q,
        [
            (THIN, 0, 0.466, HIT),
            (far, 1, 0.2, HIT),
            ("A thick steak needs 9 minutes.", 0, 0.2, OTHER),
        ],
    )
    assert [c.sentence for c in sel.evidence()] == [THIN]
    assert alternatives.qualifier(STEAK_Q, far) == ("thick", "steak")


def test_an_answer_that_gives_one_alternative_is_replaced_by_the_quoted_alternatives() -> None:
    verdict = verify(
        "Rest a thin steak for about 5 minutes.", STEAK_Q, [THIN, THICK], [THIN, THICK]
    )
    assert verdict.repaired and not verdict.supported
    assert verdict.answer == f"“{THIN} {THICK}”"
    assert any("thick" in p for p in verdict.problems)


def test_an_answer_that_gives_every_alternative_is_kept_as_said() -> None:
    said = "Rest a thin steak for about 5 minutes and a thick one for 8 to 10 minutes."
    verdict = verify(said, STEAK_Q, [THIN, THICK], [THIN, THICK])
    assert verdict.supported and verdict.answer == said


def test_roses_when_the_kind_is_not_asked() -> None:
    bush = "Prune bush roses (hybrid teas and floribundas) in late winter or early spring."
    autumn = "Pruning in autumn invites frost damage to the fresh cuts."
    climbing = "Climbing roses are pruned after they flower in summer."
    hit = Hit("gardening", "c1", "pruning.md", "pruning.md", "", 0.6, f"{bush} {autumn} {climbing}")
    sel = _selection(
        "When should I prune my roses?",
        [(bush, 0, 0.57, hit), (climbing, 2, 0.3, hit), (autumn, 1, 0.08, hit)],
    )
    assert [c.sentence for c in sel.alternatives()] == [bush, climbing]
    kept = verify(
        "Prune bush roses in late winter.", sel.question, [bush, climbing], [bush, climbing]
    )
    assert kept.repaired and "Climbing roses" in kept.answer


def test_one_thing_the_conversation_is_about_has_no_alternatives() -> None:
    # QuAC: "the album" is one album; its first and second albums are not cases to list.
    first = "The group's first album, Map of the Human Soul, was released in 2003."
    second = "It was not until their second album, High Society, that they became popular."
    assert alternatives.qualifier("Was the album a success?", first) is None
    assert alternatives.qualifier("Was an album of theirs a success?", first) == ("first", "album")
    hit = Hit("quac", "c1", "p.md", "p.md", "", 0.9, f"{first} {second}")
    sel = _selection("Was the album a success?", [(first, 0, 0.5, hit), (second, 1, 0.4, hit)])
    assert sel.alternatives() == []


def test_a_number_of_another_case_is_not_the_asked_ones() -> None:
    # Seen in the CLI: "And a whole chicken?" after the steak → "Rest a whole chicken … for 15
    # to 30 minutes, loosely covered with foil" — the whole roast's time, passed as supported.
    question = "How long should I rest a whole chicken?"
    chicken = "A whole roast chicken rests about 15 minutes."
    said = "Rest a whole chicken for 15 to 30 minutes, loosely covered with foil."
    problem = alternatives.misattributed(said, question, [ROAST, chicken])
    assert problem is not None and "chicken" in problem
    verdict = verify(said, question, [ROAST, chicken])
    assert verdict.repaired and verdict.answer.startswith("“")
    assert verify(
        "Rest a whole chicken for about 15 minutes.", question, [ROAST, chicken]
    ).supported
    # Each case with its own number, in one sentence, is no mix-up.
    both = "Rest a thin steak for about 5 minutes and a thick one for 8 to 10 minutes."
    assert alternatives.misattributed(both, STEAK_Q, [THIN, THICK]) is None


def test_a_runner_up_with_the_question_s_own_case_takes_the_best_s_place() -> None:
    # Seen in the answer-time benchmark: "How often should I water tomatoes in pots?" was
    # answered with the tomatoes in the ground (0.48) over the tomatoes in pots (0.24).
    ground = "Tomatoes in the ground need a deep watering two or three times a week."
    pots = "Tomatoes in pots dry out much faster and usually need water every day in summer."
    hit = Hit("gardening", "c1", "watering.md", "watering.md", "", 0.8, f"{ground} {pots}")
    question = "How often should I water tomatoes in pots?"
    sel = _selection(question, [(ground, 0, 0.481, hit), (pots, 1, 0.238, hit)])
    assert [c.sentence for c in sel.evidence()] == [pots]
    # about one thing (QuAC: "the album"), the ranking stands
    first = "The album sold well in Europe."
    second = "The album was recorded in Paris in pots of money."
    other = _selection(
        "Was the album recorded in Paris?", [(first, 0, 0.48, hit), (second, 1, 0.24, hit)]
    )
    assert [c.sentence for c in other.evidence()] == [first]
