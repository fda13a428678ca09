"""Query likelihood with the real bundled SmolLM2 (benchmarks/likelihood.py)."""

from __future__ import annotations

import pytest
from benchmarks import likelihood

ANSWERS = "The bakery on Mill Street opens at seven in the morning and closes at noon."
OTHER = "The river behind the old church floods almost every spring."
QUESTION = "When does the bakery on Mill Street open?"


@pytest.fixture(scope="module")
def scorer() -> likelihood.QueryLikelihood:
    return likelihood.bundled(1)


def test_the_answering_sentence_makes_the_question_likelier(
    scorer: likelihood.QueryLikelihood,
) -> None:
    answers = scorer.score(QUESTION, ANSWERS)
    other = scorer.score(QUESTION, OTHER)
    prior = scorer.score(QUESTION, None)
    assert answers.tokens == other.tokens > 3
    assert answers.mean > other.mean
    assert answers.mean > prior.mean  # positive pointwise mutual information
    # the evaluated-prefix reuse gives the same figure as a fresh evaluation
    scorer._last = []
    assert scorer.score(QUESTION, OTHER).mean == pytest.approx(other.mean, abs=1e-3)


def test_only_llamacpp_specs_are_scored() -> None:
    assert likelihood.supports("llamacpp:smollm2")
    assert not likelihood.supports("ollama:llama3.2")
    assert not likelihood.supports("openai:gpt-4o-mini")
