"""A real `frontdesk ingest` killed with SIGKILL at several points leaves every document fully
old or fully new to queries, and one more ingest makes the store equal to a clean ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin

WORDS = [
    "flour",
    "water",
    "salt",
    "yeast",
    "oven",
    "crust",
    "crumb",
    "knead",
    "proof",
    "bake",
    "loaf",
    "starter",
]


def paragraphs(tag: str, n: int) -> str:
    """n paragraphs of ~600 characters: one chunk each at the default chunk size."""
    out = []
    for i in range(n):
        body = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(90))
        out.append(f"{tag} paragraph {i}: {body}.")
    return "# Bread\n\n" + "\n\n".join(out)


def env_for(home: Path, plugins: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "FRONTDESK_HOME": str(home),
        "FRONTDESK_PLUGINS_PATH": str(plugins),
        "FRONTDESK_BUNDLED_PLUGINS": "false",
        "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
        "FRONTDESK_TEST_EMBEDDER": "hash",
        "FRONTDESK_INGEST_BATCH": "5",
        **extra,
    }


def ingest(home: Path, plugins: Path, pause_at: str = "") -> str:
    """Run `frontdesk ingest`; with `pause_at`, SIGKILL it once it reaches that point."""
    extra = {"FRONTDESK_TEST_PAUSE_AT": pause_at} if pause_at else {}
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "ingest"],
        env=env_for(home, plugins, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not pause_at:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        return out
    assert proc.stderr is not None
    timer = threading.Timer(300, proc.kill)  # a hung ingest must not hang the suite
    timer.start()
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if f"paused at {pause_at}" in line:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
    finally:
        timer.cancel()
    assert proc.returncode == -signal.SIGKILL, f"ingest never reached {pause_at}: {lines}"
    return ""


def engine_for(home: Path, plugins: Path) -> Engine:
    settings = Settings(
        home=home,
        plugins_path=str(plugins),
        bundled_plugins=False,
        entry_point_plugins=False,
        store_probe=False,
    )
    return Engine(settings, embedder=HashEmbedder())


def visible(home: Path, plugins: Path) -> dict[str, set[str]]:
    """What queries see: the chunk texts of each source (a fresh engine, as a new server)."""
    eng = engine_for(home, plugins)
    out: dict[str, set[str]] = {}
    for hit in eng.search("flour water salt yeast paragraph", "bakery", k=100):
        out.setdefault(hit.source_name, set()).add(hit.text)
    return out


def raw_chunks(home: Path, plugins: Path) -> int:
    return int(engine_for(home, plugins).store._collection("bakery").count())


@pytest.fixture
def bakery(tmp_path: Path) -> tuple[Path, Path]:
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "bakery",
        "Baking bread.",
        ["How long should bread proof?"],
        {"big.md": paragraphs("old", 23), "small.md": "# Crust\n\nBake the loaf until hollow."},
    )
    return tmp_path, plugins


def clean_view(tmp_path: Path, plugins: Path, name: str) -> dict[str, set[str]]:
    home = tmp_path / f"clean-{name}"
    ingest(home, plugins)
    return visible(home, plugins)


@pytest.mark.parametrize("point", ["start", "batch", "commit", "delete"])
def test_killed_update_leaves_old_or_new_and_next_ingest_repairs(
    bakery: tuple[Path, Path], point: str
) -> None:
    tmp_path, plugins = bakery
    big = plugins / "bakery" / "knowledge" / "big.md"
    old = clean_view(tmp_path, plugins, "old")
    big.write_text(paragraphs("new", 21))
    new = clean_view(tmp_path, plugins, "new")
    assert len(old["big.md"]) == 23 and len(new["big.md"]) == 21 and old["big.md"] != new["big.md"]

    home = tmp_path / "home"
    big.write_text(paragraphs("old", 23))
    ingest(home, plugins)
    big.write_text(paragraphs("new", 21))
    ingest(home, plugins, pause_at=point)

    seen = visible(home, plugins)
    expected = new if point == "delete" else old
    assert seen == expected  # every document complete, in one version
    if point in ("batch", "commit", "delete"):
        assert raw_chunks(home, plugins) > 24  # the kill really left extra chunks behind

    report = ingest(home, plugins)
    assert ("1 changed" in report) == (point != "delete"), report
    assert visible(home, plugins) == new
    assert raw_chunks(home, plugins) == 22  # no orphans left: as a clean ingest
    assert "0 new, 0 changed, 0 removed, 2 unchanged" in ingest(home, plugins)


def test_killed_first_ingest_shows_nothing_partial(bakery: tuple[Path, Path]) -> None:
    tmp_path, plugins = bakery
    clean = clean_view(tmp_path, plugins, "first")
    home = tmp_path / "home"
    ingest(home, plugins, pause_at="batch")
    seen = visible(home, plugins)
    assert "big.md" not in seen  # before the kill, only part of it was written
    assert raw_chunks(home, plugins) > 0
    ingest(home, plugins)
    assert visible(home, plugins) == clean
    assert raw_chunks(home, plugins) == 24


def test_file_over_the_chunk_cap_is_refused_and_the_rest_ingest(
    bakery: tuple[Path, Path],
) -> None:
    tmp_path, plugins = bakery
    settings = Settings(
        home=tmp_path / "home",
        plugins_path=str(plugins),
        bundled_plugins=False,
        entry_point_plugins=False,
        max_chunks_per_file=10,
    )
    eng = Engine(settings, embedder=HashEmbedder())
    report = eng.ingest(["bakery"])[0]
    assert len(report.errors) == 1
    line = report.errors[0]
    assert "big.md" in line and "23 chunks" in line and "FRONTDESK_MAX_CHUNKS_PER_FILE" in line
    assert [Path(p).name for p in report.added] == ["small.md"]
    sources = {h.source_name for h in eng.search("bake loaf hollow", "bakery", k=10)}
    assert sources == {"small.md"}

    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk", "ingest"],
        env=env_for(tmp_path / "home2", plugins, FRONTDESK_MAX_CHUNKS_PER_FILE="10"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "big.md: 23 chunks, over the limit of 10" in proc.stderr
