"""Choosing the lexical signal fused with MiniLM in the automatic routing fit, on CLINC150 `val`.

    python -m benchmarks.routing_lexical_val [--seeds 3] [--vectors PICKLE] [--json FILE]

Plugins as benchmarks.routing_auto writes them (description + 20 `train` examples, no topics).
Each variant adds `w` times a TF-IDF cosine of the question to each plugin's anchor texts
(examples, description and its phrases) to the MiniLM similarity; the examples are scored
leave-one-out on the same sum (their own text left out), and the product's rejection rule
(everyday questions, lowered and capped: routing_generic.py) picks `reject` from them at each
share of examples kept. Scored on `val` / `oos_val` only ("right" = routed to the right plugin;
"rejected" = out-of-scope question sent to no plugin); `test` is never read here.

- word / char: TF-IDF (sublinear tf) over words 1-2 (English stop words out) or character
  n-grams inside words (char_wb 2-4, the product's routing_lexical.py; 3-5 tried too);
- nearest / mean of 2 / mean of 3: a plugin's lexical score is its nearest anchor text's
  cosine, or the mean of its 2 or 3 nearest (the embedding side uses 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import machine, table
from benchmarks.routing_generic_val import rule, setup
from frontdesk import routing_generic
from frontdesk.routing_index import description_phrases
from frontdesk.routing_lexical import LexicalIndex

KEEPS = (0.95, 0.96, 0.97, 0.98)
VARIANTS = [  # (label, analyzer, ngrams, neighbours, weight)
    ("none (session 4's rule)", "", (0, 0), 0, 0.0),
    ("word 1-2, nearest", "word", (1, 2), 1, 0.15),
    ("word 1-2, mean of 3", "word", (1, 2), 3, 0.2),
    ("char 3-5, nearest", "char_wb", (3, 5), 1, 0.2),
    ("char 2-4, mean of 3", "char_wb", (2, 4), 3, 0.2),
    ("char 2-4, nearest", "char_wb", (2, 4), 1, 0.15),
    ("char 2-4, nearest (first kept)", "char_wb", (2, 4), 1, 0.2),
    ("char 2-4, nearest", "char_wb", (2, 4), 1, 0.3),
    ("char 2-4, mean of 2", "char_wb", (2, 4), 2, 0.15),
    ("char 2-4, mean of 2 (kept)", "char_wb", (2, 4), 2, 0.2),
    ("char 2-4, mean of 2", "char_wb", (2, 4), 2, 0.3),
]


def lexical(
    corpus: list[str], owner: np.ndarray, texts: list[str], exclude: np.ndarray | None, v: tuple
) -> np.ndarray:
    """(texts, plugins) lexical scores of one variant."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    _, analyzer, ngrams, k, _ = v
    stop = "english" if analyzer == "word" else None
    vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, stop_words=stop)
    sims = (vec.fit(corpus).transform(texts) @ vec.transform(corpus).T).toarray()
    if exclude is not None:
        sims[np.arange(len(texts)), exclude] = -np.inf
    out = np.zeros((len(texts), int(owner.max()) + 1))
    for p in range(out.shape[1]):
        s = sims[:, owner == p]
        top = -np.partition(-s, min(k, s.shape[1]) - 1, axis=1)[:, :k]
        out[:, p] = np.nanmean(np.where(np.isfinite(top), top, np.nan), 1)
    return out


def fused(d: dict[str, Any], data: Any, v: tuple) -> dict[str, Any]:
    """The draw's similarities with the variant's lexical scores added."""
    w = v[4]
    if w == 0:
        return d
    plugins, router = d["plugins"], d["router"]
    own = [list(p.examples) + description_phrases(p.description) for p in plugins]
    corpus = [t for o in own for t in o] + [p.description for p in plugins]
    owner = np.r_[np.repeat(np.arange(len(plugins)), [len(o) for o in own]), np.arange(len(own))]
    starts = np.cumsum([0] + [len(o) for o in own])[:-1]
    examples = [e for p in plugins for e in p.examples]
    rows = np.array([starts[i] + j for i, p in enumerate(plugins) for j in range(len(p.examples))])
    everyday = [routing_generic.questions()[i] for i in np.flatnonzero(d["keep"])]
    val, oos = [t for t, _ in data["val"]], [t for t, _ in data["oos_val"]]
    if v[0].endswith("(kept)"):  # the product's own index must give the same numbers
        index = LexicalIndex(
            corpus[: len(corpus) - len(own)], owner[: -len(own)], corpus[-len(own) :]
        )
        assert np.allclose(
            index.similarities(examples, rows), lexical(corpus, owner, examples, rows, v), atol=1e-5
        )
    generic = router.index.similarities(d["generic"].vectors)
    return {
        **d,
        "loo": d["loo"] + w * lexical(corpus, owner, examples, rows, v),
        "sv": d["sv"] + w * lexical(corpus, owner, val, None, v),
        "so": d["so"] + w * lexical(corpus, owner, oos, None, v),
        "everyday": (generic + w * lexical(corpus, owner, everyday, None, v)).max(1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args, data, draws = setup(argv, __doc__)
    out: dict[str, Any] = {"machine": machine(), "variants": {}}
    rows = []
    for v in VARIANTS:
        label = f"{v[0]}, w={v[4]}" if v[4] else v[0]
        with_lex = [fused(d, data, v) for d in draws]
        top1 = float(np.mean([(d["sv"].argmax(1) == d["gv"]).mean() for d in with_lex]))
        cells = [f"{top1:.1%}"]
        got_all = {}
        for keep in KEEPS:
            got = np.array([rule(d, "lowered, capped", keep) for d in with_lex]).mean(0)
            got_all[str(keep)] = got.round(4).tolist()
            cells.append(f"{got[0]:.1%} / {got[1]:.0%}")
        out["variants"][label] = {"top1": round(top1, 4), "keeps": got_all}
        rows.append([label, *cells])
        print(rows[-1], flush=True)
    heads = ["lexical signal", "val top-1", *[f"keep {k}: right / rejected" for k in KEEPS]]
    print(table(heads, rows))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
