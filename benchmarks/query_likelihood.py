"""SmolLM2 as a scorer of QuAC answers (query likelihood, PMI, a yes/no judgement), dev only.

    python -m benchmarks.query_likelihood collect --start 0 --stop 100   # score, cached
    python -m benchmarks.query_likelihood analyze --start 0 --stop 100   # 2-fold tables
    python -m benchmarks.query_likelihood timing                         # ms per candidate
    python -m benchmarks.query_likelihood collect --selection-only --start 80 --stop 200
    python -m benchmarks.query_likelihood analyze --selection-only --start 0 --stop 200

`collect` runs the kept selection (frontdesk.answering, the system's own previous answer for
follow-ups) on each dialog and, for its top-K candidates of every turn, scores with the bundled
SmolLM2 (frontdesk.lm_rerank, its own llama.cpp instance, n_threads=1):
- `ql`: mean log p(question | "Passage: <sentence> … Question:");
- `ql_ctx` (follow-ups): the same with the previous question and our previous answer between
  the passage and the instruction;
- `ql_pos` (follow-ups): the same with the previous question and where our previous answer is
  ("The previous answer was sentence 4 of 18.");
and per question `prior` (no passage), `whole` (the whole passage) and `judge` (log p(yes) −
log p(no), "Does the passage answer the question?", for the kept best sentence). Every score is
cached in benchmarks/results/query_likelihood_cache.jsonl (key: kind, question, sentence,
context), so reruns only score what is new. `analyze` fits, 2-fold over the scored dialogs (fit
on one half, score the other, and the reverse), a re-ranker of the top-K (kept logit + query
likelihood features) and the gate with PMI features, and prints the F1 and the trade-off tables.
`--selection-only`: only the scores the re-rankers `ql`, `ql_ctx` and `ctx_top3` need (about a
third of the cost), and only their table.
Nothing here reads the test split unless --start/--stop point at it.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.answer_experiments import trade_off
from benchmarks.answer_selection import Embeds, best_sentence, hit_for, load, token_f1
from benchmarks.common import REPO
from frontdesk import answering, lm_rerank
from frontdesk.models import bundled_gguf

CACHE = REPO / "benchmarks" / "results" / "query_likelihood_cache.jsonl"
K = 5
K_CTX = 3  # candidates also scored with the conversation in the prompt (cost)
CTX_K = {"ql_ctx": K_CTX}  # collect: how many of the top-K get each context score (--ctx-k)


class Cache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.data[row["k"]] = row["v"]
        self.seconds = 0.0
        self.calls = 0

    def get(self, kind: str, question: str, text: str | None, context: str, fn: Any) -> Any:
        key = hashlib.sha256(json.dumps([kind, question, text, context]).encode()).hexdigest()
        if key not in self.data:
            started = time.perf_counter()
            self.data[key] = fn()
            self.seconds += time.perf_counter() - started
            self.calls += 1
            with self.path.open("a") as f:
                f.write(json.dumps({"k": key, "v": self.data[key]}) + "\n")
        return self.data[key]


def turns_of(d: dict[str, Any], embeds: Embeds) -> list[dict[str, Any]]:
    """Today's kept selection (answering.select, with reference.rank and the lift reranks) on
    each turn: the order of its candidates, their scores, top-K, previous answer."""
    model = answering.default_model()
    hit = hit_for(d)
    sents = [s for _, s in answering.candidates([hit])]
    out, previous, prev_q = [], None, ""
    for turn, t in enumerate(d["turns"]):
        q = t["question"]
        sel = answering.select(q, [hit], embeds, previous, model)
        pool = [(hit, s) for s in sents]
        v = embeds.embed([q, *sents])
        x = answering.features(q, pool, v[1:] @ v[0], previous)
        order = [c.position for c in sel.ranked]
        scores = np.zeros(len(sents))
        for c in sel.ranked:
            scores[c.position] = c.score
        logit = np.log(np.clip(scores, 1e-6, 1 - 1e-6) / np.clip(1 - scores, 1e-6, 1))
        best, f1 = best_sentence(sents, t["answers"]) if t["answerable"] else (-1, 0.0)
        prev_i = answering._locate(previous, pool)
        out.append(
            {
                "turn": turn,
                "q": q,
                "t": t,
                "sents": sents,
                "logit": logit,
                "scores": scores,
                "top": [int(i) for i in order[:K]],
                "gold": best if f1 >= 0.4 else -1,
                "sel": sel,
                "gate": model.gate_features(x, scores),
                "prev": previous,
                "prev_q": prev_q,
                "prev_i": prev_i,
            }
        )
        previous, prev_q = (sents[order[0]] if order else None), q
    return out


def contexts(r: dict[str, Any]) -> dict[str, str]:
    if r["turn"] == 0 or r["prev"] is None:
        return {}
    ctx = {"ql_ctx": lm_rerank.conversation(r["prev_q"], r["prev"])}
    if r["prev_i"] is not None:
        ctx["ql_pos"] = (
            f"Previous question: {r['prev_q']}\n"
            f"The previous answer was sentence {r['prev_i'] + 1} of {len(r['sents'])}."
        )
    return ctx


def collect(
    dialogs: list[dict[str, Any]], embeds: Embeds, ql: Any, cache: Cache, selection_only: bool
) -> None:
    started = time.perf_counter()
    per_question = []
    for n, d in enumerate(dialogs):
        rows = turns_of(d, embeds)
        for r in [] if selection_only else rows:
            q = r["q"]
            cache.get("prior", q, None, "", lambda q=q: ql.score(q, None).mean)
            text = d["passage"]
            cache.get("whole", q, text, "", lambda q=q, text=text: ql.score(q, text).mean)
        # sentence-major order: consecutive prompts share the evaluated "Passage: <s>" prefix
        wanted = sorted({i for r in rows for i in r["top"]})
        for i in wanted:
            s = rows[0]["sents"][i]
            for r in rows:
                if i not in r["top"]:
                    continue
                q = r["q"]
                cache.get("ql", q, s, "", lambda q=q, s=s: ql.score(q, s).mean)
                for kind, ctx in contexts(r).items():
                    if i not in r["top"][: CTX_K.get(kind, K_CTX)]:
                        continue
                    if selection_only and kind != "ql_ctx":
                        continue
                    cache.get(kind, q, s, ctx, lambda q=q, s=s, c=ctx: ql.score(q, s, c).mean)
        for r in rows:
            s = r["sents"][r["top"][0]]
            if not selection_only:
                cache.get("judge", r["q"], s, "", lambda r=r, s=s: ql.judge(r["q"], s))
            per_question.append(len(r["top"]))
        print(
            f"dialog {n + 1}/{len(dialogs)}: {cache.calls} new scores in {cache.seconds:.0f} s "
            f"({1000 * cache.seconds / max(cache.calls, 1):.0f} ms each), "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    print(f"candidates per question scored: {np.mean(per_question):.2f} (top-{K})")


def lookup(cache: Cache, kind: str, q: str, text: str | None, ctx: str = "") -> float:
    key = hashlib.sha256(json.dumps([kind, q, text, ctx]).encode()).hexdigest()
    return float(cache.data[key])


# The re-rankers compared on the selection (frontdesk.lm_rerank.Form: `ql` of the top n, `ql_ctx`
# of the top n_ctx); the features are the product's own (lm_rerank.features).
FORMS = {
    "kept": lm_rerank.Form(K, False, 0),
    "ql": lm_rerank.Form(K, True, 0),
    "ql_ctx": lm_rerank.Form(K, True, K_CTX),  # session 4's best: 8 scores
    "ql_ctx_top3": lm_rerank.Form(K_CTX, True, K_CTX),  # 6 scores
    "ctx5": lm_rerank.Form(K, False, K),  # the conversation's score alone: 5 scores
    "ql_ctx5": lm_rerank.Form(K, True, K),  # 10 scores
    "ctx_top3": lm_rerank.Form(K_CTX, False, K_CTX),  # 3 scores
}


def rerank_rows(rows: list[dict[str, Any]], cache: Cache, variant: str) -> list[np.ndarray]:
    """Per question, the features of its top candidates (in the kept order) for `variant`."""
    out = []
    for r in rows:
        q, ctx = r["q"], contexts(r)
        form = FORMS.get(variant, FORMS["ql"])
        top = r["top"][: form.n]
        base = np.array([r["logit"][i] for i in top])
        ql = np.array([lookup(cache, "ql", q, r["sents"][i]) for i in top])
        if variant in FORMS:
            c = None
            if form.n_ctx:
                c = ql[: form.n_ctx].copy()  # first turns: no conversation (never used)
                if "ql_ctx" in ctx:
                    c = np.array(
                        [
                            lookup(cache, "ql_ctx", q, r["sents"][i], ctx["ql_ctx"])
                            for i in top[: form.n_ctx]
                        ]
                    )
            out.append(lm_rerank.features(base, ql if form.ql else None, c))
            continue
        feats = [base, base - base.max(), -np.arange(len(top), dtype=float)]
        feats += [ql, ql - ql.max(), (ql == ql.max()).astype(float)]
        if variant == "ql_pos":
            c = ql.copy()
            if variant in ctx:
                for j, i in enumerate(top[:K_CTX]):
                    c[j] = lookup(cache, variant, q, r["sents"][i], ctx[variant])
                c[K_CTX:] += float(np.mean(c[:K_CTX] - ql[:K_CTX]))
            feats += [c - c.max(), (c == c.max()).astype(float)]
        if variant == "pmi":
            feats += [ql - lookup(cache, "prior", q, None)]
        out.append(np.stack(feats, axis=1))
    return out


def paired_se(a: list[float], b: np.ndarray) -> float:
    d = np.array(a) - b
    return float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0


def select_table(
    rows: list[dict[str, Any]],
    cache: Cache,
    first: np.ndarray,
    followups_only: bool,
    variants: tuple[str, ...],
) -> None:
    from sklearn.linear_model import LogisticRegression

    kept_f1: dict[str, np.ndarray] = {}
    for variant in variants:
        x = rerank_rows(rows, cache, variant)
        y = [
            np.array([float(i == r["gold"]) for i in r["top"][: len(x[n])]])
            for n, r in enumerate(rows)
        ]
        use = np.array([not followups_only or r["turn"] > 0 for r in rows])
        f1: dict[str, list[float]] = collections.defaultdict(list)
        moved: collections.Counter[str] = collections.Counter()
        for train in (first, ~first):
            idx = np.flatnonzero(train & use)
            fitted = LogisticRegression(max_iter=3000).fit(
                np.vstack([x[i] for i in idx]), np.concatenate([y[i] for i in idx])
            )
            for i in np.flatnonzero(~train):
                r = rows[i]
                if not r["t"]["answerable"]:
                    continue
                fitted_j = int(np.argmax(fitted.decision_function(x[i])))
                j = fitted_j if use[i] and variant != "kept" else 0  # kept: the kept choice
                key = "first turns" if r["turn"] == 0 else "follow-ups"
                f1[key].append(token_f1(r["sents"][r["top"][j]], r["t"]["answers"]))
                moved[key] += int(j != 0)
        summary = {k: (round(float(np.mean(v)), 3), len(v)) for k, v in sorted(f1.items())}
        summary["changed"] = dict(moved)  # type: ignore[assignment]
        if variant == "kept":
            kept_f1 = {k: np.array(v) for k, v in f1.items()}
        diffs = {
            k: f"{np.mean(np.array(v) - kept_f1[k]):+.3f} ± {paired_se(v, kept_f1[k]):.3f}"
            for k, v in sorted(f1.items())
        }
        print(f"  {variant}:", summary, "vs kept (paired, ± s.e.):", diffs)


def evidence_table(rows: list[dict[str, Any]], cache: Cache, first: np.ndarray) -> None:
    """As the product answers: token F1 of the evidence (Selection.evidence(), the best sentence
    and its close runners-up; 0 when the gate declines) for follow-ups, 2-fold, the kept order
    against the re-ranked one, with the candidates' scores kept as they were (`moved`) or
    handed out again in the new order (`rescored`: the first keeps the best score, so "close"
    runners-up are judged against the same top score as before)."""
    from dataclasses import replace

    from sklearn.linear_model import LogisticRegression

    variant = "ql_ctx"
    x = rerank_rows(rows, cache, variant)
    y = [
        np.array([float(i == r["gold"]) for i in r["top"][: len(x[n])]]) for n, r in enumerate(rows)
    ]
    use = np.array([r["turn"] > 0 for r in rows])
    f1: dict[str, list[float]] = collections.defaultdict(list)
    for train in (first, ~first):
        idx = np.flatnonzero(train & use)
        fitted = LogisticRegression(max_iter=3000).fit(
            np.vstack([x[i] for i in idx]), np.concatenate([y[i] for i in idx])
        )
        for i in np.flatnonzero(~train & use):
            r = rows[i]
            if not r["t"]["answerable"]:
                continue
            sel = r["sel"]
            z = fitted.decision_function(x[i])
            new_order = sorted(range(len(z)), key=lambda j: (-z[j], j))
            n = len(z)
            top = [sel.ranked[j] for j in new_order]
            moved = replace(sel, ranked=top + list(sel.ranked[n:]))
            scores = sorted((c.score for c in sel.ranked[:n]), reverse=True)
            rescored = replace(
                sel,
                ranked=[replace(c, score=v) for c, v in zip(top, scores, strict=True)]
                + list(sel.ranked[n:]),
            )
            for name, chosen in (("kept", sel), ("moved", moved), ("rescored", rescored)):
                text = " ".join(c.sentence for c in chosen.evidence()) if sel.covered else ""
                f1[name].append(token_f1(text, r["t"]["answers"]) if text else 0.0)
                best = chosen.ranked[0].sentence if sel.covered else ""
                f1[f"{name}, best sentence only"].append(
                    token_f1(best, r["t"]["answers"]) if best else 0.0
                )
    kept = np.array(f1["kept"])
    for name, v in f1.items():
        print(
            f"  evidence, {name}: F1 follow-ups {np.mean(v):.3f} (n={len(v)}), vs kept "
            f"{np.mean(np.array(v) - kept):+.3f} ± {paired_se(v, kept):.3f}"
        )


def analyze(
    dialogs: list[dict[str, Any]], embeds: Embeds, cache: Cache, selection_only: bool
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = [r for d in dialogs for r in turns_of(d, embeds)]
    half = len(dialogs) // 2
    ids = [i for i, d in enumerate(dialogs) for _ in d["turns"]]
    first = np.array(ids) < half
    in_top = sum(r["gold"] in r["top"] for r in rows if r["gold"] >= 0)
    gold_n = sum(r["gold"] >= 0 for r in rows)
    print(
        f"dialogs {len(dialogs)}, questions {len(rows)}; best sentence in top-{K}: "
        f"{in_top}/{gold_n}"
    )

    # -- selection: re-rank the top-K --------------------------------------------------------
    for scope in ("all turns", "follow-ups only"):
        print(f"re-ranker fitted on and applied to {scope}:")
        variants = ("kept", "ql", "ql_ctx", "ql_ctx_top3", "ctx5", "ql_ctx5", "ctx_top3")
        if not selection_only:
            variants += ("ql_pos", "pmi")
        select_table(rows, cache, first, scope == "follow-ups only", variants)
    print("the evidence the product answers from (follow-ups only, ql_ctx):")
    evidence_table(rows, cache, first)
    if selection_only:
        return

    # -- gate: PMI and judgement features ---------------------------------------------------
    gx, extra = [], []
    for r in rows:
        q, best = r["q"], r["sents"][r["top"][0]]
        prior = lookup(cache, "prior", q, None)
        qls = [lookup(cache, "ql", q, r["sents"][i]) for i in r["top"]]
        extra.append(
            [
                qls[0] - prior,
                max(qls) - prior,
                lookup(cache, "whole", q, dialogs[ids[len(gx)]]["passage"]) - prior,
                lookup(cache, "judge", q, best),
                qls[0],
                prior,
            ]
        )
        gx.append(r["gate"])
    g, e = np.array(gx), np.array(extra)
    model = answering.default_model()
    kept_p = np.array([model.answerable(v) for v in g])
    kept_logit = np.log(kept_p / (1 - kept_p))[:, None]
    y = np.array([int(r["t"]["answerable"]) for r in rows])

    def logistic() -> Any:
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))

    for name, cols in (
        ("kept gate features", g),
        ("+ PMI best / max / whole passage", np.hstack([g, e[:, :3]])),
        ("+ yes/no judgement", np.hstack([g, e[:, 3:4]])),
        ("+ all LM features", np.hstack([g, e])),
        ("LM features alone", e),
        ("kept gate's logit + PMI max / whole passage", np.hstack([kept_logit, e[:, 1:3]])),
    ):
        p = np.zeros(len(y))
        for train in (first, ~first):
            fitted = logistic().fit(cols[train], y[train])
            p[~train] = fitted.predict_proba(cols[~train])[:, 1]
        print(f"{name} (held-out AUC {roc_auc_score(y, p):.3f})", *trade_off(p, y), sep="\n  ")
    print(f"answerable {int(y.sum())}, unanswerable {int((y == 0).sum())}")
    print("kept gate as fitted on all dev (in-sample here):", *trade_off(kept_p, y), sep="\n  ")
    for j, name in enumerate(("pmi_best", "pmi_max", "pmi_whole", "judge", "ql_best", "prior")):
        a, u = e[y == 1, j], e[y == 0, j]
        print(
            f"{name}: answerable mean {a.mean():.3f}, unanswerable mean {u.mean():.3f}, "
            f"AUC {roc_auc_score(y, e[:, j]):.3f}"
        )


def fit(dialogs: list[dict[str, Any]], embeds: Embeds, cache: Cache, variant: str) -> None:
    """Fit `variant` on every follow-up of `dialogs` (all dev) and write the product's weights
    (frontdesk/followup_rerank.json, read by frontdesk.lm_rerank)."""
    from sklearn.linear_model import LogisticRegression

    rows = [r for d in dialogs for r in turns_of(d, embeds) if r["turn"] > 0]
    x = rerank_rows(rows, cache, variant)
    y = [
        np.array([float(i == r["gold"]) for i in r["top"][: len(x[n])]]) for n, r in enumerate(rows)
    ]
    fitted = LogisticRegression(max_iter=3000).fit(np.vstack(x), np.concatenate(y))
    form = FORMS[variant]
    out = {
        "variant": variant,
        "n": form.n,
        "ql": form.ql,
        "n_ctx": form.n_ctx,
        "coef": [round(float(v), 6) for v in fitted.coef_[0]],
        "intercept": round(float(fitted.intercept_[0]), 6),
        "fitted_on": f"QuAC dev dialogs {dialogs[0]['id']}..{dialogs[-1]['id']} "
        f"({len(dialogs)} dialogs, {len(rows)} follow-ups)",
        "command": f"python -m benchmarks.query_likelihood fit --variant {variant} "
        "--start 0 --stop 200",
    }
    lm_rerank.WEIGHTS_FILE.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


def cost(dialogs: list[dict[str, Any]], embeds: Embeds) -> None:
    """Tokens llama.cpp evaluates per follow-up for each form, in the order the product scores
    them (lm_rerank.rerank: per sentence `ql`, then `ql_ctx`, so the second reuses the
    `Passage: <s>` prefix), against every prompt evaluated whole: a cost measure that does not
    depend on the machine's load."""
    ql = lm_rerank.scorer("llamacpp:smollm2", n_threads=1)
    totals: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    for d in dialogs:
        for r in turns_of(d, embeds):
            if r["turn"] == 0:
                continue
            ctx = contexts(r).get("ql_ctx", "")
            for name, form in FORMS.items():
                if name == "kept":
                    continue
                last: list[int] = []
                whole = reused = 0
                for j, i in enumerate(r["top"][: form.n]):
                    s = r["sents"][i]
                    prompts = ([lm_rerank.prompt(s)] if form.ql else []) + (
                        [lm_rerank.prompt(s, ctx)] if j < form.n_ctx else []
                    )
                    for text in prompts:
                        tokens = ql._tokens(text, bos=True) + ql._tokens(" " + r["q"], bos=False)
                        same = 0
                        for a, b in zip(last, tokens, strict=False):
                            if a != b:
                                break
                            same += 1
                        whole += len(tokens)
                        reused += len(tokens) - same
                        last = tokens
                totals[name].append((whole, reused))
    for name, rows in totals.items():
        a = np.array(rows)
        print(
            f"{name}: {FORMS[name].scores} scores, tokens per follow-up {a[:, 0].mean():.0f} "
            f"evaluated whole, {a[:, 1].mean():.0f} with the prefix reused ({len(rows)} follow-ups)"
        )


