"""Reading knowledge files (.md, .txt, .html, .pdf) into plain text, and splitting it.

More file types come from the `register_loaders` hook (`register(".ext", loader)`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from langchain_text_splitters import RecursiveCharacterTextSplitter

from frontdesk.errors import InputError

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
MAX_FILE_BYTES = 50 * 1024 * 1024
Loader = Callable[[Path, bytes], "str | tuple[str | None, str]"]
LOADERS: dict[str, Loader] = {}


def register_loader(suffix: str, loader: Loader) -> None:
    """Read files ending in `suffix` with `loader(path, raw)` -> text or (title, text)."""
    suffix = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
    if LOADERS.get(suffix, loader) is not loader:
        raise ValueError(f"a loader for '{suffix}' is registered twice; keep one of them")
    LOADERS[suffix] = loader
    SUPPORTED_SUFFIXES.add(suffix)  # the same set uploads and knowledge folders are checked with


@dataclass(frozen=True)
class Document:
    path: Path
    title: str
    text: str
    sha256: str


class _TextFromHTML(HTMLParser):
    _skip = {"script", "style", "noscript", "template"}
    _block = {"p", "div", "br", "li", "tr", "section", "article", "h1", "h2", "h3", "h4", "h5"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.title = ""
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._stack.append(tag)
        if tag in self._block:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if tag in self._block:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if any(t in self._skip for t in self._stack):
            return
        if self._stack and self._stack[-1] == "title":
            self.title += data.strip()
            return
        self.parts.append(data)


def _decode_text(path: Path, raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: looks like a binary file, not text; remove it or convert it")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 or remove it"
        ) from None


def _pdf_text(path: Path, raw: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(
            f"{path}: cannot read this PDF ({exc}); re-export it or remove it"
        ) from None


def load_document(path: Path) -> Document:
    """Read one file; raises InputError (with the path) for what cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type '{suffix}' (supported: "
            f"{', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; split it")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check the permissions") from None
    digest = hashlib.sha256(raw).hexdigest()
    title = path.stem.replace("-", " ").replace("_", " ")
    if suffix in LOADERS:
        try:
            got = LOADERS[suffix](path, raw)
        except Exception as exc:
            raise InputError(f"{path}: its loader failed ({type(exc).__name__}: {exc})") from exc
        found, text = got if isinstance(got, tuple) else (None, got)
        title = found or title
    elif suffix == ".pdf":
        text = _pdf_text(path, raw)
    elif suffix in {".html", ".htm"}:
        parser = _TextFromHTML()
        parser.feed(_decode_text(path, raw))
        text = "".join(parser.parts)
        title = parser.title or title
    else:
        text = _decode_text(path, raw)
        for line in text.splitlines():
            if line.startswith("# "):
                title = line[2:].strip()
                break
    lines = [" ".join(line.split()) for line in text.splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return Document(path=path, title=title, text=text.strip(), sha256=digest)


def split_document(doc: Document, chunk_size: int, chunk_overlap: int) -> list[str]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=["\n## ", "\n### ", "\n\n", "\n", ". ", " ", ""],
    )
    return [c.strip() for c in splitter.split_text(doc.text) if c.strip()]
