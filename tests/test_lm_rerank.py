"""The opt-in follow-up re-ranker (frontdesk.lm_rerank): its arithmetic, the setting, and query
likelihood with the real bundled SmolLM2."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from pydantic import ValidationError

from frontdesk import answering, cli, lm_rerank
from frontdesk.answering import Candidate, Selection
from frontdesk.settings import Settings
from frontdesk.store import Hit

ANSWERS = "The bakery on Mill Street opens at seven in the morning and closes at noon."
OTHER = "The river behind the old church floods almost every spring."
QUESTION = "When does the bakery on Mill Street open?"


# --- arithmetic (no model) -------------------------------------------------------------------


def test_features_shift_the_unscored_candidates_by_the_mean_conversation_effect() -> None:
    base = np.array([2.0, 1.0, 0.0])
    ql = np.array([-3.0, -1.0, -2.0])
    x = lm_rerank.features(base, ql, np.array([-2.5]))
    # the selector's logit, its gap, the rank; ql, its gap, is-best; the conversation's gap and
    # is-best, where candidates 2 and 3 (not scored with it) get ql + (-2.5 - -3.0)
    expected = np.array(
        [
            [2.0, 0.0, 0.0, -3.0, -2.0, 0.0, -2.0, 0.0],
            [1.0, -1.0, -1.0, -1.0, 0.0, 1.0, 0.0, 1.0],
            [0.0, -2.0, -2.0, -2.0, -1.0, 0.0, -1.0, 0.0],
        ]
    )
    np.testing.assert_allclose(x, expected)
    assert lm_rerank.features(base, None, np.array([-2.0, -1.0, -3.0])).shape == (3, 5)
    with pytest.raises(ValueError):
        lm_rerank.features(base, None, np.array([-2.0]))


def _weights(form: lm_rerank.Form, coef: list[float]) -> lm_rerank.Weights:
    return lm_rerank.Weights(form, np.array(coef), 0.0)


def test_order_follows_the_fitted_score_and_ties_keep_the_selectors_order() -> None:
    form = lm_rerank.Form(3, True, 0)
    base = np.array([2.0, 1.0, 0.0])
    on_ql = _weights(form, [0, 0, 0, 0, 1.0, 0])  # only the likelihood's gap counts
    assert lm_rerank.order(on_ql, base, np.array([-3.0, -1.0, -2.0]), None) == [1, 2, 0]
    assert lm_rerank.order(on_ql, base, np.array([-1.0, -1.0, -1.0]), None) == [0, 1, 2]
    on_base = _weights(form, [1.0, 0, 0, 0, 0, 0])
    assert lm_rerank.order(on_base, base, np.array([-3.0, -1.0, -2.0]), None) == [0, 1, 2]


@dataclass
class Scripted:
    """Likelihoods given per sentence (the real model is tested below)."""

    means: dict[str, float]
    calls: int = 0

    def score(self, question: str, passage: str | None, context: str = "") -> lm_rerank.Score:
        self.calls += 1
        bonus = 0.5 if context and "Previous answer: s0" in context else 0.0
        return lm_rerank.Score(self.means[str(passage)] + bonus, 1)


def _selection(n: int, covered: bool = True) -> Selection:
    hit = Hit("p", "d", "d", "d", "", 1.0, "text")
    ranked = [Candidate(hit, f"s{i}", i, 0.5, 0.9 - 0.1 * i) for i in range(n)]
    return Selection(ranked, 0.7, covered, "q")


def test_rerank_reorders_only_the_top_of_a_covered_follow_up() -> None:
    weights = _weights(lm_rerank.Form(3, True, 2), [0, 0, 0, 0, 1.0, 0, 1.0, 0])
    model = Scripted({"s0": -3.0, "s1": -2.5, "s2": -1.0, "s3": 0.0})
    sel = _selection(4)
    out = lm_rerank.rerank("llamacpp:x", "q", sel, "q0", "s0", weights, lambda spec: model)
    # s2 scored best (ql; its conversation score is shifted like the others'); s3 is not
    # among the 3 scored and stays where the selector put it; the gate is unchanged
    assert [c.sentence for c in out.ranked] == ["s2", "s1", "s0", "s3"]
    assert (out.confidence, out.covered) == (sel.confidence, sel.covered)
    assert model.calls == 3 + 2
    # a first question, a declined selection, a model without log-probabilities: as it was
    for spec, asked, s in (
        ("llamacpp:x", None, sel),
        ("llamacpp:x", "q0", _selection(4, covered=False)),
        ("ollama:llama3.2", "q0", sel),
    ):
        assert lm_rerank.rerank(spec, "q", s, asked, "s0", weights, lambda _: model) is s
    assert model.calls == 5


def test_the_shipped_weights_load_and_match_their_form() -> None:
    w = lm_rerank.default_weights()
    cols = 3 + (3 if w.form.ql else 0) + (2 if w.form.n_ctx else 0)
    assert w.coef.shape == (cols,) and w.form.n >= w.form.n_ctx


def test_the_previous_question_is_the_last_human_message() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    history = [HumanMessage("Where was she born?"), AIMessage("In Lyon.")]
    assert lm_rerank.previous_question(history) == "Where was she born?"
    assert lm_rerank.previous_question([]) is None


# --- the setting -----------------------------------------------------------------------------


def test_a_bad_followup_rerank_value_is_one_clear_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Settings().followup_rerank == "off"
    with pytest.raises(ValidationError):
        Settings(followup_rerank="yes")
    monkeypatch.setenv("FRONTDESK_FOLLOWUP_RERANK", "bogus")
    assert cli.main(["ask", "When does the bakery open?"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith("frontdesk: error: FRONTDESK_FOLLOWUP_RERANK='bogus'"), err
    assert "'off' or 'lm'" in err
    monkeypatch.setenv("FRONTDESK_FOLLOWUP_RERANK", "lm")
    assert Settings().followup_rerank == "lm"


# --- the real bundled SmolLM2 ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scorer() -> lm_rerank.QueryLikelihood:
    return lm_rerank.scorer("llamacpp:smollm2")  # the instance the product uses too


@pytest.mark.integration
def test_the_answering_sentence_makes_the_question_likelier(
    scorer: lm_rerank.QueryLikelihood,
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


# QuAC dev dialog quac-0076 (CC BY-SA 4.0): a follow-up the selector answers with "They lost the
# titles back to the Freebirds on August 12." and the re-ranker with the championship sentence
KERRY = (
    "On June 17, 1983, he teamed with Bruiser Brody to defeat the Fabulous Freebirds for the "
    "NWA American Tag Team Championship. On July 4, Kerry and his elder brothers Kevin and "
    "David defeated the Fabulous Freebirds in a two out of three falls match to win the NWA "
    "Texas Six-Man Tag Team Championship. They lost the titles back to the Freebirds on "
    "August 12. On September 5, the brothers took on the Fabulous Freebirds in a rematch for "
    "the titles; the Freebirds retained their titles by pinning Kerry. On November 24, Kerry "
    "defeated Michael Hayes in a loser leaves Texas steel cage match. On December 2, the Von "
    "Erichs defeated the Freebirds for their second NWA Six-Man Tag Team Championship. On "
    "December 25, Kerry defeated Kamala by disqualification. On January 30, 1984, he teamed "
    "up with his brothers Mike and David against the Fabulous Freebirds in a six-man tag team"
    " match, which the Von Erichs lost by disqualification. Kerry's biggest career highlight "
    'was on May 6, 1984, when he beat "Nature Boy" Ric Flair in a historic match, in front of'
    " over 45,000 fans at Texas Stadium to win the NWA World Heavyweight Championship. "
    "Kerry's victory was a tribute to his brother David, who had died three months earlier "
    "and for whom the event, the David Von Erich Memorial Parade of Champions, was named. He "
    "lost the belt 18 days later in Yokosuka, Japan, back to Flair in a bout that was marred "
    "by controversy: Von Erich's feet were on the bottom rope following a reversed rollup, "
    "but the referee ignored this and made the count. Kerry has the 12th shortest NWA World "
    "title reign in history. In reality, the NWA only allowed Kerry a short reign, and was "
    "told to drop the belt to Flair before the Night of Champions encounter on May 29 between"
    " Flair and Ricky Steamboat. On July 4, the Von Erichs lost the six man tag title to the "
    "Fabulous Freebirds. The title was held up due to the Freebirds winning after "
    "interference by Killer Khan. On September 3, they defeated the Freebirds in a handicap "
    "steel cage Loser Leaves Texas match for his fourth six man tag title reign."
)
FIRST = "What started the feud?"
FOLLOW_UP = "When did he receive the heavyweight championship title?"
CHAMPION = "Kerry's biggest career highlight was on May 6, 1984"


@pytest.mark.integration
def test_a_follow_up_with_the_setting_on_answers_from_the_sentence_the_scorer_prefers(
    tmp_path_factory: pytest.TempPathFactory, scorer: lm_rerank.QueryLikelihood
) -> None:
    from frontdesk.engine import Engine

    from .conftest import write_plugin

    root = tmp_path_factory.mktemp("lmrerank")
    write_plugin(
        root / "plugins",
        "wrestling",
        "Wrestlers' careers.",
        ["Who won the title?"],
        {"kerry.txt": KERRY},
        model="llamacpp:smollm2",
    )
    engine = Engine(
        Settings(
            home=root / "home",
            plugins_path=str(root / "plugins"),
            bundled_plugins=False,
            entry_point_plugins=False,
            router_llm=False,
        )
    )
    engine.ingest()
    answers = {}
    for mode in ("off", "lm"):  # read per answer: one engine, one thread each
        engine.settings.followup_rerank = mode  # type: ignore[assignment]
        first = engine.ask(FIRST, thread_id=mode, plugin="wrestling", document="kerry.txt")
        answers[mode] = engine.ask(
            FOLLOW_UP, thread_id=mode, plugin="wrestling", document="kerry.txt"
        )
    champion = next(s for s in answering.split_sentences(KERRY) if s.startswith(CHAMPION))
    kept = next(s for s in answering.split_sentences(KERRY) if "on August 12" in s)
    context = lm_rerank.conversation(FIRST, first.answer)
    assert (
        scorer.score(FOLLOW_UP, champion, context).mean
        > scorer.score(FOLLOW_UP, kept, context).mean
    )
    # numbers in an answer are checked against its evidence (verify.py): 1984 is said only
    # when the championship sentence is the evidence
    assert "1984" in answers["lm"].answer, answers["lm"].answer
    assert "1984" not in answers["off"].answer, answers["off"].answer


def test_only_llamacpp_specs_are_scored() -> None:
    assert lm_rerank.supports("llamacpp:smollm2")
    assert not lm_rerank.supports("ollama:llama3.2")
    assert not lm_rerank.supports("openai:gpt-4o-mini")
