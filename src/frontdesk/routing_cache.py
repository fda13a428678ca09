"""The knowledge summaries of the router kept on local disk between start-ups.

`routing_summaries.load_checked` says at which store token the summaries are known current;
they are written to `FRONTDESK_HOME/cache/summaries.npz` under a key made of that token, the
store's location, the plugin names and the embedder. A start-up whose store is still at that
token (nothing committed since, by this process or any replica sharing the store) reads the file
and asks the store nothing; any commit changes the token, so the next start-up checks the store
again and writes the file anew. A file that cannot be read or written is only slower.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk import routing_summaries

log = logging.getLogger("frontdesk.routing")

FILE = "summaries.npz"


def _key(store: Any, token: str, plugins: list[str]) -> str:
    what = [str(store.location), token, sorted(plugins), store.embedder.name]
    return hashlib.sha1(json.dumps(what).encode()).hexdigest()


def load(store: Any, plugins: list[str], home: Path) -> dict[str, np.ndarray]:
    """Every plugin's knowledge summary: from the disk cache when the store did not change."""
    path = home / "cache" / FILE
    token = store._token
    if token and not store.broken and path.exists():
        try:
            with np.load(path, allow_pickle=False) as got:
                if str(got["__key__"]) == _key(store, token, plugins):
                    return {n: got[n] for n in plugins if n in got.files}
        except (OSError, ValueError, KeyError) as exc:
            log.warning("routing cache %s unreadable (%s); reading the store", path, exc)
    out, current = routing_summaries.load_checked(store, plugins)
    if current:
        _save(path, _key(store, current, plugins), out)
    return out


def _save(path: Path, key: str, summaries: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            arrays: dict[str, Any] = {"__key__": np.array(key), **summaries}
            np.savez(fh, **arrays)
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError as exc:
        log.warning("routing cache %s not written (%s)", path, exc)
        tmp.unlink(missing_ok=True)
