"""Router start-up without a store read per plugin: summaries checked once per store change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from frontdesk import routing_cache
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .conftest import write_plugin

TOPICS = {
    "kitchen": "Cooking: recipes, ovens and knives",
    "garden": "Gardening: roses, compost and lawns",
    "tax": "Taxes: returns, deductions and deadlines",
}


@pytest.fixture
def settings(tmp_path: Path, make_settings: Callable[..., Settings]) -> Settings:
    root = tmp_path / "cache-plugins"
    for name, desc in TOPICS.items():
        docs = {f"{name}-{i}.md": f"{desc} note {i}. " * 3 for i in range(2)}
        write_plugin(root, name, desc, [f"a question on {name} {i}" for i in range(3)], docs)
    s = make_settings(plugins_path=str(root))
    Engine(s, embedder=HashEmbedder()).ingest()
    return s


def _counted(engine: Engine) -> list[str]:
    """The plugins whose document manifest the store is asked for (the per-plugin read)."""
    calls: list[str] = []
    store = engine.store
    real = store.manifest

    def manifest(plugin: str) -> Any:
        calls.append(plugin)
        return real(plugin)

    store.manifest = manifest  # type: ignore[method-assign]
    return calls


def _summaries(engine: Engine) -> np.ndarray:
    index = engine.router.index
    assert index.summaries is not None
    return index.summaries


def test_a_second_start_up_reads_no_plugin_manifest(settings: Settings) -> None:
    first = Engine(settings, embedder=HashEmbedder())
    calls = _counted(first)
    made = _summaries(first)
    assert sorted(calls) == sorted(TOPICS)  # checked once after the ingest
    assert (settings.home / "cache" / routing_cache.FILE).exists()
    second = Engine(settings, embedder=HashEmbedder())
    calls = _counted(second)
    assert np.array_equal(_summaries(second), made)
    assert calls == []


def test_the_store_mark_serves_a_replica_without_the_disk_cache(settings: Settings) -> None:
    first = Engine(settings, embedder=HashEmbedder())
    made = _summaries(first)
    (settings.home / "cache" / routing_cache.FILE).unlink()  # as on another machine
    other = Engine(settings, embedder=HashEmbedder())
    calls = _counted(other)
    assert np.array_equal(_summaries(other), made)
    assert calls == []  # the summaries collection says they were checked at this token


def test_a_changed_plugin_invalidates_the_cache(settings: Settings) -> None:
    first = Engine(settings, embedder=HashEmbedder())
    before = len(_summaries(first))
    folder = first.plugins["garden"].root / "knowledge"
    (folder / "compost.md").write_text("Turn the compost heap every two weeks.")
    first.ingest(["garden"])  # a commit: the store's token changes
    later = Engine(settings, embedder=HashEmbedder())
    calls = _counted(later)
    assert len(_summaries(later)) == before + 1
    assert sorted(calls) == sorted(TOPICS)  # checked again, once
    again = Engine(settings, embedder=HashEmbedder())
    calls = _counted(again)
    assert len(_summaries(again)) == before + 1 and calls == []


def test_a_summary_changed_behind_the_mark_is_made_again(settings: Settings) -> None:
    """Documents committed by a process that did not refresh the summary (it crashed between
    the two) are caught: the commit moved the token past the mark."""
    first = Engine(settings, embedder=HashEmbedder())
    before = len(_summaries(first))
    folder = first.plugins["tax"].root / "knowledge"
    (folder / "late.md").write_text("Late returns pay a penalty per month.")
    first.store.ingest(first.plugins["tax"])  # the store alone: no summary refresh
    later = Engine(settings, embedder=HashEmbedder())
    assert len(_summaries(later)) == before + 1


def test_an_unreadable_cache_file_is_only_slower(settings: Settings) -> None:
    first = Engine(settings, embedder=HashEmbedder())
    made = _summaries(first)
    (settings.home / "cache" / routing_cache.FILE).write_bytes(b"not a numpy file")
    second = Engine(settings, embedder=HashEmbedder())
    assert np.array_equal(_summaries(second), made)


def test_the_store_probe_is_skipped_only_for_the_files_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import chromadb

    from frontdesk import store_probe

    from .test_store_health import vector_segment_dir

    path = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(path))
    names = ["frontdesk-bad", "frontdesk-good"]
    for name in names:
        coll = client.get_or_create_collection(name, embedding_function=None)
        vectors = np.random.default_rng(0).normal(size=(1264, 8)).astype("float32")
        coll.add(ids=[str(i) for i in range(1264)], embeddings=vectors.tolist())
    real = store_probe.probe
    runs: list[list[str]] = []

    def counted(where: Path, which: list[str]) -> dict[str, str]:
        runs.append(which)
        return real(where, which)

    monkeypatch.setattr(store_probe, "probe", counted)
    mark = tmp_path / "cache" / "store_probe"
    assert store_probe.probe_cached(path, names, mark) == {} and len(runs) == 1
    assert store_probe.probe_cached(path, names, mark) == {} and len(runs) == 1  # files unchanged
    level0 = vector_segment_dir(tmp_path, "frontdesk-bad") / "data_level0.bin"
    st = level0.stat()
    level0.write_bytes(np.random.default_rng(7).bytes(st.st_size))
    os.utime(level0, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    problems = store_probe.probe_cached(path, names, mark)
    assert runs[1:] == [["frontdesk-bad"]]  # only the collection whose files changed
    assert list(problems) == ["frontdesk-bad"]
    assert store_probe.probe_cached(path, names, mark) == problems  # a bad probe is not kept
    assert runs[2:] == [["frontdesk-bad"]]
