"""Keyword scoring (BM25) beside the embeddings, fused into one ranking.

Embeddings find meaning but miss exact terms: `--soft`, `-D`, a part number or a name carry
little weight in a MiniLM vector. BM25 over tokens that keep such terms whole finds them. Each
plugin's keyword index is built from its committed chunks, lazily (on the first search that
needs it), and rebuilt only when the plugin's live document versions change, so a new ingest
is seen and a question never pays for a rebuild that nothing asked for.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from frontdesk import entry_match, options

if TYPE_CHECKING:
    from frontdesk.embeddings import Embedder
    from frontdesk.store import Hit, KnowledgeStore

# A flag (`-D`, `--soft`, `--no-ff`) only where a word could start; then words, numbers and
# joined terms (`git-stash`, `4711`, `v2.1`, `o'clock`).
_TOKEN = re.compile(
    r"(?<![\w-])--?[a-z0-9][a-z0-9_-]*|[a-z0-9]+(?:[-_.'][a-z0-9]+)*", re.IGNORECASE
)
# Modals and "over" too: "How should I store my bike over winter?" found "they should feel firm"
# and "Look over the tyres" before the "Storing a bike" section (BENCHMARKS.md, session 9).
_STOP_WORDS = (
    "a an and are as at be but by can could do does for from had has have how i if in into is it "
    "its me might must my of on or over shall should so than that the their them then there "
    "these they this to was we were what when where which who why will with would you your"
)
_STOP = frozenset(_STOP_WORDS.split(" "))
RRF_K = 60  # the usual constant: ranks past the first few matter little


def tokenize(text: str) -> list[str]:
    """Lower-case tokens, but flags keep their case (`-D` is not `-d`); joined terms and flags
    are kept whole and also split into their parts. Words lose a plural's ending (fold())."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        tok = tok if tok.startswith("-") else tok.lower()
        if tok in _STOP:
            continue
        out.append(fold(tok))
        bare = tok.lstrip("-").lower()
        parts = [fold(p) for p in re.split(r"[-_.']", bare) if p and p not in _STOP]
        if len(parts) > 1 or bare != tok:
            out.extend(parts)
    return out


def fold(word: str) -> str:
    """A plain word without its plural's ending, the same for both forms: "tomatoes" and
    "tomato", "cherries" and "cherry", "boxes" and "box" ("When can tomato plants go outside?"
    never matched the notes' "Tomatoes: … plant out after the last frost"). A final "e" goes
    too, so that "plates"/"plate" and "shoes"/"shoe" agree. Flags and joined terms stay whole."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # Not "-ing"/"-ed": "store" then found "Storing a bike" (examples dev +1), but the man-page
    # dev set lost "restores from a given tree" to it (BENCHMARKS.md, session 7).
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    text: str
    meta: dict[str, object]


# An entry described this much by the question counts (two of three of its own words): below,
# any entry sharing a word or two with the question would.
DESCRIBED_MIN = 0.5


def _entries(text: str) -> list[str]:
    """A chunk's option entries: each heading line with the paragraph below it."""
    out: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if options.defined(line):
            body: list[str] = []
            for nxt in lines[i + 1 :]:
                if not nxt or options.defined(nxt):
                    break
                body.append(nxt)
            out.append(" ".join([line, *body]))
    return out


