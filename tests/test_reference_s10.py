"""Reference documentation, session 10 (BENCHMARKS.md "Man pages: every entry competes
(session 10)"): entries and pages written for these tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk.embeddings import MiniLMEmbedder
from frontdesk.engine import Engine
from frontdesk.settings import Settings

from .conftest import write_plugin

LOAN = """OPTIONS
       --renew
           Extend every loan by another period.

       --return
           Close the loan and hand the volume over to the front desk.
"""

# Notes close to the question in meaning but not in its words, more of them than the dense
# pool holds (20 chunks for k=1): the entry's chunk is in neither pool.
_TOPICS = [
    "poems",
    "stories",
    "novels",
    "plays",
    "letters",
    "essays",
    "diaries",
    "atlases",
    "cookbooks",
    "comics",
    "travel",
    "guides",
    "biographies",
    "fables",
    "legends",
    "songs",
    "riddles",
    "maps",
    "sagas",
    "memoirs",
    "journals",
    "sermons",
    "ballads",
    "chronicles",
]
NOTES = {
    f"notes-{age}-{t}.txt": f"# Finished {age} {t}\n\nWhen you finish a volume of {age} {t}, "
    f"pass it on to a friend who likes {t}, or return to it later."
    for t in _TOPICS
    for age in ("old", "new")
}


@pytest.mark.integration  # meaning is what is matched: the bundled MiniLM
def test_the_closest_entry_of_all_brings_in_its_chunk(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    # "How do I keep following a file's history past the point where it was renamed?": the
    # --follow entry was the closest of all the pages' entries, but its chunk was in neither
    # pool, and only the candidate chunks' entries were compared
    root = tmp_path / "plugins"
    write_plugin(
        root, "lib", "Library loans.", ["How do I renew a loan?"], {"lib-loan.txt": LOAN, **NOTES}
    )
    eng = Engine(make_settings(plugins_path=str(root)), embedder=MiniLMEmbedder())
    eng.ingest()
    hits = eng.search("How do I give a book back once I am done reading it?", "lib", k=1)
    assert [h.source_name for h in hits] == ["lib-loan.txt"]
