"""The biaffine parser on German PUD: English gold only (zero-shot) against English gold +
German silver trees projected by `xlie project` (defaults) from the same English sentences,
mean of several seeds, scored with UAS/LAS (CoNLL 2018) on held-out German gold sentences.

Small on purpose (CPU): the first N English sentences train (and their German sides get
silver trees), German sentences from 500 on test; e5-small frozen, its states computed once
and shared by every run, so only the biaffine head trains (`--freeze-layers K` trains the
encoder above layer K instead, far slower on a CPU).
The German text is PUD's human translation, not MT.

    XLIE_SHARED=/work/shared .venv/bin/python benchmarks/parser_pud.py --cache /tmp/links
    ... parser_pud.py --train 16 --test 8 --epochs 1 --seeds 0 --no-write   # smoke run
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import links_for  # noqa: E402
from project_pud import load  # noqa: E402
from results import machine, table, write_section  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lang", default="de")
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--freeze-layers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="read/write the links here")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from xlie.corpus import Sentence
    from xlie.projection.api import project
    from xlie.scoring import pair_sentences, score_dep
    from xlie.selftrain.parser import train_parser
    lang = args.lang
    pairs = load(lang, None)
    links, _ = links_for([(e.tokens, d.tokens) for e, d in pairs], None, f"pud-{lang}",
                         args.cache)
    train = list(range(args.train))
    test_gold = [pairs[k][1] for k in range(500, 500 + args.test)]
    en = [pairs[k][0] for k in train]
    records = [Sentence.model_validate({
        **pairs[k][0].to_json(), "alignment": links[k],
        "translation": {"lang": lang, "text": " ".join(pairs[k][1].tokens),
                        "tokens": pairs[k][1].tokens}}) for k in train]
    proj = project(records)
    silver = proj.sentences
    cov = proj.report.tree_coverage
    rows, got = [], {"zero-shot": [], "+ silver": []}
    frozen = args.freeze_layers is None
    cache: dict = {}
    for seed in args.seeds:
        for name, extra in (("zero-shot", []), ("+ silver", silver)):
            t = time.time()
            with tempfile.TemporaryDirectory() as tmp:
                parser = train_parser(en, Path(tmp) / "m", args.model, silver=extra,
                                      epochs=args.epochs, batch_size=16, lr=1e-4,
                                      head_lr=2e-3, freeze_layers=args.freeze_layers or 0,
                                      freeze_encoder=frozen, feature_cache=cache, seed=seed)
                gold = [s for s in test_gold if parser.fits(s)]
                s = score_dep(pair_sentences(gold, parser.predict(gold)))
            got[name].append(s)
            rows.append([str(seed), name, f"{100 * s['uas']:.1f}", f"{100 * s['las']:.1f}",
                         f"{time.time() - t:.0f}"])
            print(rows[-1], flush=True)
    mean = {k: (statistics.mean(100 * s["uas"] for s in v),
                statistics.mean(100 * s["las"] for s in v)) for k, v in got.items()}
    rows += [["mean", k, f"{u:.1f}", f"{l:.1f}", ""] for k, (u, l) in mean.items()]
    gain = mean["+ silver"][1] - mean["zero-shot"][1]
    text = "\n".join([
        f"## Parser: PUD {lang}, zero-shot against + silver trees", "",
        f"Machine: {machine()}.", "",
        f"The biaffine parser (`xlie/selftrain/parser.py`) on {args.model} "
        + ("frozen (the head alone trains, on last-layer states computed once)" if frozen else
           f"with its lowest {args.freeze_layers} layers and embeddings frozen (lr 1e-4)")
        + f", {args.epochs} epochs, batch 16, head lr 2e-3. Training: the first {args.train} "
        f"English PUD sentences (gold trees); `+ silver` adds their German sides with trees "
        f"projected by `xlie project` "
        f"(defaults, links of `xlie align` defaults; {100 * cov:.1f}% of the German words got "
        f"an arc, the rest are left out of the loss). Test: {len(test_gold)} German PUD "
        f"sentences from the 501st on (none of them trained on), UAS/LAS as CoNLL 2018. The "
        f"German side is PUD's human translation, not MT. The settings were sized for CPU "
        f"time (a first run training the top layers was stopped for time before any score); "
        f"none was tuned on a score.", "",
        table(["seed", "training data", "UAS", "LAS", "seconds"], rows), "",
        f"Mean LAS gain of + silver over zero-shot: {gain:+.1f} (target: +2). Self-training "
        "rounds and their equal-epochs control are not measured here."])
    print(text)
    if not args.no_write:
        write_section("parser-pud", text)


if __name__ == "__main__":
    main()
