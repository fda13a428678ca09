"""One plugin's broken or empty store is reported and the others keep answering; a running
engine sees another process's ingest without being rebuilt."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "FRONTDESK_HOME": str(settings.home),
        "FRONTDESK_PLUGINS_PATH": settings.plugins_path,
        "FRONTDESK_BUNDLED_PLUGINS": "false",
        "FRONTDESK_ENTRY_POINT_PLUGINS": "false",
        "FRONTDESK_DEFAULT_MODEL": "fake:facts",
        "FRONTDESK_COORDINATOR_MODEL": "fake:echo",
        "FRONTDESK_ROUTER_LLM": "false",
        "FRONTDESK_TEST_EMBEDDER": "hash",
    }


def frontdesk(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )


def vector_segment_dir(home: Path, collection: str) -> Path:
    with sqlite3.connect(home / "chroma" / "chroma.sqlite3") as db:
        (seg,) = db.execute(
            "SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
            "WHERE c.name = ? AND s.scope = 'VECTOR'",
            (collection,),
        ).fetchone()
    return home / "chroma" / str(seg)


def test_corrupt_index_of_one_plugin_is_reported_and_the_others_answer(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    settings = make_settings()
    # Chroma writes its index files once a collection passes 1,000 records (smaller ones are
    # rebuilt from its log), so the kitchen gets enough chunks for them to matter.
    lines = [
        f"Stock pot note {i}: " + "simmer bones onions carrots celery " * 10 for i in range(1100)
    ]
    (plugin_root / "kitchen" / "knowledge" / "stock.md").write_text("\n\n".join(lines))
    assert frontdesk(settings, "ingest").returncode == 0
    for index_file in vector_segment_dir(settings.home, "frontdesk-kitchen").glob("*.bin"):
        index_file.write_bytes(os.urandom(index_file.stat().st_size))

    listed = frontdesk(settings, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    info = {p["name"]: p for p in json.loads(listed.stdout)}
    assert info["kitchen"]["store"] == "broken"
    assert "frontdesk-kitchen" in info["kitchen"]["error"]
    assert "frontdesk ingest kitchen" in info["kitchen"]["error"]
    assert info["garden"]["store"] == "ok" and info["garden"]["error"] is None

    text = frontdesk(settings, "plugins")
    assert text.returncode == 0 and "problem: broken" in text.stdout

    garden = frontdesk(settings, "ask", "--json", "When should I prune my roses?")
    assert garden.returncode == 0, garden.stderr
    answer = json.loads(garden.stdout)
    assert answer["route"]["plugins"][0]["name"] == "garden"
    assert "late winter" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {"roses.md"}

    kitchen = frontdesk(settings, "ask", "--json", "--plugin", "kitchen", "Rest a steak?")
    assert kitchen.returncode == 0, kitchen.stderr
    said = json.loads(kitchen.stdout)["answer"]
    assert "kitchen knowledge base cannot be read" in said and "frontdesk ingest kitchen" in said

    eng = Engine(settings, embedder=HashEmbedder())
    health = {h["name"]: h for h in eng.plugin_health()}
    assert health["kitchen"]["ok"] is False and health["kitchen"]["state"] == "broken"
    assert health["garden"] == {
        "name": "garden",
        "ok": True,
        "state": "ok",
        "detail": "2 documents, 2 chunks",
    }

    # Ingesting the broken plugin rebuilds its store.
    rebuilt = frontdesk(settings, "ingest", "kitchen", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "frontdesk-kitchen" in json.loads(rebuilt.stdout)["repaired"]
    again = frontdesk(settings, "ask", "--json", "--plugin", "kitchen", "How long to rest a steak?")
    assert "eight minutes" in json.loads(again.stdout)["answer"]


def test_deleted_collection_is_broken_and_an_empty_store_says_so(
    make_settings: Callable[..., Settings],
) -> None:
    eng = Engine(make_settings(store_probe=False), embedder=HashEmbedder())
    eng.ingest(["garden"])
    eng.store.client.delete_collection("frontdesk-garden")
    eng.store._collections.clear()

    health = {h["name"]: h for h in eng.plugin_health()}
    assert health["garden"]["state"] == "broken"
    assert "holds 0 of the 2 chunks" in health["garden"]["detail"]
    assert health["kitchen"]["state"] == "empty"  # documents configured, never ingested
    assert "frontdesk ingest kitchen" in health["kitchen"]["detail"]

    answer = eng.ask("How long should I rest a steak?", plugin="kitchen")
    assert "kitchen knowledge base is empty" in answer.answer
    assert answer.citations == [] and answer.route["mode"] == "specialist"
    # No model was asked to answer from nothing.
    from frontdesk.testing import FakeChatModel

    assert FakeChatModel.calls == []


def test_running_engine_sees_a_cli_ingest_without_a_rebuild(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    settings = make_settings(store_probe=False)
    assert frontdesk(settings, "ingest").returncode == 0
    running = Engine(settings, embedder=HashEmbedder())
    question = "How long should I boil fresh pasta?"
    before = running.ask(question, plugin="kitchen")
    assert all(c["source"] != "pasta.md" for c in before.citations)
    assert "pasta.md" not in {h.source_name for h in running.search("boil pasta", "kitchen")}

    (plugin_root / "kitchen" / "knowledge" / "pasta.md").write_text(
        "# Pasta\n\nBoil fresh pasta for three minutes in well salted water."
    )
    added = frontdesk(settings, "ingest", "kitchen")
    assert added.returncode == 0 and "1 new" in added.stdout

    hits = running.search("boil fresh pasta", "kitchen", k=2)
    assert hits[0].source_name == "pasta.md"
    after = running.ask(question, plugin="kitchen")
    assert "three minutes" in after.answer
    assert "pasta.md" in {c["source"] for c in after.citations}
    kitchen = next(p for p in running.plugin_info() if p["name"] == "kitchen")
    assert kitchen["documents"] == 3


def test_an_index_that_crashes_its_reader_is_found_in_a_child_process(tmp_path: Path) -> None:
    import chromadb
    import numpy as np

    from frontdesk.store_probe import probe

    path = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(path))
    for name in ("frontdesk-bad", "frontdesk-good"):
        coll = client.get_or_create_collection(name, embedding_function=None)
        vectors = np.random.default_rng(0).normal(size=(1264, 8)).astype("float32")
        coll.add(ids=[str(i) for i in range(1264)], embeddings=vectors.tolist())
    level0 = vector_segment_dir(tmp_path, "frontdesk-bad") / "data_level0.bin"
    level0.write_bytes(np.random.default_rng(7).bytes(level0.stat().st_size))

    reader = (
        "import chromadb, sys; c = chromadb.PersistentClient(path=sys.argv[1]); "
        "c.get_collection('frontdesk-bad').query(query_embeddings=[[1.0] * 8], n_results=10)"
    )
    crashed = subprocess.run([sys.executable, "-c", reader, str(path)], capture_output=True)
    assert crashed.returncode < 0  # what a server reading it would do: die of a signal

    problems = probe(path, ["frontdesk-bad", "frontdesk-good"])
    assert list(problems) == ["frontdesk-bad"]
    assert "crashed the store reader (signal" in problems["frontdesk-bad"]
