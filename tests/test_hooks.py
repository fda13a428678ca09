"""Python hooks: the built-in backends registered through them, a plugin folder's hooks.py
(loaders, retrievers, backends, answer post-processing; loaded once), an installed package's
`frontdesk` entry point (in a real subprocess), hook tracing, and the documented hook list."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk import hooks, hookspecs, models
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import REPO, write_plugin

LEDGER_HOOKS = """
from pathlib import Path

from frontdesk import hookimpl
from frontdesk.testing import FakeChatModel

Path(__file__).with_name("imports.log").open("a").write("imported\\n")
RETRIEVED = []


@hookimpl
def register_backends(register):
    register("ledgerllm", lambda spec, options: FakeChatModel(behaviour="facts"))


@hookimpl
def register_loaders(register):
    def csv(path, raw):
        rows = [line.split(",") for line in raw.decode().splitlines()[1:]]
        return "Prices", "\\n".join(f"{item.title()} costs {price} euros." for item, price in rows)

    register(".csv", csv)


@hookimpl
def register_retrievers(register):
    def logged(plugin, question, k, search):
        RETRIEVED.append(question)
        return search(question, k)

    register("logged", logged)


@hookimpl
def process_answer(plugin, question, answer, consult):
    if plugin == "ledger":
        return answer + " (prices checked by the ledger plugin)"
"""


@pytest.fixture(scope="module")
def ledger_hooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hooks file for the module (a file's hooks load once per process)."""
    path = tmp_path_factory.mktemp("ledgerhooks") / "hooks.py"
    path.write_text(LEDGER_HOOKS)
    return path


def ledger(root: Path, hooks_file: Path, extra: str = "") -> Path:
    folder = write_plugin(
        root,
        "ledger",
        "Prices of groceries in the shop ledger.",
        ["How much does a loaf cost?"],
        {},
        "ledgerllm:any",  # a backend its own hooks.py registers
        'hooks = "hooks.py"\n' + extra + '[retrieval]\nretriever = "logged"\n',
    )
    (folder / "knowledge" / "prices.csv").write_text("item,price\nbread,3\nbutter,4\n")
    (folder / "hooks.py").symlink_to(hooks_file)
    return folder


def test_the_built_in_backends_are_registered_through_the_hook() -> None:
    hooks.load()
    impls = {i.plugin_name for i in hooks.pm.hook.register_backends.get_hookimpls()}
    assert "frontdesk.models" in impls
    assert {"llamacpp", "ollama", "openai"} <= set(models.BACKENDS)
    assert models.parse_spec("ollama:qwen2.5:0.5b@http://gpu:11434").base_url == "http://gpu:11434"
    assert "fake" in models.BACKENDS  # register_backend (frontdesk.testing) still works


def test_a_plugin_folder_hooks_add_a_backend_loader_retriever_and_post_processing(
    tmp_path: Path, make_settings: Callable[..., Settings], ledger_hooks: Path
) -> None:
    ledger(tmp_path / "p", ledger_hooks)
    settings = make_settings(plugins_path=str(tmp_path / "p"))
    eng = Engine(settings, embedder=HashEmbedder())
    assert eng.plugin_set.errors == [] and eng.plugins["ledger"].model == "ledgerllm:any"
    (report,) = eng.ingest(["ledger"])
    assert report.files == 1 and not report.errors  # the .csv was read by the hook's loader
    answer = eng.ask("How many euros does bread cost?", plugin="ledger")
    assert answer.answer == "Bread costs 3 euros. (prices checked by the ledger plugin)"
    assert answer.consults[0]["grounding"]["grounded"]
    assert answer.citations[0]["source"] == "prices.csv"
    module = hooks.pm.get_plugin(str(ledger_hooks))
    assert module.RETRIEVED[-1] == "How many euros does bread cost?"
    # Loaded once: another engine and a reload import nothing again.
    Engine(settings, embedder=HashEmbedder()).reload_plugins()
    assert (ledger_hooks.parent / "imports.log").read_text() == "imported\n"


