"""The character n-gram signal fused with MiniLM in the automatic routing fit (no mocks)."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk import routing_fit, routing_lexical
from frontdesk.calibration import Calibration
from frontdesk.embeddings import MiniLMEmbedder
from frontdesk.router import Thresholds
from frontdesk.routing_lexical import LexicalIndex
from tests.test_routing_generic import BANK, plugin

TRAVEL = [
    "Book a flight to Paris",
    "Find me a hotel in Rome",
    "Do I need a visa for Japan?",
    "My luggage was lost at the airport",
    "When does my train to Berlin leave?",
    "Cancel my hotel reservation in Madrid",
    "What is the baggage allowance to London?",
    "Renew my passport",
    "Is my flight to New York delayed?",
    "Rent a car at the Lisbon airport",
]
CLOCK = [
    "What time is it?",
    "What time is it right now?",
    "Set a timer for ten minutes",
    "Wake me up at seven",
    "Set an alarm for 6 am",
    "How many minutes until noon?",
    "Start a stopwatch",
    "Cancel my alarm",
    "Remind me in an hour",
    "What is today's date?",
]
PLUGINS = [
    plugin("travel", "Travel: flights, hotels, trains, visas, luggage", TRAVEL),
    plugin("clock", "Clock: time, timers, alarms, dates", CLOCK),
    plugin("bank", "Banking: balances, transfers, cards, loans", BANK),
]


def test_lexical_scores_come_from_the_nearest_anchor_texts_and_leave_one_out_works() -> None:
    anchors = ["transfer money to savings", "freeze my card", "book a flight", "hotel in rome"]
    index = LexicalIndex(anchors, np.array([0, 0, 1, 1]), ["banking", "travel"])
    sims = index.similarities(["freeze my card", "transferring money", "flights to rome"])
    assert sims[0, 0] > 0.5 > 0.2 > sims[0, 1]  # an anchor's own text counts
    assert sims[1, 0] > sims[1, 1]  # "transferring" still meets "transfer"
    assert sims[2, 1] > sims[2, 0]
    # Left out, an example no longer finds itself: only its plugin's other texts count.
    out = index.similarities(["freeze my card"], np.array([1]))
    assert out[0, 0] < sims[0, 0] - 0.3
    assert index.similarities(["freeze my card"], np.array([-1]))[0, 0] == sims[0, 0]
    # Many texts are scored in blocks: the same numbers as all at once.
    texts = [f"{a} {i}" for i in range(3) for a in anchors]
    whole = index.similarities(texts)
    index.rows = 10**6  # blocks of 3 texts
    assert np.allclose(index.similarities(texts), whole)


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_misspelled_requests_reach_their_plugin_after_the_automatic_fit(
    minilm: MiniLMEmbedder,
) -> None:
    """MiniLM's word pieces lose a misspelled word; its character n-grams still match the
    plugin's examples. Before the lexical signal "cancl my alrm" was rejected and the others
    were routed only as "closest fit", below the confident threshold."""
    calib = routing_fit.auto_fit(PLUGINS, minilm)
    assert calib.report["lexical"] == routing_lexical.WEIGHT
    router = routing_fit.build(PLUGINS, minilm, calib, {})
    asked = {
        "cancl my alrm": "clock",
        "stopwtch": "clock",
        "lugage lost": "travel",
        "pasport renewal": "travel",
    }
    for question, name in asked.items():
        route = router.route(question)
        assert [p.name for p in route.plugins] == [name], (question, route.reason)
        # These two are routed, but in the ambiguous band: "pasport renewal" since session 6,
        # whose everyday questions about permits and licences sit near it (0.157 against
        # `accept` 0.183).
        if question not in ("cancl my alrm", "pasport renewal"):
            assert router.accepts(route.plugins[0]), (question, route.reason)
    vecs = minilm.embed(list(asked))
    assert routing_fit.decisions(router, vecs, list(asked)) == list(asked.values())


def test_leave_one_out_scores_leave_the_examples_own_text_out(minilm: MiniLMEmbedder) -> None:
    calib = routing_fit.auto_fit(PLUGINS, minilm)
    router = routing_fit.build(PLUGINS, minilm, calib, {})
    sims, gold = routing_fit._leave_one_out(router, PLUGINS)
    texts = [e for p in PLUGINS for e in p.examples]
    plain = router.index.similarities(minilm.embed(texts))
    with_own = plain + router.boost(texts)
    own = sims[np.arange(len(gold)), gold]
    # With its own text among its plugin's nearest an example scores higher; left out it cannot.
    assert np.all(own < with_own[np.arange(len(gold)), gold] - 1e-6)


def test_a_calibration_made_by_calibrate_keeps_plain_similarities(
    minilm: MiniLMEmbedder,
) -> None:
    """`frontdesk calibrate` fits its thresholds on similarities without the lexical signal:
    its calibration must be served on the same scores."""
    router = routing_fit.build(PLUGINS, minilm, Calibration(Thresholds()), {})
    assert router.lexical is None
    vec = minilm.embed(["cancl my alrm"])[0]
    plain = router.similarities(vec)
    assert [s.score for s in router.route("cancl my alrm").scores] == sorted(
        plain.tolist(), reverse=True
    )


def test_too_few_examples_keep_default_thresholds_and_plain_similarities(
    minilm: MiniLMEmbedder,
) -> None:
    """The default thresholds were set for plain similarities; the lexical signal would lift
    every score above them, so it is used only with thresholds fitted on it."""
    few = [plugin(p.name, p.description, list(p.examples[:3])) for p in PLUGINS]
    calib = routing_fit.auto_fit(few, minilm)
    assert calib.default == Thresholds() and calib.report["lexical"] == 0.0
    assert routing_fit.build(few, minilm, calib, {}).lexical is None


def test_a_fitted_index_is_kept_and_read_back_the_same(tmp_path) -> None:
    # Fitting takes seconds at 1,000 plugins: a start-up with the same anchors reads it back.
    anchors = TRAVEL + CLOCK
    owner = np.repeat([0, 1], [len(TRAVEL), len(CLOCK)])
    descriptions = ["Travel: flights, hotels", "Clock: alarms, timers"]
    first = LexicalIndex(anchors, owner, descriptions, cache=tmp_path)
    (kept,) = tmp_path.glob("lexical-*.npz")
    again = LexicalIndex(anchors, owner, descriptions, cache=tmp_path)
    asked = ["cancl my alrm", "lugage lost", "pasport renewal"]
    assert np.array_equal(first.boost(asked), again.boost(asked))
    assert list(tmp_path.glob("lexical-*.npz")) == [kept]
    # Other anchors are another index; a damaged file is fitted again, not trusted.
    LexicalIndex(anchors[:-1], owner[:-1], descriptions, cache=tmp_path)
    assert len(list(tmp_path.glob("lexical-*.npz"))) == 2
    kept.write_bytes(b"not an index")
    fixed = LexicalIndex(anchors, owner, descriptions, cache=tmp_path)
    assert np.array_equal(fixed.boost(asked), first.boost(asked))
