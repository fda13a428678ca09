"""Crash-safe, incremental ingest of one plugin's knowledge files.

Order of writes (see store_manifest.py for why readers never see a half-written document):
1. every file is read and split first (an unreadable file stops with the store untouched);
2. orphans — chunks of versions that never got a manifest record (an ingest was killed) — go;
3. per changed document: its new chunks are added under a new version, then its manifest
   record is written (the commit), then the old version's chunks are deleted;
4. removed files: the record goes first, then the chunks.
A kill at any point leaves the document's old version live (before 3's commit) or its new one
(after it); whatever the kill left behind is an orphan that step 2 of the next ingest removes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from frontdesk.doc_text import source_text
from frontdesk.errors import InputError
from frontdesk.loaders import Document, load_document, split_document
from frontdesk.plugins import Plugin
from frontdesk.store import IngestReport, Progress
from frontdesk.store_manifest import DocRecord, Manifest, bump_token, chunk_id, new_version

if TYPE_CHECKING:
    from frontdesk.store import KnowledgeStore


def _display_name(path: Path, plugin: Plugin) -> str:
    for root in plugin.knowledge_dirs():
        try:
            return str(path.relative_to(root.resolve()))
        except ValueError:
            continue
    return path.name


class _Pauses:
    """The test-only FRONTDESK_TEST_PAUSE_AT hook: stop once at a named point, to be killed."""

    def __init__(self, point: str) -> None:
        self.point = point

    def __call__(self, point: str) -> None:
        if point != self.point:
            return
        self.point = ""
        print(f"frontdesk-test: paused at {point}", file=sys.stderr, flush=True)
        time.sleep(3600)


def ingest_plugin(
    store: KnowledgeStore, plugin: Plugin, progress: Progress | None, skip_bad: bool
) -> IngestReport:
    started = time.perf_counter()
    settings = store.settings
    pause = _Pauses(settings.test_pause_at)
    report = IngestReport(plugin.name)
    files = plugin.knowledge_files()
    report.files = len(files)

    changed: list[tuple[Document, list[str]]] = []
    read: list[Document] = []
    for n, path in enumerate(files, 1):
        if progress:
            progress("read", n, len(files))
        try:
            doc = load_document(path)
        except InputError as exc:
            if not skip_bad:
                raise
            report.errors.append(str(exc))
            continue
        read.append(doc)

    if plugin.name in store.broken:
        report.repaired = store.broken[plugin.name]
        store.drop(plugin.name)
    manifest = Manifest(store.client, plugin.name)
    docs = manifest.load()
    coll = store._collection(plugin.name)
    live = {r.version for r in docs.values()}
    by_version: dict[str, list[str]] = {}
    orphans: list[str] = []
    listing = coll.get(include=["metadatas"])
    for cid, meta in zip(listing["ids"], listing["metadatas"] or [], strict=True):
        version = str((meta or {}).get("version", ""))
        if version in live:
            by_version.setdefault(version, []).append(cid)
        else:
            orphans.append(cid)

    cap = settings.max_chunks_per_file
    for doc in read:
        old = docs.get(str(doc.path))
        # "Unchanged" needs the committed record *and* all of its chunks.
        if old and old.sha256 == doc.sha256 and len(by_version.get(old.version, [])) == old.chunks:
            report.unchanged += 1
            continue
        chunks = split_document(doc, plugin.chunk_size, plugin.chunk_overlap)
        if len(chunks) > cap:
            report.errors.append(
                f"{doc.path}: {len(chunks)} chunks, over the limit of {cap} per file "
                "(FRONTDESK_MAX_CHUNKS_PER_FILE); split the file or raise the limit"
            )
            continue
        (report.updated if old else report.added).append(str(doc.path))
        changed.append((doc, chunks))
    seen = {str(p) for p in files}
    gone = [src for src in docs if src not in seen]
    report.removed = gone

    pause("start")
    batch = settings.ingest_batch
    _delete(coll, orphans, batch, pause)
    total = sum(len(chunks) for _, chunks in changed)
    embedded = 0
    for doc, chunks in changed:
        src = str(doc.path)
        version = new_version(src)
        name = _display_name(doc.path, plugin)
        ids = [chunk_id(version, i) for i in range(len(chunks))]
        # The title rides along in the embedded text: it carries the topic.
        texts = [f"{doc.title}\n{chunk}" for chunk in chunks]
        metas: list[dict[str, Any]] = [
            {
                "source": src,
                "source_name": name,
                "title": doc.title,
                "sha256": doc.sha256,
                "version": version,
                "chunk": i,
                "text": chunk,
            }
            for i, chunk in enumerate(chunks)
        ]
        vectors = _embed(store, texts, progress, embedded, total)
        embedded += len(texts)
        for i in range(0, len(ids), batch):
            if i:
                pause("batch")
            coll.add(
                ids=ids[i : i + batch],
                documents=texts[i : i + batch],
                embeddings=vectors[i : i + batch].tolist(),
                metadatas=metas[i : i + batch],
            )
        pause("commit")
        record = DocRecord(src, doc.sha256, len(ids), version, name, doc.title)
        manifest.commit(record, source_text(doc))
        store.committed(bump_token(store.client))
        report.chunks_added += len(ids)
        old = docs.get(src)
        if old:
            stale = by_version.get(old.version, [])
            _delete(coll, stale, batch, pause)
            report.chunks_removed += len(stale)
    for src in gone:
        manifest.remove(src)
        store.committed(bump_token(store.client))
        stale = by_version.get(docs[src].version, [])
        _delete(coll, stale, batch, pause)
        report.chunks_removed += len(stale)

    manifest.mark_ingested(time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    store.committed(bump_token(store.client))
    report.chunks_total = sum(r.chunks for r in store.manifest(plugin.name).values())
    report.seconds = time.perf_counter() - started
    return report


def _delete(coll: Any, ids: list[str], batch: int, pause: _Pauses) -> None:
    for i in range(0, len(ids), batch):
        if i:
            pause("delete")
        coll.delete(ids=ids[i : i + batch])


def _embed(
    store: KnowledgeStore, texts: list[str], progress: Progress | None, done: int, total: int
) -> np.ndarray:
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    parts = []
    step = 64
    for i in range(0, len(texts), step):
        parts.append(store.embedder.embed(texts[i : i + step]))
        if progress:
            progress("embed", done + min(i + step, len(texts)), total)
    return np.vstack(parts)
