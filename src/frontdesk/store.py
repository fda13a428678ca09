"""Each plugin's knowledge in its own Chroma collection: reading, freshness and health.

Local by default (a persistent Chroma under FRONTDESK_HOME/chroma); a Chroma server when
FRONTDESK_CHROMA_URL is set. Readers see only the committed version of each document (see
store_manifest.py); ingesting is in store_ingest.py.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from frontdesk import query_vectors
from frontdesk.embeddings import ChromaEmbeddings, Embedder
from frontdesk.errors import BackendError, InputError
from frontdesk.plugins import Plugin
from frontdesk.retrieval import KeywordIndexes
from frontdesk.settings import Settings
from frontdesk.store_freshness import CatalogueWatch
from frontdesk.store_manifest import (
    STATE_COLLECTION,
    DocRecord,
    Manifest,
    chunk_collection,
    docs_collection,
    read_token,
)

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
    repaired: str = ""  # the broken store this ingest rebuilt, if any
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


def _hit(plugin: str, cid: str, doc: str, meta: Any, dist: float) -> Hit:
    return Hit(
        plugin=plugin,
        chunk_id=cid,
        source=str(meta["source"]),
        source_name=str(meta.get("source_name", "")),
        title=str(meta.get("title", "")),
        score=1.0 - float(dist),
        text=str(meta.get("text", doc)),
    )


# The store token each local Chroma folder's in-process instance was loaded at (see _sync_local).
_LOADED: dict[str, str | None] = {}


def _rows(res: Any) -> list[tuple[str, str, Any, float]]:
    """One Chroma query's results as (id, document, metadata, distance) rows."""
    return list(
        zip(
            res["ids"][0],
            res["documents"][0],
            res["metadatas"][0],
            res["distances"][0],
            strict=True,
        )
    )


