"""A cheap "has anything been written?" check before reading a local store's change token.

Reading the token is a Chroma get_collection (about 6 ms per answer here, benchmarks/overhead.py)
and every question does it, to see another process's ingest. A local Chroma keeps its catalogue,
and so the token, in chroma.sqlite3: while that file (and its -wal/-journal, if any) is exactly
as it was when the token was last read, the token cannot have moved. A file's mtime has a coarse
clock tick, so a write in the same tick as the read would look like no change: a signature is
trusted only when every file had been left alone for SETTLED seconds before the token was read
(git's "racy clean" rule).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

SETTLED = 1.0
_SUFFIXES = ("", "-wal", "-journal")

Signature = tuple[tuple[int, int, int] | None, ...]


class CatalogueWatch:
    def __init__(self, folder: Path) -> None:
        self.files = [folder / f"chroma.sqlite3{s}" for s in _SUFFIXES]
        self._trusted: Signature | None = None

    def signature(self) -> Signature:
        out: list[tuple[int, int, int] | None] = []
        for f in self.files:
            try:
                st = os.stat(f)
            except OSError:
                out.append(None)
            else:
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(out)

    def unchanged(self, signature: Signature) -> bool:
        """True when the token read at this signature is still the store's token."""
        return self._trusted is not None and signature == self._trusted

    def read_at(self, signature: Signature) -> None:
        """The token was just read, after `signature` was taken: trust it if settled."""
        newest = max((s[0] for s in signature if s is not None), default=0)
        settled = newest < time.time_ns() - int(SETTLED * 1e9)
        self._trusted = signature if settled else None
