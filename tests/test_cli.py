"""The `frontdesk` command, run in-process on fake models and embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder


@pytest.fixture
def run(make_settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    settings: Settings = make_settings()
    monkeypatch.setattr(cli, "_engine", lambda: Engine(settings, embedder=HashEmbedder()))

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_ingest_then_ask_json(run) -> None:
    code, out, _ = run("ingest")
    assert code == 0 and "kitchen: 2 files (2 new" in out
    code, out, _ = run("ask", "How long should I rest a steak?", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {"answer", "route", "citations", "usage"}
    assert data["route"]["plugins"][0]["name"] == "kitchen"


def test_route_file_prints_one_json_object_a_line(run, tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("How long should I rest a steak?\n\nWho painted the Mona Lisa?\n")
    code, out, _ = run("route", "--file", str(questions), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 2
    assert set(lines[0]) == {"query", "plugins", "mode", "reason"}
    assert lines[0]["plugins"][0]["name"] == "kitchen" and lines[0]["mode"] == "specialist"
    assert lines[1]["plugins"] == [] and lines[1]["mode"] == "coordinator"


@pytest.mark.parametrize(
    "argv, code, words",
    [
        (("ask", "  "), 2, "the question is empty"),
        (("ask", "hello there", "--plugin", "nope"), 2, "unknown plugin 'nope'"),
        (("search", "steak", "--plugin", "kitchen", "--k", "0"), 2, "--k must be between"),
        (("route", "--file", "/no/such/file.txt"), 2, "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(run, argv, code, words) -> None:
    got, out, err = run(*argv)
    assert got == code
    assert err.startswith("frontdesk: error: ") and words in err
    assert err.count("\n") == 1 and out == ""


def test_plugin_new_scaffolds_a_plugin_that_checks_and_ingests(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_settings
) -> None:
    where = tmp_path / "mine"
    where.mkdir()
    code, out, _ = run("plugin", "new", "astronomy", "--dir", str(where))
    assert code == 0 and (where / "astronomy" / "plugin.toml").is_file()
    code, out, err = run("plugin", "check", str(where / "astronomy"))
    assert code == 0 and "ok  astronomy: 1 knowledge files" in out
    code, _, err = run("plugin", "new", "astronomy", "--dir", str(where))
    assert code == 2 and "already exists" in err

    settings = make_settings(plugins_path=str(where))
    eng = Engine(settings, embedder=HashEmbedder())
    assert list(eng.plugins) == ["astronomy"]
    assert eng.ingest(["astronomy"])[0].chunks_added >= 1


def test_plugin_check_reports_broken_manifests(run, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "plugin.toml").write_text('name = "broken"\n')
    code, _, err = run("plugin", "check", str(broken))
    assert code == 2 and "field 'description': missing" in err
