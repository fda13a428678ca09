"""Read a local store's indexes in a child process before the server touches them.

A truncated or garbled HNSW file usually makes Chroma raise, but some corruptions (measured:
random bytes in `data_level0.bin`) crash the reading process with a segmentation fault. The
child reads each collection (count, one record, one nearest-neighbour query) and says how far it
got; a collection that kills the child is reported broken, and the parent never opens it.

Run as `python -m frontdesk.store_probe PATH COLLECTION...` (one line per collection on stdout).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

_TIMEOUT = 120.0


def probe(path: Path, names: list[str]) -> dict[str, str]:
    """Problems by collection name (collections that read fine are absent)."""
    problems: dict[str, str] = {}
    remaining = list(names)
    while remaining:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "frontdesk.store_probe", str(path), *remaining],
                capture_output=True,
                text=True,
                timeout=_TIMEOUT,
            )
            out, rc, err = proc.stdout, proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            rc, err = -9, f"no answer within {_TIMEOUT:.0f}s"
        done: set[str] = set()
        current = None
        for line in out.splitlines():
            kind, _, rest = line.partition("\t")
            name, _, detail = rest.partition("\t")
            if kind == "start":
                current = name
            elif kind in ("ok", "err"):
                done.add(name)
                current = None
                if kind == "err":
                    problems[name] = detail
        if rc == 0:
            break
        why = f"signal {-rc}" if rc < 0 else f"exit {rc}"
        if current is None:  # it died before any collection: every remaining one is unknown
            last = (err.strip().splitlines() or [why])[-1]
            for name in remaining:
                if name not in done:
                    problems[name] = f"the store could not be read ({last})"
            break
        problems[current] = f"reading its index crashed the store reader ({why})"
        done.add(current)
        remaining = [n for n in remaining if n not in done]
    return problems


def _segments(path: Path) -> dict[str, str]:
    """Collection name -> the folder of its vector index (read from Chroma's catalogue)."""
    uri = f"file:{path / 'chroma.sqlite3'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        rows = db.execute(
            "SELECT c.name, s.id FROM segments s JOIN collections c ON s.collection = c.id "
            "WHERE s.scope = 'VECTOR'"
        ).fetchall()
    return {str(name): str(seg) for name, seg in rows}


def signature(folder: Path) -> str:
    """Every index file's size and change times: a file written since (even with its mtime set
    back: ctime cannot be) gives another signature."""
    h = hashlib.sha1()
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    for f in files:
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\n".encode())
    return h.hexdigest()


def probe_cached(path: Path, names: list[str], mark: Path) -> dict[str, str]:
    """probe(), for the collections whose index files changed since a clean probe read them
    (the child reads every collection it is given: seconds at 100 plugins)."""
    try:
        folders = _segments(path)
        signs = {n: signature(path / folders[n]) for n in names if n in folders}
    except (OSError, sqlite3.Error):
        folders, signs = {}, {}  # probe everything, as without this cache
    try:
        known = json.loads(mark.read_text()) if mark.exists() else {}
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    todo = [n for n in names if n not in signs or known.get(n) != signs[n]]
    problems = probe(path, todo) if todo else {}
    clean = {n: known[n] for n in names if n not in todo}
    for n in todo:
        if n in signs and n not in problems:
            # Chroma writes a collection's index files back when it loads them: the files the
            # next start-up finds are those the child left, not those it was given.
            clean[n] = signature(path / folders[n])
    if signs:
        try:
            mark.parent.mkdir(parents=True, exist_ok=True)
            tmp = mark.with_name(f"{mark.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(clean))
            os.replace(tmp, mark)
        except OSError:
            pass  # the next start-up probes again: only slower
    return problems


def _main(path: str, names: list[str]) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=path, settings=ChromaSettings(anonymized_telemetry=False)
    )
    for name in names:
        print(f"start\t{name}", flush=True)
        try:
            coll = client.get_collection(name)
            count = coll.count()
            dims = getattr(coll._model, "dimension", None)
            if count and dims:
                query: Any = [[1.0] * int(dims)]
                coll.query(query_embeddings=query, n_results=min(count, 10))
                coll.get(limit=1, include=["embeddings"])
        except Exception as exc:
            line = (str(exc).splitlines() or [type(exc).__name__])[0]
            print(f"err\t{name}\t{line}", flush=True)
            continue
        print(f"ok\t{name}", flush=True)


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2:])