@pytest.mark.parametrize(
    ("hooks_line", "knowledge", "words"),
    [
        ('hooks = "missing.py"', None, "does not exist"),
        ('hooks = "../outside.py"', None, "must be a .py file inside the plugin folder"),
        ('hooks = "knowledge/hooks.py"', "", "lies inside the knowledge folder"),
        ('hooks = "broken.py"', None, "importing"),
    ],
)
def test_a_bad_hooks_file_is_a_manifest_error_and_the_others_still_load(
    tmp_path: Path,
    make_settings: Callable[..., Settings],
    plugin_root: Path,
    hooks_line: str,
    knowledge: str | None,
    words: str,
) -> None:
    folder = write_plugin(plugin_root, "broken", "A plugin with a bad hooks file.", [], {})
    toml = folder / "plugin.toml"
    toml.write_text(f"{hooks_line}\n" + toml.read_text())
    (folder / "broken.py").write_text("raise RuntimeError('boom')\n")
    if knowledge is not None:
        (folder / "knowledge" / "hooks.py").write_text("")
    eng = Engine(make_settings(), embedder=HashEmbedder())
    assert set(eng.plugins) == {"kitchen", "garden"}
    (err,) = eng.plugin_set.errors
    assert err.field == "hooks" and words in str(err), str(err)


def test_an_unknown_retriever_is_a_manifest_error(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    write_plugin(tmp_path, "odd", "A plugin naming a missing retriever.", [], {}, None,
                 '[retrieval]\nretriever = "nowhere"\n')  # fmt: skip
    eng = Engine(make_settings(plugins_path=str(tmp_path)), embedder=HashEmbedder())
    (err,) = eng.plugin_set.errors
    assert err.field == "retrieval.retriever" and "no retriever named 'nowhere'" in str(err)


def test_tracing_logs_each_hook_call_with_its_plugins_and_time(
    tmp_path: Path,
    make_settings: Callable[..., Settings],
    ledger_hooks: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ledger(tmp_path / "p", ledger_hooks)
    eng = Engine(make_settings(plugins_path=str(tmp_path / "p"), trace_hooks=True), HashEmbedder())
    try:
        eng.ingest(["ledger"])
        with caplog.at_level(logging.INFO, logger="frontdesk.hooks"):
            eng.ask("How many euros does butter cost?", plugin="ledger")
    finally:
        hooks.trace(False)
    lines = [r.getMessage() for r in caplog.records if r.name == "frontdesk.hooks"]
    assert any(
        re.fullmatch(rf"hook process_answer ran {re.escape(str(ledger_hooks))} in \d+\.\d ms", m)
        for m in lines
    ), lines


def test_an_installed_package_registers_hooks_through_the_entry_point(tmp_path: Path) -> None:
    """A real `frontdesk` subprocess finds a package's `frontdesk` entry point: its plugin
    folder (register_plugins) loads, and --trace-hooks shows the calls. A second package that
    fails to import is reported while the first still works."""
    site = tmp_path / "site"
    pkg = site / "abacus_hooks"
    (pkg / "abacus" / "knowledge").mkdir(parents=True)
    (pkg / "abacus" / "plugin.toml").write_text(
        'name = "abacus"\ndescription = "Arithmetic on an abacus, bead by bead."\n'
        '[knowledge]\npaths = ["knowledge"]\n'
    )
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\nfrom frontdesk import hookimpl\n\n\n@hookimpl\n"
        "def register_plugins(register):\n    register(Path(__file__).parent / 'abacus')\n"
    )
    (site / "broken_hooks.py").write_text("raise ImportError('no such thing')\n")
    for dist, module in (("abacus_hooks", "abacus_hooks"), ("broken_hooks", "broken_hooks")):
        info = site / f"{dist}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[frontdesk]\n{dist} = {module}\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "FRONTDESK_HOME": str(tmp_path / "home"),
        "FRONTDESK_BUNDLED_PLUGINS": "false",
        "FRONTDESK_PLUGINS_PATH": "",
        "FRONTDESK_TEST_EMBEDDER": "hash",  # listing plugins needs no real embeddings
        "FRONTDESK_STORE_PROBE": "false",
    }
    done = subprocess.run(
        [sys.executable, "-m", "frontdesk", "--trace-hooks", "plugins", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    (abacus,) = [p for p in listed if p["name"] == "abacus"]
    assert abacus["origin"] == "register_plugins hook"
    (broken,) = [p for p in listed if p["name"] is None]
    assert "broken_hooks" in broken["error"] and "no such thing" in broken["error"]
    assert re.search(r"hook register_plugins ran abacus_hooks in \d+\.\d ms", done.stderr)
    assert "hook register_backends ran frontdesk.models" in done.stderr


def test_the_plugin_guide_lists_exactly_the_hooks_of_the_hookspec() -> None:
    guide = (REPO / "docs" / "plugins.md").read_text()
    section = guide.split("\n## Hooks\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^- `(\w+)\(", section, re.M))
    specified = {n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "frontdesk_spec")}
    assert documented == specified
