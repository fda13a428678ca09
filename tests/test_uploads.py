"""Uploads into a plugin's knowledge: allowed types, a size limit, and nothing outside it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import InputError


def test_upload_lands_in_the_knowledge_folder_and_ingests(
    engine: Engine, plugin_root: Path
) -> None:
    saved = engine.add_document(
        "kitchen", "soup.md", b"# Soup\n\nSimmer the soup for twenty minutes."
    )
    assert saved.path == (plugin_root / "kitchen" / "knowledge" / "soup.md").resolve()
    report = engine.ingest(["kitchen"])[0]
    assert [Path(p).name for p in report.added] == ["soup.md"]


@pytest.mark.parametrize(
    "name, data, words",
    [
        ("../escape.md", b"x", "not a plain file name"),
        ("/etc/cron.d/x.md", b"x", "not a plain file name"),
        ("..\\evil.md", b"x", "not a plain file name"),
        (".hidden.md", b"x", "not a plain file name"),
        ("tool.exe", b"MZ", "file type not allowed"),
        ("big.txt", b"a" * 20_000_001, "the limit is"),
        ("photo.txt", b"\x89PNG\x00\x00binary", "binary"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(
    engine: Engine, plugin_root: Path, tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    before = sorted(p.name for p in (plugin_root / "kitchen" / "knowledge").iterdir())
    with pytest.raises(InputError, match=words):
        engine.add_document("kitchen", name, data)
    after = sorted(p.name for p in (plugin_root / "kitchen" / "knowledge").iterdir())
    assert before == after
    assert not (plugin_root / "kitchen" / "escape.md").exists()


def test_an_upload_never_silently_overwrites_a_document(engine: Engine, plugin_root: Path) -> None:
    folder = plugin_root / "kitchen" / "knowledge"
    original = (folder / "steak.md").read_bytes()
    same = engine.add_document("kitchen", "steak.md", original)
    assert same.path.name == "steak.md" and "unchanged" in same.note
    other = b"# Steak\n\nA different steak note."
    kept = engine.add_document("kitchen", "steak.md", other)
    assert kept.path.name == "steak-2.md" and "saved as steak-2.md" in kept.note
    assert (folder / "steak.md").read_bytes() == original
    third = engine.add_document("kitchen", "steak.md", b"# Steak\n\nYet another.")
    assert third.path.name == "steak-3.md"
    replaced = engine.add_document("kitchen", "steak.md", other, replace=True)
    assert replaced.path.name == "steak.md" and "replaced" in replaced.note
    assert (folder / "steak.md").read_bytes() == other
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_background_ingest_reports_progress_and_its_result(engine: Engine) -> None:
    engine.add_document("kitchen", "soup.md", b"# Soup\n\nSimmer the soup for twenty minutes.")
    job = engine.jobs.start("kitchen")
    assert engine.jobs.start("kitchen") is job or not job.running  # one at a time per plugin
    deadline = time.time() + 60
    while job.running and time.time() < deadline:
        time.sleep(0.05)
    assert not job.running and not job.error
    assert job.describe().startswith("Done: kitchen") and "1 new" in job.describe()
    assert "soup.md" in {h.source_name for h in engine.search("simmer soup", "kitchen")}
    folder = engine.plugins["kitchen"].knowledge_dirs()[0]
    folder.rename(folder.with_name("moved"))  # a failing ingest is reported, not lost
    failed = engine.jobs.start("kitchen")
    while failed.running:
        time.sleep(0.05)
    assert "ingest failed" in failed.describe() and "does not exist" in failed.describe()
