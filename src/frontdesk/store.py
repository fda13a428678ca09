"""Each plugin's knowledge in its own Chroma collection, ingested incrementally.

Local by default (a persistent Chroma under FRONTDESK_HOME/chroma); a Chroma server when
FRONTDESK_CHROMA_URL is set. Every chunk records its file's sha256, so re-ingesting embeds only
new or changed files, replaces their old chunks and drops the chunks of deleted files.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from frontdesk.embeddings import ChromaEmbeddings, Embedder
from frontdesk.errors import BackendError, InputError
from frontdesk.loaders import Document, load_document, split_document
from frontdesk.plugins import Plugin
from frontdesk.settings import Settings

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Hit:
    plugin: str
    chunk_id: str
    source: str
    source_name: str
    title: str
    score: float
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.plugin,
            "chunk_id": self.chunk_id,
            "source": self.source,
            "source_name": self.source_name,
            "title": self.title,
            "score": round(self.score, 4),
            "text": self.text,
        }


@dataclass
class IngestReport:
    plugin: str
    files: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        return (
            f"{self.plugin}: {self.files} files ({len(self.added)} new, {len(self.updated)} "
            f"changed, {len(self.removed)} removed, {self.unchanged} unchanged); "
            f"+{self.chunks_added}/-{self.chunks_removed} chunks, {self.chunks_total} in store; "
            f"{self.seconds:.1f}s"
        )


def _collection_name(plugin: str) -> str:
    return f"frontdesk-{plugin}"


def _chunk_id(source: str, index: int) -> str:
    return f"{hashlib.sha1(source.encode()).hexdigest()[:12]}-{index:04d}"


def _display_name(path: Path, plugin: Plugin) -> str:
    for root in plugin.knowledge_dirs():
        try:
            return str(path.relative_to(root.resolve()))
        except ValueError:
            continue
    return path.name


class KnowledgeStore:
    """The knowledge stores of every plugin (one Chroma collection each)."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.embedder = embedder
        self._ef = ChromaEmbeddings(embedder)
        self._collections: dict[str, Any] = {}
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                self.client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or 8000,
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                self.location = settings.chroma_url
            else:
                path = settings.home / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.location = str(path)
        except Exception as exc:
            where = settings.chroma_url or str(settings.home / "chroma")
            raise BackendError(f"cannot open the knowledge store at {where}: {exc}") from None

    def _collection(self, plugin: str) -> Any:
        if plugin in self._collections:
            return self._collections[plugin]
        try:
            coll = self.client.get_or_create_collection(
                _collection_name(plugin),
                embedding_function=self._ef,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise BackendError(
                f"knowledge store {self.location} failed for plugin '{plugin}': {exc}"
            ) from None
        self._collections[plugin] = coll
        return coll

    def best_score(self, plugin: str, vector: np.ndarray) -> float | None:
        """Similarity of the nearest chunk (None when the plugin has no knowledge yet)."""
        coll = self._collection(plugin)
        if coll.count() == 0:
            return None
        res = coll.query(query_embeddings=[vector.tolist()], n_results=1, include=["distances"])
        dists = res["distances"][0]
        return 1.0 - float(dists[0]) if dists else None

    # --- reading -------------------------------------------------------------------------

    def stats(self, plugin: str) -> dict[str, Any]:
        coll = self._collection(plugin)
        metas = coll.get(include=["metadatas"])["metadatas"] or []
        return {
            "chunks": len(metas),
            "documents": len({m["source"] for m in metas}),
            "last_ingest": (coll.metadata or {}).get("last_ingest"),
        }

    def document_path(self, plugin: str, name: str) -> Path | None:
        """The file behind an ingested document, by the name citations give it; None if not in
        the store (a file merely lying in the folder is not a document)."""
        found = self._collection(plugin).get(where={"source_name": name}, limit=1)
        metas = found.get("metadatas") or []
        return Path(str(metas[0]["source"])) if metas else None

    def search(
        self, plugin: str, query: str | None = None, k: int = 4, vector: np.ndarray | None = None
    ) -> list[Hit]:
        """The k chunks of `plugin` nearest to the query (score = cosine similarity)."""
        if vector is None:
            if not query:
                raise InputError("search needs a query")
            vector = self.embedder.embed([query])[0]
        coll = self._collection(plugin)
        res = coll.query(
            query_embeddings=[vector.tolist()],
            n_results=max(1, k),
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for cid, doc, meta, dist in zip(
            res["ids"][0],
            res["documents"][0],
            res["metadatas"][0],
            res["distances"][0],
            strict=True,
        ):
            hits.append(
                Hit(
                    plugin=plugin,
                    chunk_id=cid,
                    source=str(meta["source"]),
                    source_name=str(meta.get("source_name", "")),
                    title=str(meta.get("title", "")),
                    score=1.0 - float(dist),
                    text=str(meta.get("text", doc)),
                )
            )
        return hits

    # --- writing -------------------------------------------------------------------------

    def ingest(
        self, plugin: Plugin, progress: Progress | None = None, skip_bad: bool = False
    ) -> IngestReport:
        """Bring the plugin's collection in line with its knowledge files.

        Every file is read and split before anything is written: an unreadable file stops the
        ingest with the store untouched, unless `skip_bad` (then that file's old chunks stay).
        """
        started = time.perf_counter()
        report = IngestReport(plugin.name)
        files = plugin.knowledge_files()
        report.files = len(files)
        coll = self._collection(plugin.name)
        existing: dict[str, tuple[str, list[str]]] = {}
        current = coll.get(include=["metadatas"])
        for cid, meta in zip(current["ids"], current["metadatas"] or [], strict=True):
            src = str(meta["source"])
            digest, src_ids = existing.get(src, (str(meta.get("sha256", "")), []))
            src_ids.append(cid)
            existing[src] = (digest, src_ids)

        changed: list[tuple[Document, list[str]]] = []
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
            old = existing.get(str(path))
            if old and old[0] == doc.sha256:
                report.unchanged += 1
                continue
            (report.updated if old else report.added).append(str(path))
            changed.append((doc, split_document(doc, plugin.chunk_size, plugin.chunk_overlap)))

        seen = {str(p) for p in files}
        gone = [src for src in existing if src not in seen]
        report.removed = gone

        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        for doc, chunks in changed:
            name = _display_name(doc.path, plugin)
            for i, chunk in enumerate(chunks):
                ids.append(_chunk_id(str(doc.path), i))
                # The title rides along in the embedded text: it carries the topic.
                texts.append(f"{doc.title}\n{chunk}")
                metas.append(
                    {
                        "source": str(doc.path),
                        "source_name": name,
                        "title": doc.title,
                        "sha256": doc.sha256,
                        "chunk": i,
                        "text": chunk,
                    }
                )
        vectors = self._embed_with_progress(texts, progress)

        stale = [cid for src in report.updated + gone for cid in existing[src][1]]
        batch = 1000
        if stale:
            for i in range(0, len(stale), batch):
                coll.delete(ids=stale[i : i + batch])
        for i in range(0, len(ids), batch):
            coll.add(
                ids=ids[i : i + batch],
                documents=texts[i : i + batch],
                embeddings=vectors[i : i + batch].tolist(),
                metadatas=metas[i : i + batch],
            )
        report.chunks_added = len(ids)
        report.chunks_removed = len(stale)
        report.chunks_total = coll.count()
        coll.modify(metadata={"last_ingest": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        report.seconds = time.perf_counter() - started
        return report

    def _embed_with_progress(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        parts = []
        step = 64
        for i in range(0, len(texts), step):
            parts.append(self.embedder.embed(texts[i : i + step]))
            if progress:
                progress("embed", min(i + step, len(texts)), len(texts))
        return np.vstack(parts)

    def drop(self, plugin: str) -> None:
        self._collections.pop(plugin, None)
        with contextlib.suppress(Exception):  # not there: nothing to drop
            self.client.delete_collection(_collection_name(plugin))
