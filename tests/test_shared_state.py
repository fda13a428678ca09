"""Shared state: named blobs (files, or Postgres), calibration through them, uploads every
replica's ingest keeps, the change signal and the per-plugin ingest lock across processes."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from frontdesk.calibration import calibrate
from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.settings import Settings
from frontdesk.shared_state import FileState, PostgresState
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin
from .pg import PgServer, postgres  # noqa: F401  (the module-scoped fixture)


def test_file_state_round_trip_and_names(tmp_path: Path) -> None:
    state = FileState(tmp_path)
    assert state.get("calibration.json") is None
    state.put("calibration.json", b"{}")
    state.put("uploads/kitchen/notes.md", b"# Notes")
    assert (tmp_path / "calibration.json").read_bytes() == b"{}"  # the file it always was
    assert state.names("uploads/kitchen/") == ["uploads/kitchen/notes.md"]
    state.delete("calibration.json")
    assert state.get("calibration.json") is None
    for bad in ("../outside", "uploads/../../x", ".hidden", ""):
        with pytest.raises(InputError):
            state.put(bad, b"x")


def test_postgres_state_round_trip(postgres: PgServer) -> None:  # noqa: F811
    from frontdesk.pgpool import open_pool

    pool = open_pool(postgres.url, 2)
    try:
        state = PostgresState(pool)
        state.put("uploads/kit_chen/a.md", b"one")
        state.put("uploads/kit_chen/a.md", b"two")  # replaced, not added
        state.put("uploads/kitXchen/b.md", b"other")  # `_` is no wildcard in names()
        assert state.get("uploads/kit_chen/a.md") == b"two"
        assert state.names("uploads/kit_chen/") == ["uploads/kit_chen/a.md"]
        state.delete("uploads/kit_chen/a.md")
        assert state.get("uploads/kit_chen/a.md") is None
    finally:
        pool.close()


def _settings(make_settings: Callable[..., Settings], home: Path, **extra: object) -> Settings:
    return make_settings(home=home, **extra)


def test_calibration_and_uploads_are_shared_through_postgres(
    postgres: PgServer,  # noqa: F811
    make_settings: Callable[..., Settings],
    plugin_root: Path,
    tmp_path: Path,
) -> None:
    # Two replicas with plugin folders of their own (copies of one image) and one Postgres.
    other_root = tmp_path / "other-plugins"
    shutil.copytree(plugin_root, other_root)
    a = Engine(
        _settings(make_settings, tmp_path / "a", memory_url=postgres.url), embedder=HashEmbedder()
    )
    b = Engine(
        _settings(
            make_settings, tmp_path / "b", memory_url=postgres.url, plugins_path=str(other_root)
        ),
        embedder=HashEmbedder(),
    )
    try:
        calibrate(a, None, None)
        assert not (tmp_path / "a" / "calibration.json").exists()  # in Postgres, not on disk
        assert b.router.model is not None and b.router.model.classes == ["garden", "kitchen"]

        saved = a.add_document("kitchen", "knives.md", b"# Knives\n\nHone a knife before use.")
        assert saved.path.parent == plugin_root / "kitchen" / "knowledge"
        assert not (other_root / "kitchen" / "knowledge" / "knives.md").exists()
        # B never received the upload; its ingest restores it instead of dropping it.
        report = b.ingest(["kitchen"])[0]
        assert (
            (other_root / "kitchen" / "knowledge" / "knives.md")
            .read_bytes()
            .startswith(b"# Knives")
        )
        assert any(p.endswith("knives.md") for p in report.added)
        assert b.search("hone a knife", "kitchen", k=1)[0].source_name == "knives.md"
    finally:
        a.close()
        b.close()


def test_ingest_lock_makes_a_second_replica_wait(
    postgres: PgServer,  # noqa: F811
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    a = Engine(
        _settings(make_settings, tmp_path / "a", memory_url=postgres.url), embedder=HashEmbedder()
    )
    b = Engine(
        _settings(make_settings, tmp_path / "b", memory_url=postgres.url), embedder=HashEmbedder()
    )

    def waiting() -> int:
        with psycopg.connect(postgres.url) as conn:
            sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            return int(conn.execute(sql).fetchone()[0])  # type: ignore[index]

    done = threading.Event()
    try:
        with a.sync.ingest_lock("kitchen"):
            worker = threading.Thread(target=lambda: (b.ingest(["kitchen"]), done.set()))
            worker.start()
            for _ in range(100):  # until B's ingest is queued behind A's lock
                if waiting() == 1:
                    break
                threading.Event().wait(0.1)
            assert waiting() == 1 and not done.is_set()
        worker.join(60)
        assert done.is_set() and waiting() == 0
        # Another plugin was never blocked by kitchen's lock.
        with a.sync.ingest_lock("kitchen"):
            assert b.ingest(["garden"])[0].chunks_total > 0
    finally:
        a.close()
        b.close()


def test_an_ingest_elsewhere_reloads_a_serving_process(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    # One machine: the server and a `frontdesk ingest` share FRONTDESK_HOME (signal in a file).
    server = Engine(make_settings(), embedder=HashEmbedder())
    assert "teapots" not in server.plugins and server.sync.poll() is False
    write_plugin(
        plugin_root, "teapots", "Teapots and tea.", ["How long to brew?"], {"t.md": "Brew"}
    )
    Engine(make_settings(), embedder=HashEmbedder()).ingest(["teapots"])
    assert server.sync.poll() is True
    assert "teapots" in server.plugins and server.sync.reloads == 1
    assert server.sync.poll() is False  # once per change
    server.ingest(["teapots"])  # its own ingest: it is current, nothing to reload
    assert server.sync.poll() is False


def test_retention_purges_threads_in_postgres(
    postgres: PgServer,  # noqa: F811
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    eng = Engine(
        make_settings(memory_url=postgres.url, thread_retention_days=1), embedder=HashEmbedder()
    )
    try:
        eng.ingest()
        eng.ask("How long should I rest a steak?", thread_id="old-thread")
        assert "old-thread" in {t["thread_id"] for t in eng.threads()}
        assert eng.memory.purge(now=time.time() + 2 * 86400) >= 1
        assert "old-thread" not in {t["thread_id"] for t in eng.threads()}
        assert eng.history("old-thread") == []
        assert eng.stats(since_start=False)["answers"] == 0
    finally:
        eng.close()