def timing(dialogs: list[dict[str, Any]]) -> None:
    d = dialogs[0]
    sents = answering.split_sentences(d["passage"])[:4]
    for threads in (1, 2):
        ql = lm_rerank.QueryLikelihood(bundled_gguf("smollm2"), n_threads=threads)
        for label, reuse in (("no prefix reuse", False), ("sentence-major", True)):
            calls, started = 0, time.perf_counter()
            for s in sents:
                for t in d["turns"]:
                    if not reuse:
                        ql._last = []
                    ql.score(t["question"], s)
                    calls += 1
            ms = 1000 * (time.perf_counter() - started) / calls
            print(f"n_threads={threads}, {label}: {ms:.0f} ms per candidate ({calls} calls)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["collect", "analyze", "timing", "fit", "cost"])
    parser.add_argument("--variant", default="ql_ctx", choices=sorted(FORMS), help="fit: which")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--stop", type=int, default=100)
    parser.add_argument("--cache", default=str(CACHE))
    parser.add_argument(
        "--ranges", help="analyze: dialog ranges instead of start/stop, e.g. 0-30,40-70"
    )
    parser.add_argument(
        "--selection-only",
        action="store_true",
        help="only what the selection re-rankers need (ql of the top-K, ql_ctx of follow-ups)",
    )
    parser.add_argument(
        "--ctx-k", type=int, default=K_CTX, help="collect: score ql_ctx on this many of the top-K"
    )
    args = parser.parse_args(argv)
    CTX_K["ql_ctx"] = args.ctx_k
    dialogs = load()[args.start : args.stop]
    if args.ranges:
        spans = [tuple(int(v) for v in part.split("-")) for part in args.ranges.split(",")]
        dialogs = [d for a, b in spans for d in load()[a:b]]
    if args.what == "timing":
        timing(dialogs)
        return
    embeds = Embeds(load()[:1000])
    cache = Cache(Path(args.cache))
    if args.what == "cost":
        cost(dialogs, embeds)
    elif args.what == "fit":
        fit(dialogs, embeds, cache, args.variant)
    elif args.what == "collect":
        collect(
            dialogs,
            embeds,
            lm_rerank.scorer("llamacpp:smollm2", n_threads=1),
            cache,
            args.selection_only,
        )
    else:
        analyze(dialogs, embeds, cache, args.selection_only)


if __name__ == "__main__":
    main()
