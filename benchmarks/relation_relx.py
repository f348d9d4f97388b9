"""Relation classifier on RELX dev: zero-shot (English KBP37 subset) and + Spanish MT silver,
3 seeds, scored with the RELX metric in every RELX language.

`xlie selftrain train --task relation` (entity markers, entity-start pooling) on e5-small,
CPU, one thread. The lowest layers are frozen and their states computed once per sentence
(kept in a cache file shared by every run, so seeds and conditions pay for them once); the
best epoch is chosen on a KBP37 dev subset (English), never on RELX.

Each run appends one JSON line to WORKDIR/runs.jsonl; the RESULTS.md section is built from
that log (``--report``), so a run interrupted half-way loses only its last row.

    XLIE_SHARED=/work/shared python benchmarks/relation_relx.py --condition zero-shot --seeds 0 1 2
    XLIE_SHARED=/work/shared python benchmarks/relation_relx.py --condition silver-es \\
        --silver WORKDIR/silver-es.jsonl --seeds 0 1 2
    python benchmarks/relation_relx.py --report
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import SHARED  # noqa: E402
from results import machine, mean_spread, table, write_section  # noqa: E402

KBP = SHARED / "data" / "relations" / "kbp37"
RELX = SHARED / "data" / "relations" / "relx"
PAPER = {"en": 61.8, "de": 57.5, "es": 57.9, "fr": 58.3, "tr": 55.8}
LANGS = ["en", "de", "es", "fr", "tr"]


def subsets(work: Path, n_train: int, n_dev: int) -> tuple[Path, Path]:
    """A fixed random KBP37 train subset and dev subset (seed 0), written as KBP37 files."""
    from xlie.formats.relx import read_relx, write_relx
    train, dev = work / f"kbp-train-{n_train}.txt", work / f"kbp-dev-{n_dev}.txt"
    if not train.exists():
        allk = [s for s in read_relx(KBP / "train.txt") if len(s.spans) == 2]
        write_relx(train, random.Random(0).sample(allk, min(n_train, len(allk))))
    if not dev.exists():
        alld = [s for s in read_relx(KBP / "dev.txt") if len(s.spans) == 2]
        write_relx(dev, random.Random(0).sample(alld, min(n_dev, len(alld))))
    return train, dev


def load_cache(path: Path) -> dict:
    import torch
    return torch.load(path) if path.exists() else {}


def run(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    from xlie.formats.relx import read_relx
    from xlie.selftrain.config import TaggerTrainConfig
    from xlie.selftrain.relation import RelationClassifier, relx_f1, train_relation

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    train, dev = subsets(work, args.train, args.dev)
    gold = {l: list(read_relx(RELX / f"{l}.dev.txt", lang=l)) for l in LANGS}
    settings = dict(model="e5-small", task="relation", epochs=args.epochs, batch_size=16,
                    max_length=args.max_length)
    for kv in args.set:
        k, v = kv.split("=", 1)
        settings[k] = json.loads(v)
    cache_file = work / f"cache-{settings.get('freeze_layers', 'default')}.pt"
    cache = load_cache(cache_file)
    for seed in args.seeds:
        cfg = TaggerTrainConfig(**settings, seed=seed)
        out = work / f"{args.condition}-{args.tag}-{seed}"
        t = time.perf_counter()
        model_dir, m = train_relation([train], out, cfg, silver=args.silver, dev=dev,
                                      feature_cache=cache)
        secs = time.perf_counter() - t
        clf = RelationClassifier.load(model_dir)
        clf.model.freeze_lower(m["frozen_layers"], clf.tokenizer.pad_token_id or 0, cache)
        scores = {}
        for l in LANGS:
            scores[l] = round(100 * relx_f1(gold[l], clf.predict(gold[l]))["macro_f1"], 2)
        row = {"condition": args.condition, "tag": args.tag, "seed": seed, "train": args.train,
               "dev": args.dev, "silver": [str(s) for s in args.silver],
               "settings": {k: v for k, v in settings.items()}, "data": m["data"],
               "frozen_layers": m["frozen_layers"], "kbp_dev_best": round(100 * m["best"], 2),
               "history": [round(100 * h["dev_macro_f1"], 2) for h in m["history"]],
               "relx": scores, "seconds": round(secs, 1)}
        print(json.dumps(row), flush=True)
        with open(work / "runs.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        torch.save(cache, cache_file)


def report(args) -> None:
    rows = [json.loads(x) for x in (Path(args.workdir) / "runs.jsonl").read_text().splitlines()]
    print(json.dumps(rows, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/xlie-relx")
    ap.add_argument("--condition", default="zero-shot")
    ap.add_argument("--tag", default="main", help="name of the settings (choice runs)")
    ap.add_argument("--train", type=int, default=2000, help="KBP37 training examples (random)")
    ap.add_argument("--dev", type=int, default=400, help="KBP37 dev examples (random)")
    ap.add_argument("--epochs", type=int, default=5, help="the best on KBP37 dev is kept")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--silver", nargs="*", default=[])
    ap.add_argument("--set", nargs="*", default=[], help="KEY=JSON training settings")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    report(args) if args.report else run(args)


if __name__ == "__main__":
    main()
