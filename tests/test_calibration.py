"""Calibration: thresholds and the routing model fitted from data, saved, and used."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from frontdesk import cli
from frontdesk.calibration import fit, load_calibration
from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.router import Router
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin

TOPICS = {
    "bank": ["account balance", "money transfer", "card payment", "loan interest"],
    "travel": ["flight booking", "hotel room", "train ticket", "passport visa"],
    "food": ["recipe ingredients", "oven baking", "restaurant table", "vegetable soup"],
}


def _labelled() -> list[tuple[str, str | None]]:
    rows: list[tuple[str, str | None]] = []
    for name, topics in TOPICS.items():
        for t in topics:
            for lead in ("please help with my", "question about the", "I need a", "tell me about"):
                rows.append((f"{lead} {t}", name))
    rows += [(f"what is the weather like on day {i}", None) for i in range(10)]
    return rows


@pytest.fixture
def topic_engine(tmp_path: Path, make_settings: Callable[..., Settings]) -> Engine:
    root = tmp_path / "topic-plugins"
    for name, topics in TOPICS.items():
        folder = write_plugin(
            root,
            name,
            f"Everything about {name} matters.",
            [f"my {t}" for t in topics],
            {"a.md": " ".join(topics)},
        )
        text = (folder / "plugin.toml").read_text()
        (folder / "plugin.toml").write_text(
            text.replace("[knowledge]", f"topics = {json.dumps(topics)}\n[knowledge]")
        )
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest()
    return eng


def test_fit_with_labels_sets_thresholds_that_keep_95_percent(topic_engine: Engine) -> None:
    plugins = list(topic_engine.plugins.values())
    assert plugins[0].topics  # topics from the manifest become routing anchors
    labelled = _labelled()
    calib = fit(plugins, topic_engine.embedder, labelled, knowledge=topic_engine.store.best_score)
    after = calib.report["after"]
    assert after["in_scope_routed"] >= 0.95
    assert after["top1_accuracy"] >= 0.9
    assert "out_of_scope_rejected" in after
    assert calib.model is not None and calib.model.classes == [p.name for p in plugins]
    probs = calib.model.probabilities(topic_engine.embedder.embed(["money transfer"])[0])
    assert probs.shape == (3,) and abs(float(probs.sum()) - 1) < 1e-5
    assert [p for p in plugins if p.name == "bank"][0] and int(np.argmax(probs)) == 0


def test_too_few_questions_keep_default_thresholds(topic_engine: Engine) -> None:
    calib = fit(list(topic_engine.plugins.values()), topic_engine.embedder)
    assert any("too few in-scope questions" in line for line in calib.report["lines"])
    assert calib.default.reject == 0.34 and calib.model is not None


def test_calibrate_command_saves_and_the_router_uses_it(
    topic_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps({"query": q, "plugin": p}) for q, p in _labelled()))
    monkeypatch.setattr(cli, "_engine", lambda: topic_engine)
    assert cli.main(["calibrate", "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "before:" in out and "after:" in out and "saved to" in out
    saved = load_calibration(topic_engine.settings.home)
    assert saved is not None and saved.model is not None
    router = topic_engine.router
    assert isinstance(router, Router) and router.model is not None
    assert router.default.reject == saved.default.reject

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "plugin": "nope"}\n')
    assert cli.main(["calibrate", "--labels", str(bad)]) == 2
    assert "unknown plugins: nope" in capsys.readouterr().err


def test_model_for_other_plugins_is_ignored(topic_engine: Engine) -> None:
    calib = fit(list(topic_engine.plugins.values()), topic_engine.embedder, _labelled())
    others = list(topic_engine.plugins.values())[:2]
    router = Router(others, topic_engine.embedder, model=calib.model)
    assert router.model is None


def test_bad_labels_file_is_one_line(tmp_path: Path) -> None:
    from frontdesk.calibration import read_labels

    path = tmp_path / "l.jsonl"
    path.write_text('{"query": "ok", "plugin": null}\nnot json\n')
    with pytest.raises(InputError, match=r"l.jsonl:2: expected"):
        read_labels(path)
