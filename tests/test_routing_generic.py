"""Everyday questions as out-of-scope anchors in the automatic routing fit (MiniLM, no mocks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frontdesk import routing_fit, routing_generic
from frontdesk.calibration import load_calibration
from frontdesk.embeddings import MiniLMEmbedder
from frontdesk.plugins import Plugin

BANK = [
    "What is my account balance?",
    "Transfer 200 dollars to my savings",
    "I lost my debit card",
    "How do I freeze my card?",
    "What is the interest rate on my loan?",
    "Can I deposit a cheque with my phone?",
    "Why was I charged a fee?",
    "Set up a direct deposit",
    "How much do I owe on my mortgage?",
    "Show my last five transactions",
]
TRAVEL = [
    "Book a flight to Lisbon",
    "Find me a hotel near the station",
    "Do I need a visa for Japan?",
    "My luggage was lost at the airport",
    "When does my train leave?",
    "Cancel my hotel reservation",
    "What is the baggage allowance?",
    "Renew my passport",
    "Is my flight delayed?",
    "Rent a car at the airport",
]
SCIENCE = [  # a plugin about everyday topics, close to some of the shipped everyday questions
    "Why is the sky blue?",
    "How far is the moon?",
    "What makes earthquakes happen?",
    "How do black holes form?",
    "Why does ice float?",
    "What is photosynthesis?",
    "How hot is the sun?",
    "What is a light year?",
    "Why do leaves turn red in autumn?",
    "How do volcanoes erupt?",
]


def plugin(name: str, description: str, examples: list[str]) -> Plugin:
    rest = {"model": "fake:echo", "system_prompt": "", "knowledge_paths": (), "top_k": 3}
    rest.update(chunk_size=700, chunk_overlap=100, root=Path("."), origin="test")
    return Plugin(name=name, description=description, examples=tuple(examples), topics=(), **rest)


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One anchor cache for the module: the everyday questions are embedded once."""
    return tmp_path_factory.mktemp("anchors") / "anchors.sqlite"


PLUGINS = [
    plugin("bank", "Banking: balances, transfers, cards, loans", BANK),
    plugin("travel", "Travel: flights, hotels, trains, visas, luggage", TRAVEL),
]


def test_a_question_close_to_everyday_ones_and_far_from_plugins_is_rejected(
    minilm: MiniLMEmbedder, cache: Path, tmp_path: Path
) -> None:
    calib = routing_fit.auto_fit(PLUGINS, minilm, cache=cache)
    assert calib.report["generic"] is not None
    assert any("everyday questions" in line for line in calib.report["lines"])
    calib.save(tmp_path)  # what the engine serves: the fit as saved and loaded again
    loaded = load_calibration(tmp_path)
    assert loaded is not None
    router = routing_fit.build(PLUGINS, minilm, loaded, {}, cache)
    assert router.generic is not None
    # Plain similarity puts this one above the fitted `reject` for travel (Portugal, a
    # destination); it is much closer to an everyday question about languages.
    asked = ["What language do they speak in Portugal?", "Is my train on time?"]
    assert routing_fit.decisions(router, minilm.embed(asked), asked) == [None, "travel"]
    route = router.route("What language do they speak in Portugal?")
    assert route.mode == "coordinator" and not route.plugins


def test_requests_to_an_assistant_that_no_plugin_serves_are_rejected(
    minilm: MiniLMEmbedder, cache: Path
) -> None:
    # Session 6 added requests people make of an assistant (tickets, local shops, …) to the
    # everyday questions; before, these two were routed to travel ("tomorrow night", "near
    # my house" read like trips). Neither sentence is in generic_questions.txt.
    calib = routing_fit.auto_fit(PLUGINS, minilm, cache=cache)
    router = routing_fit.build(PLUGINS, minilm, calib, {}, cache)
    asked = [
        "can you get me seats for the hockey game tomorrow night",
        "is the chemist near my house open this evening",
        "Is my flight to Rome on time?",
        "I can't find my credit card anywhere",
    ]
    assert not set(asked) & set(routing_generic.questions())
    got = routing_fit.decisions(router, minilm.embed(asked), asked)
    assert got == [None, None, "travel", "bank"]


def test_everyday_questions_near_a_plugin_are_dropped_and_its_examples_still_route(
    minilm: MiniLMEmbedder, cache: Path
) -> None:
    plugins = [*PLUGINS, plugin("science", "Science: space, the earth, nature, physics", SCIENCE)]
    calib = routing_fit.auto_fit(plugins, minilm, cache=cache)
    kept = {routing_generic.questions()[i] for i in calib.report["generic"]["kept"]}
    assert "Why is the sky blue during the day?" not in kept  # near the science plugin
    assert "Who painted the Mona Lisa?" in kept
    router = routing_fit.build(plugins, minilm, calib, {}, cache)
    asked = [
        "Why is the sky blue during the day?",
        "What causes earthquakes?",
        "How do tides work?",
    ]
    assert routing_fit.decisions(router, minilm.embed(asked), asked) == ["science"] * 3
    # every plugin's own examples, each scored with its own anchor left out, still route
    sims, gold = routing_fit._leave_one_out(router, plugins)
    examples = minilm.embed([e for p in plugins for e in p.examples])
    lowered = sims - router.shift(examples)[:, None]
    routed = (lowered.argmax(1) == gold) & (lowered.max(1) >= calib.default.reject)
    assert routed.sum() >= len(routed) - 2  # keep 96% of 30: two may fall below `reject`


def test_closeness_shift_is_capped() -> None:
    vecs = np.eye(4, dtype=np.float32)
    anchors = routing_generic.GenericAnchors(vecs[:2], weight=0.6, cap=0.2)
    shift = anchors.shift(vecs)
    assert shift[0] == pytest.approx(0.2)  # 0.6 * mean of (1, 0) would be 0.3
    assert shift[3] == pytest.approx(0.0)


def test_shipped_vectors_are_minilm_vectors_of_the_current_questions(
    minilm: MiniLMEmbedder,
) -> None:
    shipped = routing_generic.vectors(minilm, lambda texts: pytest.fail("embedded again"))
    texts = list(routing_generic.questions())
    assert shipped.shape == (len(texts), 384)
    sample = [0, len(texts) // 2, len(texts) - 1]
    fresh = minilm.embed([texts[i] for i in sample])
    assert np.all(np.sum(fresh * shipped[sample], axis=1) > 0.999)  # float16, renormalised


def test_reject_is_placed_between_everyday_questions_and_examples() -> None:
    # The examples' leave-one-out scores: three odd examples, unlike the rest, score 0. A 3%
    # quantile (session 6's rule) would rest on them and let every question through.
    examples = np.r_[np.full(97, 0.5), np.zeros(3)]
    everyday = np.full(50, -0.1)
    t = routing_generic.threshold(examples, everyday)
    mean = everyday.mean() + routing_generic.BETWEEN * (examples.mean() - everyday.mean())
    assert t == pytest.approx(mean)
    assert (examples >= t).mean() == 0.97
    # never fewer than 90% nor more than 99% of the examples kept routed
    assert (examples >= routing_generic.threshold(examples, np.full(50, 0.9))).mean() >= 0.90
    low = routing_generic.threshold(np.linspace(0, 1, 101), np.full(50, -5.0))
    assert low == pytest.approx(0.01)
