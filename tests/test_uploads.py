"""Uploads into a plugin's knowledge: allowed types, a size limit, and nothing outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import InputError


def test_upload_lands_in_the_knowledge_folder_and_ingests(
    engine: Engine, plugin_root: Path
) -> None:
    path = engine.add_document(
        "kitchen", "soup.md", b"# Soup\n\nSimmer the soup for twenty minutes."
    )
    assert Path(path) == (plugin_root / "kitchen" / "knowledge" / "soup.md").resolve()
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
