"""Answer-selection experiments on the QuAC dev split that were measured and not kept.

    python -m benchmarks.answer_experiments gate    # passage-level gate features, 2-fold on dev
    python -m benchmarks.answer_experiments trim    # span trimming of the selected sentence, dev
    python -m benchmarks.answer_experiments followup  # richer sentence features, 2-fold on dev
    python -m benchmarks.answer_experiments listwise  # another fit of the kept features

Dev only (dialogs 0-199), but for `listwise`, which was chosen on dev and then scored once on
test as a kept change would be (it was not kept: see BENCHMARKS.md). `gate` adds features of the
question against the whole passage (best/mean similarity, question words and names absent from
the passage, an answer type the passage never holds, yes/no and "any other" questions) to the
answerability gate's, fits logistic regression and gradient boosting on one half of the dev
dialogs, scores the other half (and the reverse), and prints the trade-off: the share of
unanswerable questions declined at 5-30% of answerable ones declined. `trim` answers with parts
of the selected sentence (clauses) instead of all of it. `followup` adds dialog features to the
sentence scorer (IDF-weighted overlap with the question and with the previous question, rank of
the similarity, similarity to the previous answer, exact offsets from the previous answer, a
cause cue for "why") and compares logistic regression with gradient boosting, fitted on one half
of the dev dialogs and scored on the other (previous answers: the system's own). `listwise`
keeps the 12 features and changes the fit: a softmax over each question's sentences (the right
one against the others, as the scorer is used) instead of one yes/no per sentence, first with the
reference previous answer, then refitted twice with the previous answer the fitted scorer itself
chose (as it runs in a conversation); 2-fold on dev, then fitted on all of dev with its gate
refitted, and scored through benchmarks.answer_selection on dev and test.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import math
import re
from typing import Any

import numpy as np

from benchmarks.answer_selection import DEV, Embeds, hit_for, load, token_f1
from frontdesk import answering
from frontdesk.grounding import content_words

_PROPER = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z]+")
_YES_NO = re.compile(r"\s*(did|does|do|was|were|is|are|has|had|have|can|could)\b", re.I)
_OTHER = re.compile(r"\b(other|else|another|any more|anything)\b", re.I)
_CLAUSE = re.compile(r"(?<=[,;:])\s+|\s+(?=\b(?:and|but|which|who|while|after|before|because)\b)")


def gate_rows(dialogs: list[dict[str, Any]], embeds: Embeds) -> tuple[np.ndarray, np.ndarray]:
    model = answering.default_model()
    xs, ys = [], []
    for d in dialogs:
        pool = answering.candidates([hit_for(d)])
        sents = [s for _, s in pool]
        passage_words = set(content_words(d["passage"]))
        df: collections.Counter[str] = collections.Counter()
        for s in sents:
            df.update(set(content_words(s)))
        n = len(sents)

        def idf(w: str, n: int = n, df: collections.Counter[str] = df) -> float:
            return math.log((n + 1) / (df.get(w, 0) + 0.5))

        previous = None
        for t in d["turns"]:
            q = t["question"]
            v = embeds.embed([q, *sents])
            sims = v[1:] @ v[0]
            x = answering.features(q, pool, sims, previous)
            scores = model.sentence_scores(x)
            qw = set(content_words(q))
            missing = [w for w in qw if w not in passage_words]
            kind = answering.question_type(q)
            typed = any(answering.has_type(kind, s) for s in sents) if kind else True
            names = [m for m in _PROPER.findall(q) if m.lower() not in d["passage"].lower()]
            extra = [
                float(sims.max()),
                float(sims.mean()),
                float(sims.max() - sims.mean()),
                float(np.sort(sims)[-3:].mean()),
                len(missing) / max(len(qw), 1),
                sum(idf(w) for w in missing) / max(sum(idf(w) for w in qw), 1e-6),
                float(not typed),
                float(bool(names)),
                float(previous is not None),
                min(len(qw), 8) / 8,
                float(bool(_YES_NO.match(q))),
                float(bool(_OTHER.search(q))),
            ]
            xs.append(np.concatenate([model.gate_features(x, scores), extra]))
            ys.append(int(t["answerable"]))
            previous = sents[int(np.argmax(scores))]
    return np.array(xs), np.array(ys)


def trade_off(p: np.ndarray, y: np.ndarray) -> list[str]:
    out = []
    for share in (0.05, 0.10, 0.15, 0.20, 0.30):
        threshold = np.sort(p[y == 1])[int(share * (y == 1).sum())]
        out.append(
            f"answerable declined {(p[y == 1] < threshold).mean():.1%}"
            f" -> unanswerable declined {(p[y == 0] < threshold).mean():.1%}"
        )
    return out


def gate(dialogs: list[dict[str, Any]], embeds: Embeds) -> None:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = gate_rows(dialogs, embeds)
    old = slice(0, len(answering.FEATURES) + 2)  # the kept gate's own features
    half = np.arange(len(y)) < len(y) // 2

    def logistic() -> Any:
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))

    def boosted() -> Any:
        return GradientBoostingClassifier(
            n_estimators=100, max_depth=2, learning_rate=0.05, subsample=0.8, random_state=0
        )

    for name, make, cols in (
        ("kept gate features, logistic", logistic, old),
        ("+ passage features, logistic", logistic, slice(None)),
        ("+ passage features, gradient boosting", boosted, slice(None)),
    ):
        p = np.zeros(len(y))
        for train in (half, ~half):
            fitted = make().fit(x[train][:, cols], y[train])
            p[~train] = fitted.predict_proba(x[~train][:, cols])[:, 1]
        print(name, *trade_off(p, y), sep="\n  ")


def trim(dialogs: list[dict[str, Any]], embeds: Embeds) -> None:
    model = answering.default_model()
    res: dict[str, dict[str, list[float]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    for d in dialogs:
        hit, previous = hit_for(d), None
        for turn, t in enumerate(d["turns"]):
            q = t["question"]
            best = answering.select(q, [hit], embeds, previous, model).best
            s = best.sentence if best else ""
            previous = s
            if not t["answerable"]:
                continue
            parts = [p for p in _CLAUSE.split(s) if p.strip()] or [s]
            qw = set(content_words(q))
            overlap = [len(set(content_words(p)) & qw) for p in parts]
            b = int(np.argmax(overlap))
            kept = [p for p in parts if not set(content_words(p)) <= qw] or parts
            variants = {
                "whole sentence": s,
                "without clauses restating the question": " ".join(kept),
                "first clause": parts[0],
                "all but the first clause": " ".join(parts[1:]) or s,
                "best-overlap clause and the next": " ".join(parts[b : b + 2]),
            }
            key = "first turns" if turn == 0 else "follow-ups"
            for name, text in variants.items():
                res[name][key].append(token_f1(text, t["answers"]))
    for name, r in res.items():
        print(name, {k: round(float(np.mean(v)), 3) for k, v in r.items()})


_CAUSE = re.compile(
    r"\b(because|due to|as a result|so that|since|after|in order to|led to|caused|reason)\b", re.I
)


def followup_features(
    q: str, sents: list[str], base: np.ndarray, sims: np.ndarray, prev: int | None, prev_q: str
) -> np.ndarray:
    n = len(sents)
    df: collections.Counter[str] = collections.Counter()
    for s in sents:
        df.update(set(content_words(s)))

    def idf(w: str) -> float:
        return math.log((n + 1) / (df.get(w, 0) + 0.5))

    qw = set(content_words(q))
    pw = set(content_words(prev_q)) - qw
    q_total = sum(idf(w) for w in qw) or 1.0
    p_total = sum(idf(w) for w in pw) or 1.0
    rank = np.empty(n)
    rank[np.argsort(-sims)] = np.arange(n)
    why = bool(re.match(r"\s*(why|how come)\b", q, re.I))
    rows = []
    for i, s in enumerate(sents):
        sw = set(content_words(s))
        rel = i - prev if prev is not None else None
        rows.append(
            [
                sum(idf(w) for w in qw & sw) / q_total,
                sum(idf(w) for w in pw & sw) / p_total if pw else 0.0,
                rank[i] / n,
                float(rank[i] == 0),
                float(rel == 0),
                float(rel == 1),
                float(rel == 2),
                float(rel is not None and rel < 0),
                float(rel is not None and rel > 2),
                float(why and bool(_CAUSE.search(s))),
                min(len(qw), 6) / 6,
                float(i == 0),
            ]
        )
    return np.hstack([base, np.array(rows)])


def followup(dialogs: list[dict[str, Any]], embeds: Embeds) -> None:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from benchmarks.answer_selection import best_sentence

    def turns(
        d: dict[str, Any], pick: Any = None, kept: bool = False
    ) -> list[tuple[np.ndarray, np.ndarray, Any]]:
        pool = answering.candidates([hit_for(d)])
        sents = [s for _, s in pool]
        prev, prev_q, out = None, "", []
        for turn, t in enumerate(d["turns"]):
            v = embeds.embed([t["question"], *sents])
            sims = v[1:] @ v[0]
            if kept:  # the kept scorer's 12 features, the previous answer's place among them
                x = answering.features(
                    t["question"], pool, sims, None if prev is None else sents[prev]
                )
            else:
                base = answering.features(t["question"], pool, sims, None)
                x = followup_features(t["question"], sents, base, sims, prev, prev_q)
            best, f1 = best_sentence(sents, t["answers"]) if t["answerable"] else (-1, 0.0)
            y = np.zeros(len(sents))
            if best >= 0 and f1 >= 0.4:
                y[best] = 1
            out.append((x, y, (t, turn, sents)))
            chosen = best if pick is None else pick(x)
            prev = chosen if chosen >= 0 else prev
            prev_q = t["question"]
        return out

    halves = (dialogs[: len(dialogs) // 2], dialogs[len(dialogs) // 2 :])
    for name, make, kept in (
        ("kept features, logistic", lambda: LogisticRegression(max_iter=3000), True),
        ("+ dialog features, logistic", lambda: LogisticRegression(max_iter=3000), False),
        (
            "+ dialog features, gradient boosting",
            lambda: GradientBoostingClassifier(
                n_estimators=150, max_depth=3, subsample=0.8, random_state=0
            ),
            False,
        ),
    ):
        for train, held in (halves, halves[::-1]):
            rows = [r for d in train for r in turns(d, kept=kept)]
            fitted = make().fit(
                np.vstack([r[0] for r in rows]), np.concatenate([r[1] for r in rows])
            )

            def pick(x: np.ndarray, fitted: Any = fitted) -> int:
                return int(np.argmax(fitted.predict_proba(x)[:, 1]))

            f1: dict[str, list[float]] = collections.defaultdict(list)
            for d in held:
                for x, _, (t, turn, sents) in turns(d, pick, kept):
                    if t["answerable"]:
                        key = "first turns" if turn == 0 else "follow-ups"
                        f1[key].append(token_f1(sents[pick(x)], t["answers"]))
            print(name, {k: round(float(np.mean(v)), 3) for k, v in f1.items()})


def turn_rows(
    dialogs: list[dict[str, Any]], embeds: Embeds, w: np.ndarray | None
) -> list[tuple[np.ndarray, int, dict[str, Any], int, list[str]]]:
    """Each turn's sentence features, its reference sentence (-1: none), the turn, its number
    and the passage's sentences. The previous answer is the reference one when w is None, else
    the sentence w ranks first (as the scorer runs in a conversation)."""
    from benchmarks.answer_selection import best_sentence

    rows = []
    for d in dialogs:
        pool = answering.candidates([hit_for(d)])
        sents = [s for _, s in pool]
        previous = None
        for n, t in enumerate(d["turns"]):
            v = embeds.embed([t["question"], *sents])
            x = answering.features(t["question"], pool, v[1:] @ v[0], previous)
            best, f1 = best_sentence(sents, t["answers"]) if t["answerable"] else (-1, 0.0)
            rows.append((x, best if best >= 0 and f1 >= 0.4 else -1, t, n, sents))
            if w is None:
                previous = sents[best] if best >= 0 else None
            else:
                previous = sents[int(np.argmax(x @ w))]
    return rows


def fit_listwise(dialogs: list[dict[str, Any]], embeds: Embeds) -> np.ndarray:
    """Ranking weights maximising the softmax probability of each question's reference
    sentence among its passage's (L2 1.0): first with the reference previous answers, then
    twice more with the previous answers the weights themselves pick."""
    from scipy.optimize import minimize

    w: np.ndarray | None = None
    for _ in range(3):
        labelled = [(x, y) for x, y, *_ in turn_rows(dialogs, embeds, w) if y >= 0]

        def loss(v: np.ndarray, labelled: list[Any] = labelled) -> tuple[float, np.ndarray]:
            total, grad = float(v @ v), 2 * v
            for x, y in labelled:
                z = x @ v
                p = np.exp(z - z.max())
                p /= p.sum()
                total -= math.log(p[y] + 1e-12)
                grad = grad - (x[y] - p @ x)
            return total, grad

        w = np.asarray(minimize(loss, np.zeros(len(answering.FEATURES)), jac=True).x)
    assert w is not None
    return w


def listwise_model(dialogs: list[dict[str, Any]], embeds: Embeds) -> answering.AnswerModel:
    """The listwise weights, rescaled so that a score stays a probability (one logistic
    scale and offset), and a gate refitted on the turns as the scorer sees them, its threshold
    declining at most 10% of the answerable ones (as benchmarks.answer_selection --fit does)."""
    from sklearn.linear_model import LogisticRegression

    w = fit_listwise(dialogs, embeds)
    rows = turn_rows(dialogs, embeds, w)
    z = np.concatenate([x @ w for x, *_ in rows]).reshape(-1, 1)
    y = np.concatenate([np.arange(len(x)) == best for x, best, *_ in rows]).astype(int)
    scale = LogisticRegression(max_iter=2000).fit(z, y)
    model = answering.AnswerModel(
        w * float(scale.coef_[0][0]), float(scale.intercept_[0]), np.zeros(14), 0.0, 0.5
    )
    gx = np.array([model.gate_features(x, model.sentence_scores(x)) for x, *_ in rows])
    gy = np.array([int(t["answerable"]) for _, _, t, _, _ in rows])
    gate = LogisticRegression(max_iter=2000).fit(gx, gy)
    kept = np.sort(gate.predict_proba(gx)[:, 1][gy == 1])
    return dataclasses.replace(
        model,
        gate_coef=gate.coef_[0],
        gate_intercept=float(gate.intercept_[0]),
        threshold=float(kept[int(0.10 * len(kept))]),
        structure_coef=answering.default_model().structure_coef,
    )


def listwise(dialogs: list[dict[str, Any]], embeds: Embeds) -> None:
    from benchmarks.answer_selection import evaluate, report

    def held_out(rows: list[Any], w: np.ndarray) -> dict[str, float]:
        f1: dict[str, list[float]] = collections.defaultdict(list)
        for x, _, t, n, sents in rows:
            if t["answerable"]:
                picked = sents[int(np.argmax(x @ w))]
                f1["first turns" if n == 0 else "follow-ups"].append(token_f1(picked, t["answers"]))
        return {k: round(float(np.mean(v)), 3) for k, v in f1.items()}

    dev = dialogs[:DEV]
    half = DEV // 2
    kept = answering.default_model().coef
    for name, train, held in (
        ("first half", dev[half:], dev[:half]),
        ("second half", dev[:half], dev[half:]),
    ):
        print(
            name,
            "held out; kept scorer (fitted on all of dev)",
            held_out(turn_rows(held, embeds, kept), kept),
        )
        w = fit_listwise(train, embeds)
        print(name, "held out; listwise", held_out(turn_rows(held, embeds, w), w))
    # As a kept change would be: fitted on all of dev, the gate too; test scored once.
    model = listwise_model(dev, embeds)
    for split, part in (("dev", dev), ("test", dialogs[DEV:])):
        print(
            report(
                split + " (listwise scorer, refitted gate)", evaluate(part, embeds, 0, None, model)
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=["gate", "trim", "followup", "listwise"])
    args = parser.parse_args(argv)
    dialogs = load()
    embeds = Embeds(dialogs)
    run = {"gate": gate, "trim": trim, "followup": followup, "listwise": listwise}[args.experiment]
    if args.experiment == "listwise":  # scores test once, as for a kept change
        listwise(dialogs, embeds)
    else:
        run(dialogs[:DEV], embeds)


if __name__ == "__main__":
    main()
