"""Routing without tuning: one index, knowledge summaries, automatic fit, overlaps, labels."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from frontdesk import routing_summaries
from frontdesk.calibration import load_calibration
from frontdesk.engine import Engine
from frontdesk.router import Router
from frontdesk.routing_index import description_phrases
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin

WORDS = {
    "bank": ["balance", "transfer", "card", "loan", "interest", "deposit", "cheque"],
    "travel": ["flight", "hotel", "train", "passport", "visa", "luggage", "airport"],
    "food": ["recipe", "oven", "restaurant", "soup", "bread", "salad", "dessert"],
}


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().embed(texts)


@pytest.fixture
def eng(tmp_path: Path, make_settings: Callable[..., Settings]) -> Engine:
    """Three plugins with 14 examples each (42 in all: enough for fitted thresholds)."""
    root = tmp_path / "fit-plugins"
    for name, words in WORDS.items():
        examples = [f"question on my {a} and {b}" for a in words for b in words[:2] if a != b]
        write_plugin(root, name, f"{name}: {', '.join(words)}", examples, {"a.md": " ".join(words)})
    engine = Engine(make_settings(plugins_path=str(root)), embedder=CountingEmbedder())
    engine.ingest()
    return engine


def test_description_phrases() -> None:
    assert description_phrases("Banking: balances, transfers and card freezes.") == [
        "Banking",
        "balances",
        "transfers",
        "card freezes",
    ]
    assert description_phrases("Everything about one thing") == []


def test_routing_is_fitted_without_calibrate_and_refitted_when_plugins_change(
    eng: Engine, tmp_path: Path
) -> None:
    assert load_calibration(eng.settings.home) is None
    assert eng.route("my flight and hotel").plugins[0].name == "travel"
    calib = load_calibration(eng.settings.home)
    assert calib is not None and calib.report["auto"] is True
    assert calib.default.reject != 0.34  # fitted from 42 leave-one-out examples, not defaults
    mark = calib.report["fingerprint"]

    folder = tmp_path / "fit-plugins" / "food"
    toml = (folder / "plugin.toml").read_text()
    (folder / "plugin.toml").write_text(toml.replace("examples = [", 'examples = ["pizza dough", '))
    eng.reload_plugins()
    eng.route("pizza dough")
    again = load_calibration(eng.settings.home)
    assert again is not None and again.report["fingerprint"] != mark


def test_a_calibration_from_calibrate_is_not_overwritten(eng: Engine) -> None:
    from frontdesk.calibration import fit

    manual = fit(list(eng.plugins.values()), eng.embedder)
    manual.save(eng.settings.home)
    _ = eng.router
    kept = load_calibration(eng.settings.home)
    assert kept is not None and not kept.report.get("auto")


def test_one_index_scores_as_the_per_plugin_store_queries(engine: Engine) -> None:
    plugins = list(engine.plugins.values())
    old = Router(plugins, engine.embedder, knowledge=engine.store.best_score)
    new = engine.router
    assert new.knowledge is None and new.index.summaries is not None  # no store query per plugin
    for q in ("How long should I rest a steak?", "prune roses in winter", "tax returns"):
        v = engine.embedder.embed([q])[0]
        assert np.allclose(old.similarities(v), new.similarities(v), atol=1e-5)


def test_summaries_are_stored_at_ingest_and_follow_the_documents(engine: Engine) -> None:
    got = routing_summaries.load(engine.store, ["kitchen", "garden"])
    assert set(got) == {"kitchen", "garden"} and len(got["garden"]) == 2  # two one-chunk docs
    folder = engine.plugins["garden"].root / "knowledge"
    (folder / "compost.md").write_text("Turn the compost heap every two weeks.")
    engine.ingest(["garden"])
    assert len(routing_summaries.load(engine.store, ["garden"])["garden"]) == 3


def test_centroids_are_unit_vectors_and_bounded() -> None:
    x = np.random.default_rng(0).normal(size=(500, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = routing_summaries.centroids(x)
    assert c.shape == (routing_summaries.MAX_CLUSTERS, 16)
    assert np.allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-5)


def test_anchor_vectors_are_cached_between_start_ups(eng: Engine) -> None:
    _ = eng.router
    embedder = eng.embedder
    assert isinstance(embedder, CountingEmbedder)
    before = embedder.texts
    eng.reload_plugins()
    _ = eng.router
    assert embedder.texts == before  # every anchor came from the cache


@pytest.fixture
def overlapping(tmp_path: Path, make_settings: Callable[..., Settings]) -> Engine:
    """A garden plugin and a git plugin that both prune side branches."""
    root = tmp_path / "overlap"
    write_plugin(
        root, "garden", "Gardening and plants", ["prune tomato side branches", "water roses"], {}
    )
    write_plugin(
        root, "git", "Version control", ["delete side branches", "prune remote branches"], {}
    )
    return Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())


def test_overlaps_are_reported_by_plugin_pair(overlapping: Engine) -> None:
    _ = overlapping.router
    calib = load_calibration(overlapping.settings.home)
    assert calib is not None
    pairs = {(o["plugin"], o["confused_with"]) for o in calib.report["overlaps"]}
    assert ("garden", "git") in pairs
    assert any("route to 'git'" in line for line in calib.report["lines"])


def test_refit_needs_a_minimum_count_of_labels(eng: Engine) -> None:
    report = eng.refit_routing([("my passport", "travel")] * 3)
    assert report["kept"] is False and "at least" in report["reason"]
    assert not load_calibration(eng.settings.home) or not load_calibration(eng.settings.home).labels


def test_good_corrections_change_where_a_question_goes(eng: Engine) -> None:
    question = "the weekend getaway budget"
    assert eng.route(question).plugins == [] or eng.route(question).plugins[0].name != "travel"
    labels: list[tuple[str, str | None]] = [
        (f"the weekend getaway {w}", "travel") for w in ("budget", "plans", "ideas", "costs")
    ]
    labels += [(f"{w} getaway weekend", "travel") for w in ("cheap", "short", "long", "city")]
    labels += [
        (f"the getaway for a weekend {w}", "travel") for w in ("soon", "later", "now", "away")
    ]
    report = eng.refit_routing(labels)
    assert report["kept"] is True, report
    assert eng.route(question).plugins[0].name == "travel"
    assert load_calibration(eng.settings.home).labels  # type: ignore[union-attr]


def test_bad_corrections_are_not_kept(eng: Engine) -> None:
    """Labels that send the bank's own questions to travel would route examples worse."""
    bank = eng.plugins["bank"].examples
    labels = [(e + " please", "travel") for e in bank] + [(e, "travel") for e in bank[:4]]
    report = eng.refit_routing(labels)
    assert report["kept"] is False and "worse" in report["reason"], report
    assert eng.route(bank[0]).plugins[0].name == "bank"


