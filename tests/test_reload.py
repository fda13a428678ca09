"""Hot reload of plugins in a running engine and server (issue 10 item 4)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from frontdesk import cli
from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.reload import PluginWatcher, reload_plugins, signature
from frontdesk.reload_client import request_reload
from frontdesk.server import build_app
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin
from .servers import ThreadServer

TEA = ("Tea: brewing green and black tea, water temperature.", ["How hot for green tea?"])
TEA_DOCS = {"brew.md": "Brew green tea with water at 80 degrees for two minutes."}
BREAK = 'name = "kitchen"\ndescription = "short"\nmodle = "x"\n'


def _models(url: str, headers: dict[str, str] | None = None) -> list[str]:
    reply = httpx.get(f"{url}/v1/models", headers=headers or {}, timeout=10)
    return [m["id"] for m in reply.json()["data"]]


def _until(check: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_reload_adds_changes_removes_and_keeps_a_broken_plugins_old_version(
    engine: Engine, plugin_root: Path
) -> None:
    write_plugin(plugin_root, "tea", *TEA, TEA_DOCS)
    report = engine.reload_plugins(ingest=False)
    assert report["added"] == ["tea"] and report["errors"] == []
    engine.ingest(["tea"])
    assert engine.route("At what temperature should I brew green tea?").plugins[0].name == "tea"

    # A broken manifest: the previous kitchen keeps serving; the error says so everywhere.
    (plugin_root / "kitchen" / "plugin.toml").write_text(BREAK)
    report = reload_plugins(engine)
    assert report["kept"] == ["kitchen"] and "kitchen" in report["plugins"]
    assert len(report["errors"]) == 2  # description and modle: every problem at once
    assert all("previous version of plugin 'kitchen' keeps serving" in e for e in report["errors"])
    answer = engine.ask("How long should I rest a steak?")
    assert answer.route["plugins"][0]["name"] == "kitchen" and "eight minutes" in answer.answer
    broken = [p for p in engine.plugin_info() if p["name"] is None]
    assert broken and "keeps serving" in broken[0]["error"]
    checks = [c for c in engine.readiness()["checks"] if c["component"] == "plugin" and not c["ok"]]
    assert any("keeps serving" in c["detail"] for c in checks)

    # Removed folder: gone from the router and the plugin list.
    import shutil

    shutil.rmtree(plugin_root / "garden")
    report = reload_plugins(engine)
    assert report["removed"] == ["garden"] and "garden" not in engine.plugins
    assert all(p.name != "garden" for p in engine.route("When should I prune my roses?").plugins)


def test_a_turn_in_flight_finishes_on_the_plugins_it_started_with(
    engine: Engine, plugin_root: Path
) -> None:
    import shutil

    events = engine.stream("How long should I rest a steak?")
    first = next(events)  # routed to kitchen; its consult has not run yet
    assert first.kind == "route" and first.data["plugins"][0]["name"] == "kitchen"
    shutil.rmtree(plugin_root / "kitchen")
    assert reload_plugins(engine)["removed"] == ["kitchen"]
    final = [e for e in events if e.kind == "answer"][0].data
    assert "eight minutes" in final["answer"] and final["route"]["mode"] == "specialist"
    # The next turn sees the new set.
    assert [p.name for p in engine.route("How long should I rest a steak?").plugins] == []


def test_admin_endpoint_and_cli_reload_a_keyed_server(
    make_settings: Callable[..., Settings],
    plugin_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(api_keys="k-one,k-two")
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    with ThreadServer(build_app(eng, with_ui=False)) as srv:
        auth = {"Authorization": "Bearer k-two"}
        write_plugin(plugin_root, "tea", *TEA, TEA_DOCS)
        assert "frontdesk/tea" not in _models(srv.url, auth)
        refused = httpx.post(f"{srv.url}/v1/admin/reload", json={}, timeout=10)
        assert refused.status_code == 401 and "frontdesk/tea" not in _models(srv.url, auth)

        monkeypatch.setattr(cli, "_settings", lambda: settings)
        code = cli.main(["reload", "--url", srv.url])
        out, err = capsys.readouterr()
        assert code == 0 and "added: tea" in out and "ingesting: tea" in out
        assert "frontdesk/tea" in _models(srv.url, auth)
        assert _until(lambda: eng.store.stats("tea")["chunks"] > 0)
        reply = httpx.post(
            f"{srv.url}/v1/chat/completions",
            headers=auth,
            json={
                "model": "frontdesk",
                "messages": [
                    {"role": "user", "content": "How hot should the water be for green tea?"}
                ],
            },
            timeout=30,
        ).json()
        assert reply["frontdesk"]["route"]["plugins"][0]["name"] == "tea"

        (plugin_root / "kitchen" / "plugin.toml").write_text(BREAK)
        bad = httpx.post(f"{srv.url}/v1/admin/reload", headers=auth, json={"ingest": False}).json()
        assert bad["kept"] == ["kitchen"] and bad["errors"]
        code = cli.main(["reload", "--url", srv.url, "--json"])
        out, err = capsys.readouterr()
        assert code == 2 and json.loads(out)["kept"] == ["kitchen"]
        code = cli.main(["reload", "--url", srv.url, "--no-ingest"])
        out, err = capsys.readouterr()
        assert code == 2 and "kept: kitchen" in out and "field 'description'" in err

        wrong = httpx.post(f"{srv.url}/v1/admin/reload", headers=auth, json={"ingest": "yes"})
        assert wrong.status_code == 400

    code = cli.main(["reload", "--url", srv.url])  # the server is gone
    _, err = capsys.readouterr()
    assert code == 3 and err.count("\n") == 1 and "no frontdesk server answered" in err


def test_watcher_ignores_knowledge_edits_and_sees_manifest_edits(
    engine: Engine, plugin_root: Path
) -> None:
    before = signature(engine)
    (plugin_root / "kitchen" / "knowledge" / "steak.md").write_text("Rest it ten minutes.")
    assert signature(engine) == before  # a document is ingest's business, not a reload's
    with PluginWatcher(engine, interval=0.1, ingest=False) as watcher:
        manifest = plugin_root / "kitchen" / "plugin.toml"
        manifest.write_text(manifest.read_text().replace("Cooking steak", "Cooking lamb, steak"))
        assert _until(lambda: watcher.last_report is not None, timeout=20)
        assert watcher.last_report and watcher.last_report["changed"] == ["kitchen"]
    assert engine.plugins["kitchen"].description.startswith("Cooking lamb, steak")


def test_a_package_installed_while_running_is_found_by_reload(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    eng = Engine(make_settings(entry_point_plugins=True), embedder=HashEmbedder())
    assert "tea" not in eng.plugins
    # `pip install` of a package with the entry point: its files and dist-info appear on the path.
    site = tmp_path / "site"
    write_plugin(site / "fd_tea", "tea", *TEA, TEA_DOCS)
    (site / "fd_tea" / "__init__.py").write_text(
        "from pathlib import Path\n\ndef plugin_dirs():\n    return [Path(__file__).parent / 'tea']\n"
    )
    (site / "fd_tea-0.1.dist-info").mkdir()
    (site / "fd_tea-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fd-tea\nVersion: 0.1\n"
    )
    (site / "fd_tea-0.1.dist-info" / "entry_points.txt").write_text(
        "[frontdesk.plugins]\ntea = fd_tea:plugin_dirs\n"
    )
    monkeypatch.syspath_prepend(str(site))
    try:
        report = eng.reload_plugins(ingest=True)
        assert report["added"] == ["tea"] and report["ingesting"] == ["tea"]
        assert eng.plugins["tea"].origin.endswith("of package 'fd-tea'")
        assert _until(lambda: not eng.jobs.running())
        assert not eng.jobs.get("tea").error  # type: ignore[union-attr]
        answer = eng.ask("At what temperature should I brew green tea?")
        assert answer.route["plugins"][0]["name"] == "tea" and "80 degrees" in answer.answer
    finally:
        sys.modules.pop("fd_tea", None)


@pytest.mark.parametrize("url", ["notaurl", "127.0.0.1:7860", "ftp://127.0.0.1:7860", "http://"])
def test_reload_with_a_malformed_url_is_bad_input(
    url: str, make_settings: Callable[..., Settings]
) -> None:
    """Found as a user: `--url notaurl` said no server answered there (exit 3, "is it
    running?") when the URL itself was wrong."""
    with pytest.raises(InputError, match=r"--url .* is not an http\(s\) URL"):
        request_reload(url, make_settings())
