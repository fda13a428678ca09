"""The text of each ingested document, kept in the knowledge store beside its manifest record,
so that `/source` can show a document on a replica that never had the file on its disk.

Ingest stores it as the manifest record's Chroma document (store_manifest.Manifest.commit):
a text file's own text (HTML as its source, shown as inert text), a PDF's extracted text.
With FRONTDESK_CHROMA_URL, `/source` serves this stored text; on one machine it keeps serving
the file itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.errors import BackendError
from frontdesk.loaders import Document
from frontdesk.store_manifest import Manifest, doc_key

if TYPE_CHECKING:
    from frontdesk.store import KnowledgeStore

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm"}


def source_text(doc: Document) -> str:
    """What `/source` shows of a document: a text file as written, a PDF as its text."""
    if doc.path.suffix.lower() in TEXT_SUFFIXES:
        try:
            return doc.path.read_bytes().decode("utf-8", errors="replace")
        except OSError:  # gone since it was read: its text as ingested
            return doc.text
    return doc.text


def stored_text(store: KnowledgeStore, plugin: str, name: str) -> str | None:
    """The stored text of the committed document that citations call `name`; None if the
    plugin has no such document (or it was ingested before texts were kept: re-ingest)."""
    try:
        for record in store.manifest(plugin).values():
            if record.source_name == name:
                got = Manifest(store.client, plugin).coll.get(
                    ids=[doc_key(record.source)], include=["documents"]
                )
                docs = got.get("documents") or []
                return str(docs[0]) if docs and docs[0] is not None else None
    except Exception as exc:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise BackendError(
            f"knowledge store {store.location} failed reading '{name}' of plugin '{plugin}': "
            f"{detail}; retry shortly"
        ) from exc
    return None
