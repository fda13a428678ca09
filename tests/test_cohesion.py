"""A quoted sentence that leans on the one before it brings that one along (cohesion.py)."""

from __future__ import annotations

from frontdesk import cohesion
from frontdesk.answering import Candidate, Selection
from frontdesk.store import Hit

SADDLE = [
    "Sit on the bike with your heel on the pedal at its lowest point: your leg should be straight.",
    "When you then pedal with the ball of the foot, the knee keeps a slight bend of about 25 to "
    "35 degrees.",
    "A saddle that is too low strains the front of the knee; one that is too high makes the hips "
    "rock.",
    "Change height in steps of 5 mm.",
]


def _selection(
    question: str, sentences: list[str], order: list[int], scores: list[float]
) -> Selection:
    hit = Hit("cycling", "fit-3", "fit.md", "fit.md", "Saddle height", 0.6, " ".join(sentences))
    ranked = [Candidate(hit, sentences[i], i, 0.4, s) for i, s in zip(order, scores, strict=True)]
    return Selection(ranked, 0.93, True, question)


def test_a_step_that_follows_another_is_quoted_with_it() -> None:
    # "How high should my saddle be?" → "“When you then pedal with the ball of the foot, the knee
    # keeps a slight bend of about 25 to 35 degrees. A saddle that is too low …”": the step it
    # follows ("Sit on the bike with your heel on the pedal …") was left out.
    sel = _selection(
        "How high should my saddle be?", SADDLE, [1, 2, 0, 3], [0.42, 0.42, 0.05, 0.04]
    )
    said = [c.sentence for c in sel.evidence()]
    assert said[0] == SADDLE[0] and SADDLE[1] in said
    assert SADDLE[3] not in said  # nothing else comes with it


def test_only_sentences_that_cannot_stand_alone_lean() -> None:
    assert cohesion.leans("Then tighten the bolt a quarter turn.")
    assert cohesion.leans("If you then pedal backwards, the chain should not skip.")
    assert cohesion.leans("This takes about ten minutes.")
    assert cohesion.leans("Otherwise the dough tears.")
    # a story goes on without its previous sentence; a demonstrative with its noun names it
    assert not cohesion.leans("He then moved to Paris, where he met Picasso.")
    assert not cohesion.leans("This album was released in 1994.")
    assert not cohesion.leans("Water every day in summer.")


def test_the_sentence_before_comes_only_from_the_same_chunk() -> None:
    first = Hit("cycling", "a-1", "a.md", "a.md", "", 0.6, "Pump the tyre.")
    second = Hit("cycling", "b-1", "b.md", "b.md", "", 0.6, "Then check the pressure.")
    ranked = [
        Candidate(second, "Then check the pressure.", 1, 0.5, 0.9),
        Candidate(first, "Pump the tyre.", 0, 0.3, 0.1),
    ]
    assert cohesion.with_antecedents(ranked[:1], ranked) == ranked[:1]


def test_the_sentence_before_comes_only_from_the_same_paragraph() -> None:
    # a leaning sentence opening a section does not lean on the last one of the section above
    text = "## Pumping\nPump the tyre.\n\n## Checking\nThen check the pressure with a gauge."
    hit = Hit("cycling", "a-1", "a.md", "a.md", "", 0.6, text)
    ranked = [
        Candidate(hit, "Then check the pressure with a gauge.", 1, 0.5, 0.9),
        Candidate(hit, "Pump the tyre.", 0, 0.3, 0.1),
    ]
    assert cohesion.with_antecedents(ranked[:1], ranked) == ranked[:1]
