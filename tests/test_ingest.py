"""Incremental ingest, loaders and search, on a real local Chroma with fake embeddings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.loaders import load_document
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder

from .pdfgen import write_pdf


def _chunk_ids(engine: Engine, plugin: str) -> set[str]:
    return set(engine.store._collection(plugin).get()["ids"])


def test_reingest_is_incremental(engine: Engine, plugin_root: Path) -> None:
    knowledge = plugin_root / "kitchen" / "knowledge"
    before = _chunk_ids(engine, "kitchen")
    assert before

    again = engine.ingest(["kitchen"])[0]
    assert (again.unchanged, again.added, again.updated, again.chunks_added) == (2, [], [], 0)
    assert _chunk_ids(engine, "kitchen") == before

    (knowledge / "steak.md").write_text("# Steak\n\nRest a thin steak for five minutes.")
    (knowledge / "bread.md").write_text("# Bread\n\nKnead the dough for ten minutes.")
    (knowledge / "rice.txt").unlink()
    report = engine.ingest(["kitchen"])[0]
    assert len(report.updated) == 1 and report.updated[0].endswith("steak.md")
    assert len(report.added) == 1 and report.added[0].endswith("bread.md")
    assert len(report.removed) == 1 and report.removed[0].endswith("rice.txt")
    assert report.unchanged == 0

    sources = {h.source_name for h in engine.search("rest steak minutes", "kitchen", k=10)}
    assert sources == {"steak.md", "bread.md"}
    texts = " ".join(h.text for h in engine.search("steak", "kitchen", k=10))
    assert "thin steak for five minutes" in texts
    assert "eight minutes" not in texts  # the old chunk was replaced, not kept beside the new


def test_binary_file_stops_ingest_and_leaves_the_store_intact(
    engine: Engine, plugin_root: Path
) -> None:
    knowledge = plugin_root / "kitchen" / "knowledge"
    before = _chunk_ids(engine, "kitchen")
    (knowledge / "steak.md").write_text("# Steak\n\nA changed page that must not land.")
    (knowledge / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" + bytes(range(256)))
    with pytest.raises(InputError) as info:
        engine.ingest(["kitchen"])
    assert "photo.txt" in str(info.value) and "binary" in str(info.value)
    assert _chunk_ids(engine, "kitchen") == before
    assert "eight minutes" in " ".join(h.text for h in engine.search("steak", "kitchen", k=5))

    report = engine.ingest(["kitchen"], skip_bad=True)[0]
    assert report.errors and "photo.txt" in report.errors[0]
    assert len(report.updated) == 1


def test_not_utf8_text_is_reported_with_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "latin.txt"
    bad.write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    with pytest.raises(InputError, match="latin.txt: not UTF-8"):
        load_document(bad)


def test_html_and_pdf_are_read(tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>Chains</title><script>var x = 'hidden';</script></head>"
        "<body><h1>Oiling</h1><p>Oil the chain every 200 km.</p></body></html>"
    )
    doc = load_document(html)
    assert doc.title == "Chains"
    assert "Oil the chain every 200 km." in doc.text and "hidden" not in doc.text

    pdf = tmp_path / "manual.pdf"
    write_pdf(pdf, ["Brake pads wear out.", "Replace them below one millimetre."])
    text = load_document(pdf).text
    assert "Brake pads wear out." in text and "Replace them below one millimetre." in text


def test_missing_knowledge_folder_fails_cleanly(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    import shutil

    shutil.rmtree(plugin_root / "garden" / "knowledge")
    eng = Engine(make_settings(), embedder=HashEmbedder())
    with pytest.raises(InputError, match="garden.*knowledge.paths"):
        eng.ingest(["garden"])


def test_search_returns_scored_chunks_with_sources(engine: Engine) -> None:
    hits = engine.search("prune roses winter", "garden", k=2)
    assert hits[0].source_name == "roses.md"
    assert hits[0].score > hits[-1].score or len(hits) == 1
    assert 0 < hits[0].score <= 1.0001
    with pytest.raises(Exception, match="unknown plugin 'nope'"):
        engine.search("x y z", "nope")
