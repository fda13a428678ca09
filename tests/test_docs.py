"""The plugin guide's sample plugin loads, ingests and answers (so the guide stays true)."""

from __future__ import annotations

from collections.abc import Callable

from frontdesk.engine import Engine
from frontdesk.plugin_check import check_plugins
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import REPO

SAMPLE = REPO / "docs" / "sample-plugin"


def test_sample_plugin_checks_ingests_and_answers(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(plugins_path=str(SAMPLE))
    report = check_plugins(SAMPLE / "tea", settings)
    assert report.problems == report.warnings == []
    assert report.ok[0].startswith("ok  tea: 1 knowledge files")
    eng = Engine(settings, embedder=HashEmbedder())
    assert list(eng.plugins) == ["tea"]
    eng.ingest()
    answer = eng.ask("What water temperature should I use for green tea?")
    assert answer.route["plugins"][0]["name"] == "tea"
    assert answer.citations[0]["source"] == "brewing.md"


def test_readme_lists_every_setting() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("home", "plugins_path", "bundled_plugins", "coordinator_model", "chroma_url"):
        assert f"FRONTDESK_{name.upper()}" in readme, name


def test_example_plugins_have_several_pages_of_their_own_knowledge() -> None:
    for name in ("cooking", "gardening", "cycling"):
        files = list((REPO / "knowledge" / name).iterdir())
        words = sum(len(f.read_text().split()) for f in files)
        assert len(files) >= 3 and words > 900, (name, len(files), words)
        assert (REPO / "plugins" / name / "plugin.toml").is_file()
