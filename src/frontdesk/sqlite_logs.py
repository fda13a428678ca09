"""Commit settings for the SQLite logs written on every answer (answer log, feedback refs).

In SQLite's default rollback-journal mode every commit waits for fsync twice; with two logs that
was about 24 ms per answer here (benchmarks/overhead.py), the largest part of an instant
model's answer. In WAL mode with synchronous=NORMAL a commit appends to the write-ahead log
without waiting for the disk: a commit stays atomic and is never corrupted, and other processes
(replicas on the same FRONTDESK_HOME) see it at once; only the last answers before a power cut
(not a crash of the process) may be lost from the log, which these logs can afford.
"""

from __future__ import annotations

import sqlite3


def fast_commits(db: sqlite3.Connection) -> None:
    """Put `db` in WAL mode with synchronous=NORMAL (WAL stays set in the file)."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
