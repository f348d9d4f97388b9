"""Claim: on Europarl NER with German as the target, silver German projected by xlie beats
English gold alone (zero-shot), and self-training on the pool's German text adds >= 1 F1.

Split (fixed): the 799 parallel sentences -> a German test set and a pool. The English side
of the pool is the source gold; its German side is aligned (``xlie.aligners``, e5-small),
the English spans are projected (``xlie.projection``) into silver German, and the pool's
German text (labels dropped) is what self-training pseudo-labels. Conditions, each scored
with seqeval entity F1 on the German test set, over several seeds:

1. English gold only (zero-shot)
2. English gold + silver German (round 0 of ``self_train``)
3. + one and two self-training rounds (top fraction of each label kept per round)

Budget: the CPU is shared; e5-small is trained with its embeddings and lowest layers fixed,
for few epochs on a few hundred sentences (see the arguments). Usage::

    XLIE_HOME=/tmp/xh python benchmarks/selftrain_europarl.py [--seeds 0 1] [--pool 300]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, mean_spread, table, write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "europarl-ner"


def split(n: int, n_test: int, n_pool: int, n_unlabeled: int = 0,
          seed: int = 13) -> tuple[list[int], list[int], list[int]]:
    """Disjoint test, pool (parallel: silver) and unlabeled (German text) indices."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    pool_end = n_test + n_pool
    return (sorted(order[:n_test]), sorted(order[n_test:pool_end]),
            sorted(order[pool_end:pool_end + n_unlabeled]))


def make_silver(en, de, work: Path, model: str) -> tuple[Path, dict]:
    """Align the pool's pairs and project the English spans onto German."""
    from xlie.aligners import Aligner
    from xlie.corpus import Sentence
    from xlie.formats.jsonl import read_corpus, write_jsonl
    from xlie.projection import project
    from xlie.scoring import score_ner
    out = work / "silver.jsonl"
    if out.exists():
        return out, json.loads((work / "silver.json").read_text())
    t0 = time.time()
    al = Aligner(model, extraction="softmax")
    aligned = al.align_pairs([(e.tokens, d.tokens) for e, d in zip(en, de)])
    t_align = time.time() - t0
    pairs = [Sentence(**{**e.to_json(), "translation": {"lang": "de", "text": " ".join(d.tokens),
                                                         "tokens": d.tokens},
                         "alignment": [list(link) for link in a.links]})
             for e, d, a in zip(en, de, aligned)]
    result = project(pairs, lang="de")
    write_jsonl(out, result.sentences)
    silver = list(read_corpus(out))
    by_id = {s.id: s for s in silver}
    quality = score_ner((d, by_id.get(d.id)) for d in de)["micro"]
    info = {"align_seconds": round(t_align, 1), "projection_vs_german_gold": quality,
            "silver_spans": sum(len(s.spans) for s in silver)}
    (work / "silver.json").write_text(json.dumps(info, indent=1, default=str))
    return out, info


