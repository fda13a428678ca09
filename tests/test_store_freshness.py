"""The store's freshness check reads the change token only when the local catalogue file was
written since the last read (store_freshness.py), and still sees every ingest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk import store as store_module
from frontdesk import store_freshness
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.store_manifest import bump_token
from frontdesk.testing import HashEmbedder

from .test_store_health import frontdesk


def age(home: Path, seconds: float = 5.0) -> None:
    """Make the catalogue files look written `seconds` ago (past the settle window)."""
    for f in (home / "chroma").glob("chroma.sqlite3*"):
        then = time.time() - seconds
        os.utime(f, (then, then))


@pytest.fixture
def token_reads(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    reads: list[str | None] = []
    real = store_module.read_token

    def counted(client: object) -> str | None:
        reads.append(token := real(client))
        return token

    monkeypatch.setattr(store_module, "read_token", counted)
    return reads


def test_an_untouched_store_is_not_read_again_and_a_write_is_seen(
    make_settings: Callable[..., Settings],
    token_reads: list[str | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(store_probe=False)
    eng = Engine(settings, embedder=HashEmbedder())
    eng.ingest()
    store = eng.store
    age(settings.home)
    assert store.refresh() is False
    reads = len(token_reads)
    assert [store.refresh() for _ in range(5)] == [False] * 5
    assert len(token_reads) == reads  # nothing written: the token is not read again

    # A write counts as recent for an hour from here, however slow this machine is.
    monkeypatch.setattr(store_freshness, "SETTLED", 3600.0)
    bump_token(store.client)  # a commit, in the same clock tick as it may be
    assert store.refresh() is True
    assert len(token_reads) == reads + 1
    # Written within the settle window: not trusted yet, so the token is read each time.
    assert store.refresh() is False and store.refresh() is False
    assert len(token_reads) == reads + 3


def test_a_running_engine_sees_another_process_ingest_after_a_quiet_spell(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    settings = make_settings(store_probe=False)
    assert frontdesk(settings, "ingest").returncode == 0
    running = Engine(settings, embedder=HashEmbedder())
    age(settings.home)
    assert "pasta.md" not in {h.source_name for h in running.search("boil pasta", "kitchen")}
    running.search("boil pasta", "kitchen")  # the quiet catalogue is now trusted

    (plugin_root / "kitchen" / "knowledge" / "pasta.md").write_text(
        "# Pasta\n\nBoil fresh pasta for three minutes in well salted water."
    )
    assert frontdesk(settings, "ingest", "kitchen").returncode == 0
    assert running.search("boil fresh pasta", "kitchen", k=2)[0].source_name == "pasta.md"
