"""plugin.toml validation and plugin discovery."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from frontdesk.plugins import discover
from frontdesk.settings import Settings

from .conftest import write_plugin


def _settings(tmp_path: Path, *dirs: Path, **kw: object) -> Settings:
    import os

    return Settings(
        home=tmp_path / "home",
        plugins_path=os.pathsep.join(map(str, dirs)),
        bundled_plugins=kw.pop("bundled_plugins", False),
        entry_point_plugins=kw.pop("entry_point_plugins", False),
        **kw,
    )


def _manifest(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "plugin.toml").write_text(text)
    return folder


GOOD = 'name = "{name}"\ndescription = "A perfectly fine plugin description."\n'


@pytest.mark.parametrize(
    "text, field, words",
    [
        ('name = "x"\ndescription = ', "(file)", "invalid TOML"),
        ('name = "broken"\n', "description", "missing"),
        ('description = "A perfectly fine plugin description."\n', "name", "missing"),
        (GOOD.format(name="Bad Name"), "name", "lowercase"),
        (GOOD.format(name="broken") + 'model = "gpt:four"\n', "model", "unknown model backend"),
        (GOOD.format(name="broken") + 'modle = "llamacpp:smollm2"\n', "modle", "unknown field"),
        (GOOD.format(name="broken") + "[retrieval]\ntop_k = 0\n", "retrieval.top_k", "greater"),
        (GOOD.format(name="broken") + 'prompt_file = "missing.md"\n', "prompt_file", "cannot read"),
    ],
)
def test_broken_manifest_is_reported_with_file_and_field_and_others_still_load(
    tmp_path: Path, text: str, field: str, words: str
) -> None:
    root = tmp_path / "plugins"
    write_plugin(
        root, "good", "A plugin that works as it should.", [], {"a.md": "hello there world"}
    )
    _manifest(root / "zz-broken", text)
    found = discover(_settings(tmp_path, root))
    assert list(found.plugins) == ["good"]
    assert len(found.errors) == 1
    message = str(found.errors[0])
    assert str(root / "zz-broken" / "plugin.toml") in message
    assert f"field '{field}'" in message
    assert words in message
    assert "\n" not in message


def test_duplicate_name_keeps_the_first_and_reports_the_second(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_plugin(a, "same", "The first plugin with this name.", [], {})
    write_plugin(b, "same", "The second plugin with this name.", [], {})
    found = discover(_settings(tmp_path, a, b))
    assert found.plugins["same"].description == "The first plugin with this name."
    assert "duplicate plugin name 'same'" in str(found.errors[0])
    assert str(b / "same" / "plugin.toml") in str(found.errors[0])


def test_plugins_path_holds_several_folders_and_bundled_can_be_switched_off(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_plugin(a, "alpha", "Alpha plugin for the test.", [], {})
    write_plugin(b, "beta", "Beta plugin for the test.", [], {})
    only_mine = discover(_settings(tmp_path, a, b))
    assert sorted(only_mine.plugins) == ["alpha", "beta"]
    with_bundled = discover(_settings(tmp_path, a, b, bundled_plugins=True))
    assert {"cooking", "gardening", "cycling"} <= set(with_bundled.plugins)
    assert with_bundled.plugins["cooking"].origin == "bundled"


def test_manifest_paths_and_prompt_file_resolve_relative_to_the_plugin(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "p", "rel", "Relative paths plugin.", ["q?"], {"x.md": "t"})
    (folder / "prompt.md").write_text("You are terse.")
    text = (
        (folder / "plugin.toml")
        .read_text()
        .replace('system_prompt = "You are the rel specialist."', 'prompt_file = "prompt.md"')
    )
    (folder / "plugin.toml").write_text(text)
    plugin = discover(_settings(tmp_path, tmp_path / "p")).plugins["rel"]
    assert plugin.system_prompt == "You are terse."
    assert plugin.knowledge_files() == [(folder / "knowledge" / "x.md").resolve()]


def test_entry_point_plugins_are_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package declaring `[frontdesk.plugins]` in its entry points contributes its folder."""
    site = tmp_path / "site"
    pkg = site / "fd_weather"
    write_plugin(pkg, "weather", "Weather forecasts and climate questions.", [], {"w.md": "rain"})
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\n\ndef plugin_dirs():\n    return [Path(__file__).parent / 'weather']\n"
    )
    dist = site / "fd_weather-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fd-weather\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[frontdesk.plugins]\nweather = fd_weather:plugin_dirs\n"
    )
    monkeypatch.syspath_prepend(str(site))
    found = discover(_settings(tmp_path, entry_point_plugins=True))
    assert "weather" in found.plugins
    assert found.plugins["weather"].origin.startswith("entry point 'weather'")
    sys.modules.pop("fd_weather", None)


def test_missing_knowledge_path_is_one_clear_line(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "p", "lost", "Plugin whose knowledge is gone.", [], {})
    text = (folder / "plugin.toml").read_text().replace('["knowledge"]', '["nowhere"]')
    (folder / "plugin.toml").write_text(text)
    plugin = discover(_settings(tmp_path, tmp_path / "p")).plugins["lost"]
    with pytest.raises(Exception) as info:
        plugin.knowledge_files()
    assert "nowhere" in str(info.value) and "knowledge.paths" in str(info.value)
