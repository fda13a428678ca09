"""Sources in place: a citation opens a panel beside the chat with its document as text and
the cited passage marked (and scrolled into view by the page's script). PDFs show the page the
passage is on. The same rules as /source: only documents of the plugin's manifest, shown as
escaped text (never the document's own HTML)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from frontdesk.doc_text import stored_text
from frontdesk.engine import Engine
from frontdesk.errors import FrontdeskError
from frontdesk.loaders import load_document
from frontdesk.server import knowledge_file

REF = re.compile(r"^#?fd-src/([A-Za-z0-9_-]{1,100})/(\d{1,3})$")
CLOSED = ""


def _normal(text: str) -> str:
    return " ".join(text.split())


def citation_for(
    engine: Engine, thread_id: str, answer_id: str, index: int, owner: str
) -> dict[str, Any]:
    """The `index`-th (1-based) citation of one of the owner's stored answers; KeyError if none."""
    for m in engine.history(thread_id, owner):
        meta = (m.additional_kwargs or {}).get("frontdesk") or {}
        if m.type != "human" and meta.get("answer_id") == answer_id:
            citations = meta.get("citations") or []
            if 1 <= index <= len(citations):
                return dict(citations[index - 1])
    raise KeyError(answer_id)


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def _marked(text: str, snippet: str) -> tuple[str, bool]:
    """The text, escaped, with the first occurrence of the snippet inside <mark>."""
    cut = snippet.endswith("...")
    needle = snippet[:-3].rstrip() if cut else snippet
    words = needle.split()
    if not words:
        return html.escape(text), False
    # Whitespace may differ between the stored chunk and the file: match word by word. A cut
    # snippet may end inside a word ("lose it..." for "lose its"): mark that word whole.
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words) + (r"\S*" if cut else ""))
    found = pattern.search(text)
    if not found:
        return html.escape(text), False
    a, b = found.span()
    return (
        html.escape(text[:a])
        + f"<mark class='fd-hit'>{html.escape(text[a:b])}</mark>"
        + html.escape(text[b:]),
        True,
    )


def panel_html(engine: Engine, ref: str, thread_id: str | None, owner: str) -> str:
    """The source panel for a citation link (`#fd-src/<answer id>/<n>`)."""
    match = REF.match((ref or "").split("?")[0])
    if not match or not thread_id:
        return CLOSED
    answer_id, index = match.group(1), int(match.group(2))
    try:
        cite = citation_for(engine, thread_id, answer_id, index, owner)
    except (KeyError, FrontdeskError):
        return _box("Source", "<p>This citation is not in this chat any more.</p>")
    gone = _box(cite["source"], "<p>This document is no longer in the plugin's knowledge.</p>")
    where = ""
    if engine.settings.chroma_url:  # replicas: the store's copy of the text, as /source does
        try:
            stored = stored_text(engine.store, cite["plugin"], cite["source"])
        except FrontdeskError as exc:
            return _box(
                cite["source"], f"<p>Cannot show this document: {html.escape(str(exc))}</p>"
            )
        if stored is None:
            return gone
        return _panel(ref, index, cite, where, stored)
    path = knowledge_file(engine, cite["plugin"], cite["source"])
    if path is None:
        return gone
    try:
        if path.suffix.lower() == ".pdf":
            pages = _pdf_pages(path)
            needle = _normal(cite["snippet"].removesuffix("..."))[:60]
            page_no = next(
                (i for i, p in enumerate(pages, 1) if needle and needle in _normal(p)), 1
            )
            text = "\n".join(" ".join(line.split()) for line in pages[page_no - 1].splitlines())
            where = f"page {page_no} of {len(pages)}"
        else:
            text = load_document(path).text
    except (FrontdeskError, OSError, ValueError) as exc:
        return _box(cite["source"], f"<p>Cannot show this document: {html.escape(str(exc))}</p>")
    return _panel(ref, index, cite, where, text)


def _panel(ref: str, index: int, cite: dict[str, Any], where: str, text: str) -> str:
    body, found = _marked(text, cite["snippet"])
    note = (
        ""
        if found
        else "<p class='fd-note'>The cited passage was not found in the current file (it changed since).</p>"
    )
    title = f"[{index}] {cite['plugin']} / {cite['source']}" + (f" — {where}" if where else "")
    return _box(title, note + f"<div class='fd-doc'>{body}</div>")


def _box(title: str, inner: str) -> str:
    """One line of HTML: the panel is a Markdown component (Gradio's HTML component evaluates
    templates with Function(), which the CSP forbids), and a blank line would end its HTML."""
    inner = inner.replace("\r", "").replace("\n", "<br>")
    return f"<div class='fd-panel'><h3>{html.escape(title)}</h3>{inner}</div>"
