"""What the product lost against the answer selector on QuAC (benchmarks/quac_gap.py): each
test is a step of the answer path that declined or mangled answerable questions.

Bag-of-words embeddings (frontdesk.testing.HashEmbedder): what is tested is the path, not the
meaning a real embedder adds.
"""

from __future__ import annotations

from frontdesk import answering
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


def test_a_scoped_question_pointing_at_the_document_reaches_the_gate() -> None:
    hit = Hit("quac", "v.1-00000", "vissi.txt", "vissi.txt", "", 0.10, VISSI)
    for q in ("What happens next?", "Are there any other interesting aspects about this article?"):
        assert not answering.select(q, [hit], HashEmbedder()).covered
        assert answering.select(q, [hit], HashEmbedder(), scoped=True).covered, q
