"""lifting.lift: the one way a rerank puts a near candidate first."""

from __future__ import annotations

from frontdesk.answering import Candidate
from frontdesk.lifting import lift
from frontdesk.store import Hit


def _c(sentence: str, score: float, position: int) -> Candidate:
    return Candidate(
        Hit("p", "c", "n.md", "n.md", "", 0.5, sentence), sentence, position, 0.5, score
    )


def test_the_lifted_candidate_takes_the_first_score_and_the_rest_keep_their_order() -> None:
    a, b, c = _c("A.", 0.9, 0), _c("B.", 0.5, 1), _c("C.", 0.3, 2)
    first, *rest = lift([a, b, c], c)
    assert (first.sentence, first.score) == ("C.", 0.9)
    assert rest == [a, b] and c.score == 0.3  # the chosen one itself is not changed


def test_a_lift_in_another_order_and_for_a_joined_sentence() -> None:
    a, b, c = _c("A.", 0.9, 0), _c("B.", 0.5, 1), _c("C.", 0.3, 2)
    assert lift([a, b, c], b, rest=[c, a, b])[1:] == [c, a]
    joined, *rest = lift([a, b, c], b, replacing=[b, c], sentence="B. C.", sim=0.7)
    assert (joined.sentence, joined.sim, joined.score) == ("B. C.", 0.7, 0.9) and rest == [a]