def test_none_corrections_reject_similar_questions(eng: Engine) -> None:
    question = eng.plugins["food"].examples[0] + " tonight"
    assert eng.route(question).plugins
    labels: list[tuple[str, str | None]] = [(f"{question} {w}", None) for w in WORDS["travel"]]
    labels += [(f"{w} {question}", None) for w in WORDS["travel"]]
    report = eng.refit_routing(labels)
    assert report["kept"] is True, report
    assert eng.route(question).plugins == []
    assert "correction" in eng.route(question).reason


def test_labels_round_trip_through_the_calibration_file(eng: Engine) -> None:
    _ = eng.router
    calib = load_calibration(eng.settings.home)
    assert calib is not None
    calib.labels = [("a question", "bank"), ("another", None)]
    calib.save(eng.settings.home)
    again = load_calibration(eng.settings.home)
    assert again is not None and again.labels == [("a question", "bank"), ("another", None)]
    data = json.loads((eng.settings.home / "calibration.json").read_text())
    assert data["labels"] == [["a question", "bank"], ["another", None]]


def test_plugin_overlaps_for_check_and_eval(overlapping: Engine) -> None:
    from frontdesk.routing_fit import format_overlaps, plugin_overlaps

    lines = format_overlaps(plugin_overlaps(overlapping))
    assert any("'garden' route to 'git'" in line and "prune tomato" in line for line in lines)


def test_answers_and_reloads_go_on_while_a_refit_runs(
    eng: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refit from feedback held the engine's lock throughout: every turn waited at routing
    and a reload waited too. Here the real refit is held at its start until the test lets go."""
    from frontdesk import routing_fit

    started, release = threading.Event(), threading.Event()
    real_refit = routing_fit.refit

    def held_refit(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(60)
        return real_refit(*args, **kwargs)

    monkeypatch.setattr(routing_fit, "refit", held_refit)
    labels: list[tuple[str, str | None]] = [(f"weekend getaway {i}", "travel") for i in range(12)]
    refit = threading.Thread(target=eng.refit_routing, args=(labels,), daemon=True)
    _ = eng.runner  # the graph exists before the refit starts, as on a serving engine
    refit.start()
    assert started.wait(30)
    done: list[str] = []

    def ask_and_reload() -> None:
        answer = eng.ask("question on my balance and transfer")
        done.append(answer.route["plugins"][0]["name"])
        eng.reload_plugins()
        done.append("reloaded")

    worker = threading.Thread(target=ask_and_reload, daemon=True)
    worker.start()
    worker.join(60)  # a deadlock bound, not a timing: it finishes at once or never
    finished = list(done)
    release.set()
    refit.join(60)
    assert finished == ["bank", "reloaded"]


def test_a_refit_over_a_plugin_set_that_was_swapped_meanwhile_is_not_applied(
    eng: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk import routing_fit

    real_refit = routing_fit.refit

    def refit_then_reload(*args: Any, **kwargs: Any) -> Any:
        out = real_refit(*args, **kwargs)
        eng.reload_plugins()  # the plugin set changes while the refit was computed
        return out

    monkeypatch.setattr(routing_fit, "refit", refit_then_reload)
    labels: list[tuple[str, str | None]] = [
        (f"the weekend getaway {w}", "travel") for w in ("budget", "plans", "ideas", "costs")
    ]
    labels += [(f"{w} getaway weekend", "travel") for w in ("cheap", "short", "long", "city")]
    labels += [(f"the getaway for a weekend {w}", "travel") for w in ("soon", "later", "now")]
    report = eng.refit_routing(labels)
    assert report["kept"] is False and "changed" in report["reason"], report
    calib = load_calibration(eng.settings.home)
    assert calib is None or not calib.labels  # nothing of the stale refit was saved
