"""Why each man-page dev question is wrong: where retrieval ranks the answer-bearing chunk (of
20), where selection ranks the answer-bearing candidate, and what is shown.

    python -m benchmarks.reference_diag H [N ...]     # H: a --home of benchmarks.reference_qa

`ok` counts the best candidate alone (what an option question is shown) or, for a question
the pages do not cover, that it is declined. Selection only: no model generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks import qa
from benchmarks.common import REPO
from frontdesk import answering
from frontdesk.evaluate import contains_answer, load_cases


def main(argv: list[str]) -> None:
    home = Path(argv[0]) / "manpages"
    only = {int(a) for a in argv[1:]}
    cases = load_cases(REPO / "benchmarks" / "data" / "manpages_dev_qa.jsonl")
    engine = qa.make_engine(home / "home", home / "plugins", bundled=False)
    engine.ingest()
    top_k = engine.plugins["git"].top_k
    for n, c in enumerate(cases, 1):
        if only and n not in only:
            continue
        deep = engine.search(c.question, "git", 20)
        rank = next(
            (i for i, h in enumerate(deep) if c.answers and contains_answer(h.text, c.answers)),
            None,
        )
        hits = engine.search(c.question, "git", top_k)
        sel = answering.select(c.question, hits, engine.embedder)
        best = sel.best.sentence if sel.best else ""
        # answerable: the best candidate shown holds an answer; not covered: it is declined
        ok = sel.covered and contains_answer(best, c.answers) if c.answers else not sel.covered
        at = [
            i
            for i, x in enumerate(sel.ranked)
            if c.answers and contains_answer(x.sentence, c.answers)
        ]
        sources = [h.source_name.split("/")[-1] for h in hits]
        print(
            f"{n:3d} {'ok' if ok else 'XX'} rank={rank} candpos={at[:1]} covered={sel.covered} "
            f"conf={sel.confidence:.2f} src={sources}"
        )
        print(f"     Q: {c.question}\n     best: {best[:150]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
