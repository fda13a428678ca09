"""Where the answering option entry is for man-page dev questions the product gets wrong: its
chunk's rank in the keyword pool (BM25, 20) and among the 20 retrieved, and, where the question
names a page, the rank of the entry among all that page's entries by closeness of meaning
(entry_match.closeness, the short form: heading and first sentence).

    python -m benchmarks.entry_reach H N [N ...]     # H: a --home of benchmarks.reference_qa
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from benchmarks import qa
from benchmarks.common import REPO
from benchmarks.reference_qa import git_plugin
from frontdesk import entry_match, options, retrieval
from frontdesk.evaluate import contains_answer, load_cases


def main(argv: list[str]) -> None:
    home = Path(argv[0]) / "manpages"
    only = {int(a) for a in argv[1:]}
    cases = load_cases(REPO / "benchmarks" / "data" / "manpages_dev_qa.jsonl")
    git_plugin(home)
    eng = qa.make_engine(home / "home", home / "plugins", bundled=False)
    eng.ingest()
    store = eng.store
    live = {r.version for r in store.manifest("git").values()}
    index = store.keywords.get(
        "git", frozenset(live), lambda: retrieval._load_chunks(store, "git", live)
    )
    for n, c in enumerate(cases, 1):
        if n not in only or not c.answers:
            continue
        q = c.question
        answering = [
            ch.chunk_id
            for ch in index.chunks
            if any(contains_answer(e, c.answers) for e in retrieval._entries(ch.text))
        ]
        pool = [ch.chunk_id for ch, _ in index.search(q, 20)]
        found = [h.chunk_id for h in eng.search(q, "git", 20)]
        print(f"\n{n} {q} (asks for an option: {entry_match.wanted(q)})")
        for cid in answering:
            at_pool = pool.index(cid) if cid in pool else None
            at_found = found.index(cid) if cid in found else None
            print(f"  chunk {cid}: keyword pool {at_pool}, retrieved {at_found}")
        page = [
            (str(ch.meta.get("source_name", "")), e)
            for ch in index.chunks
            if options.named_document(q, str(ch.meta.get("source_name", "")))
            for e in retrieval._entries(ch.text)
        ]
        if not page:
            continue
        near = entry_match.closeness(eng.embedder, q, [e for _, e in page])
        order = [int(i) for i in np.argsort(-near)]
        for i in order[:3]:
            print(f"  {near[i]:.3f} {entry_match.short_form(page[i][1])[:90]!r}")
        at = next((r for r, i in enumerate(order) if contains_answer(page[i][1], c.answers)), None)
        print(f"  the answering entry: {at} of {len(page)} entries of the named page")


if __name__ == "__main__":
    main(sys.argv[1:])
