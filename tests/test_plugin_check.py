"""`frontdesk plugin check` and `frontdesk ingest` of every plugin (issue 10 item 5)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.plugins import discover
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin


@pytest.fixture
def run(make_settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """The CLI in-process; `run.settings` may be replaced before a call."""

    def invoke(*argv: str, settings: Settings | None = None) -> tuple[int, str, str]:
        chosen = settings or make_settings()
        monkeypatch.setattr(cli, "_engine", lambda: Engine(chosen, embedder=HashEmbedder()))
        monkeypatch.setattr(cli, "_settings", lambda: chosen)
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_every_problem_of_a_file_is_reported_at_once(run, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "prompt.md").write_text("You are terse.")
    (folder / "plugin.toml").write_text(
        'name = "Bad Name"\nmodle = "x"\nsystem_prompt = "hi"\nprompt_file = "prompt.md"\n'
        'model = "llamacpp:/no/such/model.gguf"\n'
        "[retrieval]\ntop_k = 0\n"
    )
    code, _, err = run("plugin", "check", str(folder))
    assert code == 2
    for field in ("name", "description", "modle", "retrieval.top_k", "prompt_file", "model"):
        assert f"field '{field}'" in err, field
    assert len(err.strip().splitlines()) == 6


def test_a_missing_knowledge_path_is_reported_beside_the_field_errors(run, tmp_path: Path) -> None:
    """Found as a plugin author: with a field error in the manifest, the missing knowledge
    folder was only reported once the field was fixed — one more round trip."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "plugin.toml").write_text(
        'name = "bad"\ndescription = "Fine words."\nexamples = "not a list"\n'
        '[knowledge]\npaths = ["docs", "../elsewhere/*.md"]\n'
    )
    code, _, err = run("plugin", "check", str(folder))
    assert code == 2
    assert "field 'examples'" in err
    assert "knowledge path 'docs'" in err and "knowledge path '../elsewhere/*.md'" in err, err
    assert len(err.strip().splitlines()) == 3
    (folder / "docs").mkdir()  # a path that exists is not reported
    code, _, err = run("plugin", "check", str(folder))
    assert "'docs'" not in err and len(err.strip().splitlines()) == 2, err


def test_duplicate_name_is_found_when_checking_one_folder(run, make_settings, tmp_path) -> None:
    # `kitchen` already exists on the plugin path (conftest); a second one elsewhere clashes.
    other = write_plugin(
        tmp_path / "elsewhere", "kitchen", "A second kitchen plugin.", [], {"a.md": "x"}
    )
    code, _, err = run("plugin", "check", str(other))
    assert code == 2
    assert "duplicate plugin name 'kitchen'" in err and "plugins/kitchen/plugin.toml" in err


@pytest.mark.parametrize(
    "extra, field, words",
    [
        ({"model": "llamacpp:/no/such/model.gguf"}, "model", "/no/such/model.gguf"),
        ({"extra": 'api_key_env = "FD_TEST_NO_SUCH_KEY"'}, "api_key_env", "FD_TEST_NO_SUCH_KEY"),
    ],
)
def test_missing_model_file_or_api_key_variable_is_an_error_at_check_time(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra, field, words
) -> None:
    monkeypatch.delenv("FD_TEST_NO_SUCH_KEY", raising=False)
    folder = write_plugin(
        tmp_path / "p", "hosted", "A plugin on its own model.", [], {"a.md": "t"}, **extra
    )
    code, _, err = run("plugin", "check", str(folder))
    assert code == 2 and f"field '{field}'" in err and words in err
    if field == "api_key_env":  # set, it passes, and the key is never printed
        monkeypatch.setenv("FD_TEST_NO_SUCH_KEY", "secret")
        code, out, err = run("plugin", "check", str(folder))
        assert code == 0 and "secret" not in out + err