class KeywordIndex:
    """BM25 over one plugin's committed chunks."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self.chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(c.text) or ["\x00"] for c in self.chunks]  # bm25s needs a token
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        # The options each chunk defines (a line heading an entry: "-f, --force"): BM25 finds
        # `-f` in every chunk that mentions it; the entry defining it is the one to find.
        self.defines = [
            set().union(*(options.defined(line) for line in c.text.splitlines()))
            for c in self.chunks
        ]
        self.entries = [_entries(c.text) for c in self.chunks]
        self.sources = {str(c.meta.get("source_name", "")) for c in self.chunks}

    def closest_entry(
        self, embedder: Embedder, query: str, document: str | None
    ) -> dict[str, float]:
        """For a query asking for an option in its own words, the chunk holding the entry
        closest to it by meaning of all the entries of the page it names (of every page when
        it names none): entry_match.closest_chunks over the whole index, not only the chunks
        retrieved ("How do I keep following a file's history past the point where it was
        renamed?": the --follow entry was the closest of all, its chunk in neither pool)."""
        if not entry_match.wanted(query):
            return {}
        named = {n for n in self.sources if options.named_document(query, n)}
        every = {
            c.chunk_id: entries
            for c, entries in zip(self.chunks, self.entries, strict=True)
            if entries
            and (document is None or c.meta.get("source_name") == document)
            and (not named or c.meta.get("source_name") in named)
        }
        return entry_match.closest_chunks(embedder, query, every)

    def definitions(self, query: str, document: str | None = None) -> dict[str, float]:
        """Chunks defining an option the query names: 1, or 2 in the document the query names
        by its file name ("git tag -f" and git-tag.txt)."""
        asked = options.flags(query)
        if not asked:
            return {}
        out: dict[str, float] = {}
        for c, defines in zip(self.chunks, self.defines, strict=True):
            name = str(c.meta.get("source_name", ""))
            if defines & asked and (document is None or name == document):
                out[c.chunk_id] = 2.0 if options.named_document(query, name) else 1.0
        return out

    def described(self, query: str, document: str | None = None) -> dict[str, float]:
        """For a query asking for an option without naming one ("Which git grep option selects
        the lines that do not match?"), the chunks of the page it names whose entries it
        describes: the best entry's reference.described() share. Words of a short entry
        ("-v, --invert-match Select non-matching lines.") weigh little in BM25 and the
        embedding of a chunk of a dozen entries; the entry's own words say it is the one."""
        from frontdesk import reference  # reference -> store -> retrieval

        if options.flags(query) or not options.asks_for_option(query):
            return {}
        out: dict[str, float] = {}
        for c in self.chunks:
            name = str(c.meta.get("source_name", ""))
            if (document is not None and name != document) or not options.named_document(
                query, name
            ):
                continue
            best = max((reference.described(query, e, name) for e in _entries(c.text)), default=0.0)
            if best >= DESCRIBED_MIN:
                out[c.chunk_id] = best
        return out

    def search(self, query: str, n: int, document: str | None = None) -> list[tuple[Chunk, float]]:
        """The `n` best chunks with a positive score (optionally of one document only)."""
        tokens = tokenize(query)
        if not tokens or not self.chunks:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)
        if document is not None:
            keep = np.array([c.meta.get("source_name") == document for c in self.chunks])
            scores = np.where(keep, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(self.chunks[i], float(scores[i])) for i in order if scores[i] > 0]


