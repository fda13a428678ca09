"""An option asked for in the user's own words is found by what its entry says it does
(frontdesk.entry_match): retrieval counts the chunk holding the entry whose heading and first
sentence, embedded on their own, are closest to the question.

The failures these come from (BENCHMARKS.md "Man pages (session 9)", the man-page dev set):
"How do I rename a branch?" did not find the chunk of "-m, --move Move/rename a branch" among a
dozen entries; "How do I give up a merge that stopped with conflicts …?" found git-pull's prose
before the chunk of "--abort Abort the current conflict resolution process". The bundled MiniLM (meaning is what is matched), the real
answer model; entries written for these tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk import entry_match
from frontdesk.embeddings import MiniLMEmbedder
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.warmup import knowledge_sentences, warm
from tests.test_sentence_cache import Counting

from .conftest import write_plugin

BOOK = """OPTIONS
--renew
Extend every loan by another period. When you are done reading a book before the loan
ends, the book stays yours to read until the new end of the loan.

--return
Close the loan and hand the volume over to the front desk.

--hold
Keep a place in the queue for a title that is out. When the book you wait for is back,
you may start reading it.
"""


def test_short_form_is_the_heading_and_first_sentence() -> None:
    entry = "--return Close the loan and hand the volume over. It costs nothing."
    assert entry_match.short_form(entry) == "--return Close the loan and hand the volume over."
    assert entry_match.short_form("Plain prose. More prose.") == "Plain prose. More prose."
    assert entry_match.wanted("How do I give a book back?")
    assert not entry_match.wanted("What does --return do?")  # names its option


LOANS = {
    "lib-loan.txt": BOOK,
    "lib-intro.txt": "# Reading\n\nOnce you are done reading a book, give it to a friend "
    "who has not read the book yet: a book read is a book to give.",
}


@pytest.mark.integration  # meaning is what is matched: the bundled MiniLM
def test_retrieval_finds_the_chunk_of_the_entry_doing_the_asked_task(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    root = tmp_path / "plugins"
    write_plugin(root, "lib", "Library loans.", ["How do I renew a loan?"], LOANS)
    eng = Engine(make_settings(plugins_path=str(root)), embedder=MiniLMEmbedder())
    eng.ingest()
    hits = eng.search("How do I give a book back once I am done reading it?", "lib", k=1)
    assert [h.source_name for h in hits] == ["lib-loan.txt"]
    # an option named is found by its definition, never by this (nothing to weigh here)
    assert entry_match.closest_chunks(eng.embedder, "What does --hold do?", {"c": [BOOK]}) == {}


@pytest.mark.integration
def test_the_closest_entry_by_meaning_marks_its_chunk() -> None:
    chunks = {
        "a": ["--renew Extend every loan by another period.", "--hold Keep a place in the queue."],
        "b": ["--return Close the loan and hand the volume over to the front desk."],
    }
    near = entry_match.closest_chunks(MiniLMEmbedder(), "How do I give a book back?", chunks)
    assert near == {"b": entry_match.CHUNK_SHARE}


def test_entries_short_forms_are_warmed_ahead_of_questions(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    root = tmp_path / "plugins"
    write_plugin(root, "lib", "Library loans.", ["How do I renew a loan?"], LOANS)
    emb = Counting()
    eng = Engine(make_settings(plugins_path=str(root)), embedder=emb)
    eng.ingest()
    assert "--return Close the loan and hand the volume over to the front desk." in set(
        knowledge_sentences(eng)
    )
    warm(eng)
    emb.seen.clear()
    question = "How do I give a book back once I am done reading it?"
    assert eng.search(question, "lib", k=1)
    assert emb.seen == [question]  # no entry embedded while the question waits
