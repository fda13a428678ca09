"""What the product lost against the answer selector on QuAC (benchmarks/quac_gap.py): each
test is a step of the answer path that declined or mangled answerable questions.

Bag-of-words embeddings (frontdesk.testing.HashEmbedder): what is tested is the path, not the
meaning a real embedder adds.
"""

from __future__ import annotations

from frontdesk import answering, specialist
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder

VISSI = (
    "In May 1983, she married Nikos Karvelas, a composer, with whom she collaborated in 1975 "
    "and in November she gave birth to her daughter Sofia. After their marriage, she started a "
    "close collaboration with Karvelas."
)


def test_a_scoped_pronoun_question_sharing_no_word_with_its_document_reaches_the_gate() -> None:
    # "Did they have any children?" shares no word with the passage that answers it (daughter);
    # its subject is the document's, by pronoun. The chunk similarity is below the floor.
    hit = Hit("quac", "v.1-00000", "vissi.txt", "vissi.txt", "", 0.10, VISSI)
    q = "Did they have any children?"
    assert not answering.select(q, [hit], HashEmbedder()).covered  # unscoped: the floor holds
    scoped = answering.select(q, [hit], HashEmbedder(), scoped=True)
    assert scoped.covered
    assert scoped.best is not None and "daughter" in scoped.best.sentence


def test_a_scoped_question_about_something_else_is_still_declined() -> None:
    hit = Hit("quac", "v.1-00000", "vissi.txt", "vissi.txt", "", 0.10, VISSI)
    assert not answering.select(
        "How do I rename a branch?", [hit], HashEmbedder(), scoped=True
    ).covered


def test_an_initial_or_a_title_does_not_end_a_sentence() -> None:
    text = (
        "Graham returned to the WWWF in April 1977 after an agreement with promoter Vincent J. "
        "McMahon (Senior). In 1991 Dr. George Zahorian was tried. She read J. R. R. Tolkien "
        "early. It reached No. 1 in the U.K. charts."
    )
    assert answering.split_sentences(text) == [
        "Graham returned to the WWWF in April 1977 after an agreement with promoter Vincent J. "
        "McMahon (Senior).",
        "In 1991 Dr. George Zahorian was tried.",
        "She read J. R. R. Tolkien early.",
        "It reached No. 1 in the U.K. charts.",
    ]


def _selection(question: str, *sentences: str) -> answering.Selection:
    hit = Hit("quac", "v.1-00000", "doc.txt", "doc.txt", "", 0.5, " ".join(sentences))
    ranked = [answering.Candidate(hit, s, i, 0.5, 0.9 - 0.1 * i) for i, s in enumerate(sentences)]
    return answering.Selection(ranked, 0.9, True, question)


def _cite(hit: Hit) -> dict[str, str]:
    return {"source": hit.source_name}


def test_a_repaired_answer_quotes_the_sentence_that_answers_not_the_runner_up() -> None:
    q = "What plays was she in?"
    sel = _selection(
        q,
        'In the early 1990s, she appeared at "Diogenis Palace" and then at "Rex".',
        "Roger Williams was the director of the production.",
    )
    evidence = sel.ranked  # both shown to the model
    said = "She played the role of the King in a famous opera."  # not in the evidence
    out = specialist.verified("quac", q, said, sel, evidence, 0.5, _cite)
    assert out["grounding"]["repaired"]
    assert (
        out["answer"]
        == '“In the early 1990s, she appeared at "Diogenis Palace" and then at "Rex".”'
    )


def test_a_repaired_answer_keeps_the_runner_up_when_only_it_holds_what_was_asked() -> None:
    q = "How long does a chicken take to thaw in the fridge?"
    sel = _selection(
        q,
        "Thaw a chicken in the fridge, not on the counter.",
        "A whole chicken needs about 24 hours in the fridge.",
    )
    out = specialist.verified("cooking", q, "On the counter.", sel, sel.ranked, 0.5, _cite)
    assert "24 hours" in out["answer"] and "not on the counter" in out["answer"]


def test_a_scoped_question_pointing_at_the_document_reaches_the_gate() -> None:
    hit = Hit("quac", "v.1-00000", "vissi.txt", "vissi.txt", "", 0.10, VISSI)
    for q in ("What happens next?", "Are there any other interesting aspects about this article?"):
        assert not answering.select(q, [hit], HashEmbedder()).covered
        assert answering.select(q, [hit], HashEmbedder(), scoped=True).covered, q
