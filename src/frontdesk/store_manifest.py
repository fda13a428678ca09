"""Which version of each document is live: a manifest kept in the store itself.

A plugin's chunks live in the Chroma collection `frontdesk-<plugin>`; its manifest is a second
collection `frontdesk-<plugin>.docs` with one record per document (source, sha256, chunk count,
version). Chunk ids and metadata carry the document's version, so a new version never overwrites
the old one, and a version counts only once its manifest record is written — after all of its
chunks are in. A crash therefore leaves each document fully old or fully new to readers, and the
chunks of a version that never got its record are orphans the next ingest removes.

The manifest lives in the store (not on local disk) because several replicas may share one
Chroma server. `frontdesk.state` holds a token that changes with every commit: readers compare it
once per request to notice another process's ingest.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass
from typing import Any

STATE_COLLECTION = "frontdesk.state"
_PLACEHOLDER = [1.0]  # Chroma wants a vector per record; manifest records are never searched


def chunk_collection(plugin: str) -> str:
    return f"frontdesk-{plugin}"


def docs_collection(plugin: str) -> str:
    # Plugin names cannot hold '.', so this never collides with another plugin's chunks.
    return f"frontdesk-{plugin}.docs"


def doc_key(source: str) -> str:
    return hashlib.sha1(source.encode()).hexdigest()[:16]


def new_version(source: str) -> str:
    """A version id unique to this document and this write."""
    return f"{doc_key(source)}.{uuid.uuid4().hex[:10]}"


def chunk_id(version: str, index: int) -> str:
    return f"{version}-{index:05d}"


@dataclass(frozen=True)
class DocRecord:
    source: str
    sha256: str
    chunks: int
    version: str
    source_name: str = ""
    title: str = ""


class Manifest:
    """One plugin's document records."""

    def __init__(self, client: Any, plugin: str) -> None:
        self.coll = client.get_or_create_collection(
            docs_collection(plugin), embedding_function=None
        )

    def load(self) -> dict[str, DocRecord]:
        got = self.coll.get(include=["metadatas"])
        out: dict[str, DocRecord] = {}
        for meta in got["metadatas"] or []:
            rec = DocRecord(
                source=str(meta["source"]),
                sha256=str(meta["sha256"]),
                chunks=int(meta["chunks"]),  # type: ignore[arg-type]
                version=str(meta["version"]),
                source_name=str(meta.get("source_name", "")),
                title=str(meta.get("title", "")),
            )
            out[rec.source] = rec
        return out

    def commit(self, record: DocRecord, text: str | None = None) -> None:
        """Make `record` the live version; `text` is the document as /source shows it."""
        self.coll.upsert(
            ids=[doc_key(record.source)],
            embeddings=[_PLACEHOLDER],
            metadatas=[asdict(record)],
            documents=[text] if text is not None else None,
        )

    def remove(self, source: str) -> None:
        self.coll.delete(ids=[doc_key(source)])

    @property
    def last_ingest(self) -> str | None:
        value = (self.coll.metadata or {}).get("last_ingest")
        return str(value) if value else None

    def mark_ingested(self, when: str) -> None:
        self.coll.modify(metadata={"last_ingest": when})


def read_token(client: Any) -> str | None:
    """The store's change token (None before the first commit)."""
    try:
        meta = client.get_collection(STATE_COLLECTION).metadata or {}
    except Exception:  # not created yet: nothing was ever committed
        return None
    token = meta.get("token")
    return str(token) if token else None


def bump_token(client: Any) -> str:
    token = uuid.uuid4().hex
    state = client.get_or_create_collection(STATE_COLLECTION, embedding_function=None)
    state.modify(metadata={"token": token})
    return token
