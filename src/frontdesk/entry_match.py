"""Option entries matched by meaning: the task a question describes against what each entry does.

A user asks for an option in their own words ("How do I rename a branch?", "How do I give up a
merge that stopped with conflicts?"); the entry answering it says the same thing in the page's
words ("-m, --move Move/rename a branch, together with its config and reflog.", "--abort Abort
the current conflict resolution process …"). In a chunk of a dozen entries that one line weighs
little, in the chunk's embedding and in BM25 alike, so its chunk was not among those retrieved.
An entry's short form — its heading and the first sentence of its description, which says what
the option does — embedded on its own is close to the question that asks for that effect (on
the man-page dev set the answering entry was the closest of all 1,246 entries for most such
questions; BENCHMARKS.md, session 9). Retrieval counts the chunk holding the closest entry
among the candidate chunks as one more keyword match. (Used to order the entries in answer
selection too, it fixed as many dev questions as it broke: not kept.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from frontdesk import options, sentence_cache
from frontdesk.embeddings import Embedder

_FIRST = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def short_form(entry: str) -> str:
    """An entry's heading and the first sentence of its description (or the entry itself
    where it is no option entry)."""
    heading = options.heading(entry)
    if not heading:
        return entry
    first = _FIRST.split(entry[len(heading) :].strip(), maxsplit=1)[0]
    return f"{heading} {first}".strip()


def wanted(question: str) -> bool:
    """A question asking for an option without naming one: the only kind matched here (one
    naming its option is answered by the entry defining it, options.py)."""
    return options.asks_for_option(question) and not options.flags(question)


def closeness(embedder: Embedder, question: str, entries: Sequence[str]) -> np.ndarray:
    """Cosine similarity of the question to each entry's short form (vectors remembered by
    sentence_cache, as the candidates' are)."""
    if not entries:
        return np.zeros(0)
    vectors = sentence_cache.embed(embedder, question, [short_form(e) for e in entries])
    norms = np.linalg.norm(vectors, axis=1)
    norms = np.where(norms == 0, 1.0, norms)
    unit = vectors / norms[:, None]
    return np.asarray(unit[1:] @ unit[0], dtype=np.float64)


# What the chunk holding the entry closest to the question counts in hybrid retrieval: as
# much as a best BM25 match (retrieval.weigh), like a chunk defining a named option.
CHUNK_SHARE = 1.0


def closest_chunks(
    embedder: Embedder, question: str, chunk_entries: dict[str, list[str]]
) -> dict[str, float]:
    """For a question asking for an option in its own words, the chunk(s) holding the entry
    closest to it by meaning (CHUNK_SHARE)."""
    if not wanted(question):
        return {}
    owners = [cid for cid, entries in chunk_entries.items() for _ in entries]
    near = closeness(embedder, question, [e for entries in chunk_entries.values() for e in entries])
    return {owners[int(np.argmax(near))]: CHUNK_SHARE} if len(near) else {}
