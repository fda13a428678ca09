"""Documents uploaded into a plugin's knowledge folder, checked before they land."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from frontdesk.errors import InputError, TooLargeError
from frontdesk.loaders import SUPPORTED_SUFFIXES, load_document
from frontdesk.plugins import Plugin


@dataclass(frozen=True)
class Saved:
    path: Path
    note: str  # what happened, for the person who uploaded it


def save_upload(
    plugin: Plugin, filename: str, data: bytes, max_bytes: int, replace: bool = False
) -> Saved:
    """Save `data` as `filename` in the plugin's first knowledge folder.

    Only supported types, at most `max_bytes`, only a plain file name, and only what ingest
    could read: nothing lands outside that folder, and nothing half-written. An existing
    document with other content is kept unless `replace`: the upload then gets the next free
    versioned name (`notes-2.md`). Ingest it after.
    """
    name = filename
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise InputError(f"'{filename}' is not a plain file name (no folders, not hidden)")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(f"'{name}': file type not allowed (allowed: {allowed})")
    if len(data) > max_bytes:
        raise TooLargeError(f"'{name}' is {len(data)} bytes; the limit is {max_bytes}")
    folders = plugin.knowledge_dirs()
    if not folders:
        raise InputError(f"plugin '{plugin.name}' has no knowledge folder to upload into")
    folder = folders[0].resolve()
    target = (folder / name).resolve()
    if target.parent != folder:
        raise InputError(f"'{filename}' would land outside {folder}")
    with tempfile.TemporaryDirectory() as scratch:  # reject what ingest could not read
        probe = Path(scratch) / name
        probe.write_bytes(data)
        load_document(probe)
    note = f"{name}: added"
    if target.exists():
        if target.read_bytes() == data:
            return Saved(target, f"{name}: already there, unchanged")
        if replace:
            note = f"{name}: replaced the earlier version"
        else:
            target = _free_name(target)
            note = f"{name}: a different {name} exists, kept; saved as {target.name}"
    partial = folder / f".{target.name}.part"
    partial.write_bytes(data)
    partial.replace(target)
    return Saved(target, note)


def _free_name(target: Path) -> Path:
    n = 2
    while (candidate := target.with_name(f"{target.stem}-{n}{target.suffix}")).exists():
        n += 1
    return candidate