class KnowledgeStore:
    """The knowledge stores of every plugin (one Chroma collection each, plus its manifest)."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._ef = ChromaEmbeddings(embedder)
        self._lock = threading.RLock()
        self._collections: dict[str, Any] = {}
        self._manifests: dict[str, dict[str, DocRecord]] = {}
        self.broken: dict[str, str] = {}  # plugin -> what is wrong with its store
        self._sound: dict[str, str | None] = {}  # plugin -> token its chunks were counted at
        self.keywords = KeywordIndexes()  # built lazily, per plugin (see retrieval.py)
        self.client = self._open()
        self._token = read_token(self.client)
        self._watch = None if settings.chroma_url else CatalogueWatch(settings.home / "chroma")
        if not settings.chroma_url:
            self._sync_local(self._token)
            if settings.store_probe:
                self._probe()

    def _open(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = self.settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or 8000,
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                self.location = settings.chroma_url
            else:
                path = settings.home / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.location = str(path)
        except Exception as exc:
            where = settings.chroma_url or str(settings.home / "chroma")
            raise BackendError(f"cannot open the knowledge store at {where}: {exc}") from None
        return client

    def _probe(self) -> None:
        """Mark plugins whose index files cannot be read (without reading them here)."""
        from frontdesk.store_probe import probe_cached

        path = self.settings.home / "chroma"
        if not any(p.is_dir() for p in path.iterdir()):
            return  # no index files yet: nothing that could crash
        names = [c.name for c in self.client.list_collections() if c.name != STATE_COLLECTION]
        mark = self.settings.home / "cache" / "store_probe"  # the last clean probe's files
        for name, problem in probe_cached(path, names, mark).items():
            plugin = name.removeprefix("frontdesk-").removesuffix(".docs")
            self.broken.setdefault(plugin, f"{name}: {problem}")

    # --- freshness -----------------------------------------------------------------------

    def refresh(self) -> bool:
        """Pick up another process's ingest (one cheap read); True when the store changed."""
        signature = self._watch.signature() if self._watch else ()
        if self._watch and self._watch.unchanged(signature):
            return False  # the catalogue file is untouched since the token was last read
        token = read_token(self.client)
        if token == self._token:
            if self._watch:  # trusted only once this process is at that token
                self._watch.read_at(signature)
            return False
        with self._lock:
            if not self.settings.chroma_url:
                self._sync_local(token)
            self._collections.clear()
            self._manifests.clear()
            self._token = token
            if self.broken:  # another process may have rebuilt it: look again
                self.broken.clear()
                if not self.settings.chroma_url and self.settings.store_probe:
                    self._probe()
        return True

    def _sync_local(self, token: str | None) -> None:
        # A local Chroma keeps each index in memory, in one instance per folder shared by every
        # client of the process, and never sees another process's writes, even through a new
        # client. When the store's token moved past the one that instance was loaded at, it is
        # dropped so that the next client loads the files again (threads still holding the old
        # one finish on it).
        from chromadb.api.shared_system_client import SharedSystemClient

        ident = str(self.settings.home / "chroma")
        loaded = _LOADED.setdefault(ident, token)
        if loaded != token:
            SharedSystemClient._identifier_to_system.pop(ident, None)
            SharedSystemClient._identifier_to_refcount.pop(ident, None)
            self.client = self._open()
            _LOADED[ident] = token

    def committed(self, token: str | None) -> None:
        """This process committed a change: its own view is already current."""
        with self._lock:
            self._token = token
            self._manifests.clear()
            if not self.settings.chroma_url:
                _LOADED[str(self.settings.home / "chroma")] = token

    # --- collections ---------------------------------------------------------------------

    def _collection(self, plugin: str) -> Any:
        if plugin in self._collections:
            return self._collections[plugin]
        try:
            coll = self.client.get_or_create_collection(
                chunk_collection(plugin),
                embedding_function=self._ef,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise BackendError(
                f"knowledge store {self.location} failed for plugin '{plugin}': {exc}"
            ) from None
        self._collections[plugin] = coll
        return coll

    def manifest(self, plugin: str) -> dict[str, DocRecord]:
        """The committed documents of `plugin` by source path."""
        with self._lock:
            if plugin not in self._manifests:
                self._manifests[plugin] = Manifest(self.client, plugin).load()
            return self._manifests[plugin]

    def _broken_error(self, plugin: str) -> BackendError:
        return BackendError(
            f"the knowledge store of plugin '{plugin}' is broken ({self.broken[plugin]}); "
            f"rebuild it with: frontdesk ingest {plugin}"
        )

    def _mark_broken(self, plugin: str, exc: Exception) -> BackendError:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        if self.settings.chroma_url:  # a server that failed once may answer the next request
            return BackendError(
                f"knowledge store {self.location} failed for plugin '{plugin}': {detail}"
            )
        self.broken[plugin] = detail
        return self._broken_error(plugin)

    # --- reading -------------------------------------------------------------------------

    def _query(
        self, plugin: str, vector: np.ndarray, k: int, document: str | None = None
    ) -> list[tuple[str, str, Any, float]]:
        """The k nearest committed chunks as (id, document, metadata, distance), optionally
        of one document only (by the name citations give it)."""
        if plugin in self.broken:
            raise self._broken_error(plugin)
        try:
            live = {r.version for r in self.manifest(plugin).values()}
            if document is not None:
                live = {
                    r.version for r in self.manifest(plugin).values() if r.source_name == document
                }
            if not live:
                return []
            coll = self._collection(plugin)
            include = ["documents", "metadatas", "distances"]
            # Chunks of versions being written (or orphaned by a crash) are skipped; ask for a
            # few more than k so that they rarely leave fewer than k.
            wanted = 2 * k + 2
            scope = {"source_name": document} if document is not None else None
            res = coll.query(
                query_embeddings=[vector.tolist()], n_results=wanted, where=scope, include=include
            )
            rows = _rows(res)
            # A deleted chunk can still come back from the index for a moment, without metadata.
            hits = [r for r in rows if (r[2] or {}).get("version") in live]
            if len(hits) < k and len(rows) == wanted:
                committed = {"version": {"$in": sorted(live)}}
                res = coll.query(
                    query_embeddings=[vector.tolist()],
                    n_results=k,
                    where={"$and": [committed, scope]} if scope else committed,
                    include=include,
                )
                hits = _rows(res)
        except BackendError:
            raise
        except Exception as exc:
            raise self._mark_broken(plugin, exc) from exc
        return hits[:k]

    def best_score(self, plugin: str, vector: np.ndarray) -> float | None:
        """Similarity of the nearest chunk (None when the plugin has no usable knowledge)."""
        try:
            hits = self._query(plugin, vector, 1)
        except BackendError:
            return None  # reported by status(); routing goes on with the other signals
        return 1.0 - float(hits[0][3]) if hits else None

    def stats(self, plugin: str) -> dict[str, Any]:
        if plugin in self.broken:
            return {"chunks": 0, "documents": 0, "last_ingest": None}
        try:
            docs = self.manifest(plugin)
            last = Manifest(self.client, plugin).last_ingest
        except Exception as exc:
            self._mark_broken(plugin, exc)
            return {"chunks": 0, "documents": 0, "last_ingest": None}
        return {
            "chunks": sum(r.chunks for r in docs.values()),
            "documents": len(docs),
            "last_ingest": last,
        }

    def document_path(self, plugin: str, name: str) -> Path | None:
        """The file behind an ingested document, by the name citations give it; None if not in
        the store (a file merely lying in the folder is not a document)."""
        for record in self.manifest(plugin).values():
            if record.source_name == name:
                return Path(record.source)
        return None

    def status(self, plugin: str) -> dict[str, Any]:
        """{name, ok, state, detail}: state is ok, empty or broken."""
        name = plugin
        if plugin not in self.broken:
            try:
                expected = sum(r.chunks for r in self.manifest(plugin).values())
                present = self._collection(plugin).count() if expected else 0
            except Exception as exc:
                error = self._mark_broken(plugin, exc)
                if plugin not in self.broken:  # a server failing now is not marked for good
                    return {"name": name, "ok": False, "state": "broken", "detail": str(error)}
            else:
                if not expected:
                    detail = f"empty: no documents ingested; run: frontdesk ingest {plugin}"
                    return {"name": name, "ok": False, "state": "empty", "detail": detail}
                if present < expected:  # its chunks collection was deleted or lost records
                    self.broken[plugin] = (
                        f"{chunk_collection(plugin)} holds {present} of the {expected} chunks "
                        "its manifest lists"
                    )
                else:
                    docs = len(self.manifest(plugin))
                    detail = f"{docs} documents, {expected} chunks"
                    return {"name": name, "ok": True, "state": "ok", "detail": detail}
        detail = f"broken: {self.broken[plugin]}; rebuild it with: frontdesk ingest {plugin}"
        return {"name": name, "ok": False, "state": "broken", "detail": detail}

    def knowledge_problem(self, plugin: str) -> str | None:
        """What a specialist must say instead of answering, when its knowledge is unusable.
        A plugin found whole is not counted again until the store's token moves (a Chroma
        count() per answer before); `status` (health checks) always counts."""
        if plugin not in self.broken and self._sound.get(plugin, "") == self._token:
            return None
        token = self._token
        state = self.status(plugin)
        if state["state"] == "ok":
            self._sound[plugin] = token
        else:
            self._sound.pop(plugin, None)
        if state["state"] == "empty":
            return (
                f"The {plugin} knowledge base is empty (nothing has been ingested), so I have "
                f"nothing to answer from. Run: frontdesk ingest {plugin}"
            )
        if state["state"] == "broken":
            return (
                f"The {plugin} knowledge base cannot be read right now "
                f"({self.broken.get(plugin, state['detail'])}), "
                f"so I cannot answer from it. Rebuild it with: frontdesk ingest {plugin}"
            )
        return None

    def search(
        self,
        plugin: str,
        query: str | None = None,
        k: int = 4,
        vector: np.ndarray | None = None,
        document: str | None = None,
        keyword_weight: float | None = None,
    ) -> list[Hit]:
        """The k best chunks of `plugin` for the query: embeddings and keywords fused (see
        retrieval.py), or embeddings alone without a query text or with FRONTDESK_RETRIEVAL=
        embedding. `document` keeps one document's chunks only. score = cosine similarity.
        `keyword_weight` (a plugin's own) replaces FRONTDESK_KEYWORD_WEIGHT."""
        if vector is None:
            if not query:
                raise InputError("search needs a query")
            vector = query_vectors.embed_one(self.embedder, query)  # routing embedded it
        k = max(1, k)
        if not query or self.settings.retrieval == "embedding":
            return [_hit(plugin, *row) for row in self._query(plugin, vector, k, document)]
        from frontdesk.retrieval import hybrid_search

        return hybrid_search(self, plugin, query, vector, k, document, keyword_weight)

    # --- writing -------------------------------------------------------------------------

    def ingest(
        self, plugin: Plugin, progress: Progress | None = None, skip_bad: bool = False
    ) -> IngestReport:
        """Bring the plugin's collection in line with its knowledge files (crash-safe)."""
        from frontdesk.store_ingest import ingest_plugin

        return ingest_plugin(self, plugin, progress, skip_bad)

    def drop(self, plugin: str) -> None:
        """Delete a plugin's chunks and manifest (used to rebuild a broken store)."""
        with self._lock:
            self._collections.pop(plugin, None)
            self._manifests.pop(plugin, None)
            self._sound.pop(plugin, None)
            for name in (chunk_collection(plugin), docs_collection(plugin)):
                with contextlib.suppress(Exception):  # not there: nothing to drop
                    self.client.delete_collection(name)
            self.broken.pop(plugin, None)
