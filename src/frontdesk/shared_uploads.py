"""Uploaded documents where every replica sees them.

An upload lands in the plugin's knowledge folder of the replica that received it (uploads.py).
With shared state in Postgres its bytes are also kept there (`uploads/<plugin>/<name>`), and
every ingest, on any replica, first writes the plugin's stored uploads into its own folder: an
ingest on a replica that never saw the upload keeps the document instead of removing it.
On one machine (shared state in files) the folder already is the shared place: nothing to do.
"""

from __future__ import annotations

from frontdesk.plugins import Plugin
from frontdesk.shared_state import SharedState


def _prefix(plugin: str) -> str:
    return f"uploads/{plugin}/"


def publish_upload(state: SharedState, plugin: str, name: str, data: bytes) -> None:
    if state.shared:
        state.put(_prefix(plugin) + name, data)


def restore_uploads(state: SharedState, plugin: Plugin) -> list[str]:
    """Write the plugin's stored uploads that this replica's folder lacks (or holds in an
    older version); returns their names."""
    if not state.shared:
        return []
    folders = plugin.knowledge_dirs()
    if not folders:
        return []
    folder = folders[0].resolve()
    written = []
    for key in state.names(_prefix(plugin.name)):
        name = key.removeprefix(_prefix(plugin.name))
        target = folder / name
        if "/" in name or target.resolve().parent != folder:
            continue  # save_upload only ever stores plain names
        data = state.get(key)
        if data is None or (target.is_file() and target.read_bytes() == data):
            continue
        partial = folder / f".{name}.part"
        partial.write_bytes(data)
        partial.replace(target)
        written.append(name)
    return written