def f1_of(metrics: dict) -> float:
    """The test F1 of a training result, in percent (xlie's scores are fractions)."""
    from xlie.scoring import main_score, percent
    return percent(main_score("ner", metrics["test"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--test", type=int, default=80)
    ap.add_argument("--pool", type=int, default=100)
    ap.add_argument("--unlabeled", type=int, default=0,
                    help="self-train on the German text of N further sentences (their English "
                         "gold joins the source) instead of the pool's German text")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--top-fraction", type=float, default=0.5)
    ap.add_argument("--init", choices=["base", "previous"], default="previous",
                    help="rounds >= 1 start from the encoder or continue the previous tagger")
    ap.add_argument("--round-epochs", type=int, default=1)
    ap.add_argument("--freeze-layers", type=int, default=8)
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--head-lr", type=float, default=1e-2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default="/tmp/xlie-bench-selftrain")
    ap.add_argument("--no-write", action="store_true", help="print only (smoke runs)")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from xlie.formats.conll import read_conll
    from xlie.formats.jsonl import write_jsonl
    from xlie.selftrain import SelectConfig, SelfTrainConfig, train_settings, train
    from xlie.selftrain.rounds import self_train

    t_start = time.time()
    # the silver data depends on the split and the aligner: one work folder per setting
    work = Path(args.work) / f"{Path(args.model).name}-test{args.test}-pool{args.pool}-unl{args.unlabeled}"
    work.mkdir(parents=True, exist_ok=True)
    en = list(read_conll(DATA / "en.conll02", lang="en"))
    de = list(read_conll(DATA / "de.conll02", lang="de"))
    test_ids, pool_ids, extra_ids = split(len(de), args.test, args.pool, args.unlabeled)
    write_jsonl(work / "de-test.jsonl", [de[i] for i in test_ids])
    write_jsonl(work / "en-pool.jsonl", [en[i] for i in sorted(pool_ids + extra_ids)])
    unlabeled = [de[i].model_copy(update={"spans": []}) for i in (extra_ids or pool_ids)]
    write_jsonl(work / "de-pool-text.jsonl", unlabeled)
    silver, silver_info = make_silver([en[i] for i in pool_ids], [de[i] for i in pool_ids],
                                      work, args.model)
    print("silver:", json.dumps(silver_info, default=str)[:400], flush=True)

    base = train_settings(model=args.model, epochs=args.epochs, batch_size=args.batch_size,
                             lr=args.lr, head_lr=args.head_lr, freeze_layers=args.freeze_layers,
                             freeze_embeddings=True,
                             patience=None, max_steps=None, dev_fraction=0.0,  # fixed epochs
                             checkpoint_every=10_000)
    rows: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    for seed in args.seeds:
        cfg = base.model_copy(update={"seed": seed})
        zs = train([work / "en-pool.jsonl"], work / f"seed{seed}" / "zero-shot", cfg,
                   test=work / "de-test.jsonl")
        rows.setdefault("(1) English gold only (zero-shot)", []).append(f1_of(zs.metrics))
        seconds.setdefault("(1) English gold only (zero-shot)", []).append(zs.metrics["seconds"])
        # silver and pseudo-labels: one draw per source sentence each epoch
        rc = SelfTrainConfig(train=cfg.model_copy(update={"silver_ratio": 1.0}),
                             rounds=args.rounds,
                             select=SelectConfig(mode="top", top_fraction=args.top_fraction),
                             init=args.init, round_epochs=args.round_epochs)
        summary = self_train([work / "en-pool.jsonl"], [work / "de-pool-text.jsonl"],
                             work / f"seed{seed}" / "selftrain", rc, silver=[silver],
                             test=work / "de-test.jsonl")
        for r in summary["rounds"]:
            name = ("(2) + silver German (projected)" if r["round"] == 0 else
                    f"(3) + {r['round']} self-training round{'s' if r['round'] > 1 else ''}")
            rows.setdefault(name, []).append(f1_of(r))
            seconds.setdefault(name, []).append(r["seconds"])
        if args.init == "previous":
            # control: the same extra epochs without pseudo-labels, so a round's gain is not
            # just more training
            prev = work / f"seed{seed}" / "selftrain" / "round-0" / "model"
            for k in range(1, args.rounds + 1):
                ctl = train([work / "en-pool.jsonl"], work / f"seed{seed}" / f"control-{k}",
                            rc.train.model_copy(update={"epochs": args.round_epochs}),
                            silver=[silver], test=work / "de-test.jsonl", init_model=prev)
                name = f"(2') + {k * args.round_epochs} more epoch(s) without pseudo-labels (control)"
                rows.setdefault(name, []).append(f1_of(ctl.metrics))
                seconds.setdefault(name, []).append(ctl.metrics["seconds"])
                prev = ctl.model_dir
        print(f"seed {seed}:", {k: v[-1] for k, v in rows.items()}, flush=True)
        report(args, rows, seconds, silver_info, t_start, args.seeds[:args.seeds.index(seed) + 1])



def report(args, rows, seconds, silver_info, t_start, seeds_done) -> None:
    """Write the figures so far (called after every seed, so a cut run still reports)."""
    rank = {"(1)": 0, "(2)": 1, "(2')": 2, "(3)": 3}
    rows = {k: rows[k] for k in sorted(rows, key=lambda k: rank[k.split()[0]])}   # stable
    names = list(rows)
    mean = {k: statistics.mean(v) for k, v in rows.items()}
    gain_silver = mean[names[1]] - mean[names[0]]
    st_rows = [k for k in names if k.startswith("(3)")]
    best_st = max((mean[k] for k in st_rows), default=float("nan"))
    controls = [k for k in names if k.startswith("(2')")]
    best_ctl = max((mean[k] for k in controls), default=None)
    gain_st = best_st - mean[names[1]]
    body = [f"Europarl NER, target German, encoder `{args.model}` on CPU. Split (fixed, seed 13): "
            f"{args.test} German test sentences; a pool of {args.pool} parallel sentences "
            f"(English gold = source; German side aligned with xlie's aligner and projected "
            f"with `xlie.projection` = silver"
            + (f"); {args.unlabeled} further sentences: English gold joins the source, German "
               f"text = self-training data (so source = {args.pool + args.unlabeled} English "
               f"sentences). " if args.unlabeled else "; German text = self-training data). ")
            + 
            f"Training: {args.epochs} epochs, lr {args.lr} (head {args.head_lr}), batch "
            f"{args.batch_size}, embeddings "
            + (f"and lowest {args.freeze_layers} layers fixed" if args.freeze_layers else
               "fixed, every layer trained")
            + ", no target dev set (fixed epochs); "
            f"silver/pseudo drawn 1:1 with source per epoch; each round keeps the top "
            f"{args.top_fraction:.0%} of each label's pseudo-labels and "
            + ("retrains from the encoder" if args.init == "base" else
               f"continues the previous round's tagger for {args.round_epochs} epoch(s)")
            + " on source + silver + pseudo-labels. "

            f"Seeds {seeds_done} (of {args.seeds} planned); seqeval entity F1 (mean ± sample std over seeds).", "",
            table(["condition", "German test F1", "per seed", "train s (mean)"],
                  [[k, mean_spread(v), ", ".join(f"{x:.1f}" for x in v),
                    f"{statistics.mean(seconds[k]):.0f}"] for k, v in rows.items()]), "",
            f"Silver data: {silver_info['silver_spans']} projected spans; projection vs German "
            f"gold on the pool: F1 {100 * silver_info['projection_vs_german_gold']['f1']:.1f}.",
            f"Targets: (2) beats (1) by {gain_silver:+.2f} F1 "
            f"({'met' if gain_silver > 0 else 'NOT met'}); best self-training round vs (2): "
            f"{gain_st:+.2f} F1 ({'met' if gain_st >= 1 else 'NOT met'}: target +1)"
            + (f"; vs the best control (same extra epochs, no pseudo-labels): "
               f"{best_st - best_ctl:+.2f} F1." if best_ctl is not None else "."),
            f"Benchmark so far: {time.time() - t_start:.0f} s wall, {time.process_time():.0f} s CPU "
            f"(this process). Machine: {machine()}."]
    if not args.no_write:
        write_section("selftrain_europarl", "## Self-training taggers (Europarl NER, en → de)\n\n"
                      + "\n".join(body))
    print("\n".join(body))



if __name__ == "__main__":
    main()