class KeywordIndexes:
    """One keyword index per plugin, keyed by the plugin's live document versions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[str, tuple[frozenset[str], KeywordIndex]] = {}

    def get(
        self, plugin: str, versions: frozenset[str], load: Callable[[], list[Chunk]]
    ) -> KeywordIndex:
        with self._lock:  # one build per change, even with several questions arriving at once
            built = self._built.get(plugin)
            if built is None or built[0] != versions:
                built = (versions, KeywordIndex(load()))
                self._built[plugin] = built
            return built[1]


def fuse(rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None) -> list[str]:
    """Reciprocal rank fusion: ids ordered by the sum of weight / (RRF_K + rank)."""
    weights = weights or [1.0] * len(rankings)
    score: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, cid in enumerate(ranking):
            score[cid] = score.get(cid, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(score, key=lambda cid: -score[cid])


def _load_chunks(store: KnowledgeStore, plugin: str, live: set[str]) -> list[Chunk]:
    """The committed chunks of a plugin, read in pages (the store may hold many)."""
    if not live:  # nothing committed yet (a first ingest not finished): no chunks to index
        return []
    coll = store._collection(plugin)
    out: list[Chunk] = []
    page, offset = 2000, 0
    while True:
        got = coll.get(
            where={"version": {"$in": sorted(live)}},
            include=["documents", "metadatas"],
            limit=page,
            offset=offset,
        )
        ids = got["ids"]
        for cid, doc, meta in zip(ids, got["documents"] or [], got["metadatas"] or [], strict=True):
            out.append(Chunk(cid, str(doc or ""), dict(meta or {})))
        if len(ids) < page:
            return out
        offset += page


def hybrid_search(
    store: KnowledgeStore,
    plugin: str,
    query: str,
    vector: np.ndarray,
    k: int,
    document: str | None = None,
    keyword_weight: float | None = None,
) -> list[Hit]:
    """The k best chunks by fusing embedding and BM25 rankings (FRONTDESK_RETRIEVAL: `hybrid`
    weighs cosine similarity and max-normalised BM25 by `keyword_weight`, default
    FRONTDESK_KEYWORD_WEIGHT; `rrf` fuses the two rankings by reciprocal rank)."""
    from frontdesk.store import _hit

    pool = max(4 * k, 20)
    dense = store._query(plugin, vector, pool, document)
    try:
        live = {r.version for r in store.manifest(plugin).values()}
        index = store.keywords.get(
            plugin, frozenset(live), lambda: _load_chunks(store, plugin, live)
        )
        keyword = index.search(query, pool, document)
        defining = index.definitions(query, document)
        for cid, share in index.described(query, document).items():
            defining[cid] = defining.get(cid, 0.0) + share
        by_id: dict[str, Hit] = {row[0]: _hit(plugin, *row) for row in dense}
        pooled = set(by_id) | {c.chunk_id for c, _ in keyword}
        # the closest entry of all, where its chunk is in neither pool (else as below)
        farther = {
            cid: share
            for cid, share in index.closest_entry(store.embedder, query, document).items()
            if cid not in pooled
        }
        found = (
            [c for c in index.chunks if c.chunk_id in farther]
            + [c for c, _ in keyword]
            + [c for c in index.chunks if c.chunk_id in defining]
        )
        missing = list({c.chunk_id: c for c in found if c.chunk_id not in by_id}.values())
        if missing:  # found by keywords only: their cosine similarity still says how close
            got = store._collection(plugin).get(
                ids=[c.chunk_id for c in missing], include=["embeddings"]
            )
            sims = dict(
                zip(got["ids"], _cosines(np.asarray(got["embeddings"]), vector), strict=True)
            )
            for c in missing:
                if c.chunk_id in sims:
                    by_id[c.chunk_id] = _hit(
                        plugin, c.chunk_id, c.text, c.meta, 1 - sims[c.chunk_id]
                    )
    except Exception as exc:
        raise store._mark_broken(plugin, exc) from exc
    # an option asked for in the user's words: the chunk of the entry closest by meaning among
    # the retrieved chunks, and the closest of all where that one was in neither pool
    if entry_match.wanted(query):
        found_entries = {
            cid: _entries(hit.text) for cid, hit in by_id.items() if cid not in farther
        }
        for cid, share in entry_match.closest_chunks(store.embedder, query, found_entries).items():
            defining[cid] = defining.get(cid, 0.0) + share
        for cid, share in farther.items():
            defining[cid] = defining.get(cid, 0.0) + share
    if store.settings.retrieval == "rrf":
        order = fuse([[row[0] for row in dense], [c.chunk_id for c, _ in keyword]])
    else:
        order = weigh(
            {cid: hit.score for cid, hit in by_id.items()},
            {c.chunk_id: score for c, score in keyword},
            store.settings.keyword_weight if keyword_weight is None else keyword_weight,
            defining,
        )
    return [by_id[cid] for cid in order if cid in by_id][:k]


def weigh(
    cosine: dict[str, float],
    bm25: dict[str, float],
    weight: float,
    defining: dict[str, float] | None = None,
) -> list[str]:
    """Ids by (1 - weight) * cosine + weight * BM25 / best BM25 (0 where keywords found none),
    plus weight * `defining` (a chunk defining an option the query names counts as one more
    best BM25 match, twice in the document the query names).

    Cosine similarity is already on a fixed scale and is used as it is: scaling it over the
    candidates too (min-max) blows small differences up and buried exact-term hits (measured
    on the git man pages, see BENCHMARKS.md); BM25 has no fixed scale, so the best is 1."""
    top = max(bm25.values(), default=0.0) or 1.0
    extra = defining or {}
    fused = {
        cid: (1 - weight) * cos + weight * (bm25.get(cid, 0.0) / top + extra.get(cid, 0.0))
        for cid, cos in cosine.items()
    }
    return sorted(fused, key=lambda cid: -fused[cid])


def _cosines(matrix: np.ndarray, vector: np.ndarray) -> list[float]:
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(vector) or 1.0)
    return [float(x) for x in (matrix @ vector) / np.where(norms == 0, 1.0, norms)]