def test_chunk_overlap_not_smaller_than_chunk_size_is_an_error(run, tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "p", "chunky", "A plugin with odd chunks.", [], {"a.md": "t"})
    with (folder / "plugin.toml").open("a") as f:
        f.write("[retrieval]\nchunk_size = 300\nchunk_overlap = 300\n")
    code, _, err = run("plugin", "check", str(folder))
    assert code == 2 and "field 'retrieval.chunk_overlap'" in err and "chunk_overlap (300)" in err
    assert (
        discover(
            Settings(
                plugins_path=str(tmp_path / "p"), bundled_plugins=False, entry_point_plugins=False
            )
        ).plugins
        == {}
    )


def test_scaffold_placeholders_left_in_place_are_warned(run, tmp_path: Path) -> None:
    code, _, _ = run("plugin", "new", "astro", "--dir", str(tmp_path))
    code, out, err = run("plugin", "check", str(tmp_path / "astro"))
    assert code == 0 and "ok  astro" in out
    warnings = [line for line in err.splitlines() if line.startswith("warning")]
    assert any("description" in w and "placeholder" in w for w in warnings)
    assert any("examples" in w for w in warnings)
    assert any("about.md" in w for w in warnings)
    # Replaced text: no warnings left.
    toml = tmp_path / "astro" / "plugin.toml"
    text = toml.read_text()
    text = text.replace(
        "Describe in one or two sentences what astro knows about; the router reads this.",
        "Stars, planets and telescopes for amateur astronomers.",
    )
    text = text.replace("A question a user would ask this plugin", "When is Mars visible?")
    text = text.replace("Another typical question, worded differently", "Which telescope?")
    toml.write_text(text)
    (tmp_path / "astro" / "knowledge" / "about.md").write_text("Mars is bright in January.")
    code, out, err = run("plugin", "check", str(tmp_path / "astro"))
    assert code == 0 and "warning" not in err


def test_entry_point_with_a_missing_folder_names_its_package(
    run, make_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "fd_ghost").mkdir(parents=True)
    (site / "fd_ghost" / "__init__.py").write_text(
        "from pathlib import Path\n\ndef plugin_dirs():\n    return Path(__file__).parent / 'gone'\n"
    )
    dist = site / "fd_ghost-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fd-ghost\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[frontdesk.plugins]\nghost = fd_ghost:plugin_dirs\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        code, _, err = run("plugin", "check", settings=make_settings(entry_point_plugins=True))
    finally:
        sys.modules.pop("fd_ghost", None)
    assert code == 2
    line = next(x for x in err.splitlines() if "gone" in x)
    assert "package 'fd-ghost'" in line and "entry point 'ghost'" in line
    assert "does not exist" in line


def test_ingest_of_all_plugins_ingests_every_good_one_and_fails_at_the_end(
    run, make_settings, plugin_root: Path
) -> None:
    # "aaa" sorts first and has a missing knowledge path; a broken manifest sits there too.
    lost = write_plugin(plugin_root, "aaa", "A plugin whose knowledge is gone.", [], {})
    text = (lost / "plugin.toml").read_text().replace('["knowledge"]', '["nowhere"]')
    (lost / "plugin.toml").write_text(text)
    (plugin_root / "zzz").mkdir()
    (plugin_root / "zzz" / "plugin.toml").write_text('name = "zzz"\n')
    settings = make_settings()
    code, out, err = run("ingest", settings=settings)
    assert code == 1
    lines = out.splitlines()
    table = next(lines[i:] for i, x in enumerate(lines) if x.split()[:2] == ["plugin", "status"])
    rows = {line.split()[0]: line for line in table[1:]}
    assert rows["kitchen"].split()[1] == "ok" and rows["garden"].split()[1] == "ok"
    assert rows["aaa"].split()[1] == "FAILED" and "nowhere" in err
    assert any("zzz" in line and "FAILED" in line for line in table)
    assert table[-1] == "2 ok, 2 failed"
    eng = Engine(settings, embedder=HashEmbedder())
    assert eng.store.stats("kitchen")["chunks"] > 0 and eng.store.stats("garden")["chunks"] > 0


def test_ingest_of_all_good_plugins_exits_zero(run) -> None:
    code, out, _ = run("ingest")
    assert code == 0 and "2 ok, 0 failed" in out
