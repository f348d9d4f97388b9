"""Claim (issue #35): translate-test through real MT (Apertium spa-eng) is a teacher for
Spanish POS, and its ensemble with the direct English tagger beats either alone.

PUD: an English UPOS tagger (e5-small) trained on the first N English PUD sentences; scored
on the Spanish PUD sentences after them (the same sentences in every PUD language, so no
test sentence was seen in either language):

1. the English tagger on the Spanish text (zero-shot)
2. translate-test: each Spanish sentence translated by Apertium spa-eng, tagged in English,
   aligned with `xlie align`'s defaults and the tags projected back
3. the ensemble of (1) and (2), per word

Accuracy over all Spanish words (a word translate-test does not reach counts as wrong for
(2)); (2) is also scored on the words it tagged (its coverage reported).

    XLIE_HOME=/work/xlie-home python benchmarks/teacher_pud_es.py [--train 500] [--max-steps 250]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, table, write_section  # noqa: E402
from teacher_europarl import tagger_arguments  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pud"


def accuracy(gold, pred) -> tuple[float, float, int]:
    """(accuracy over all words, accuracy over the words with a tag, words with a tag)."""
    from xlie.corpus import UNLABELED
    n = right = tagged = right_tagged = 0
    for g, p in zip(gold, pred):
        for a, b in zip(g.tags, p.tags or [UNLABELED] * len(g.tags)):
            n += 1
            right += a == b
            if b != UNLABELED:
                tagged += 1
                right_tagged += a == b
    return 100 * right / n, 100 * right_tagged / max(1, tagged), tagged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tagger_arguments(ap)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", default="/tmp/xlie-bench-teacher-pud")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from xlie.formats.conllu import read_conllu
    from xlie.formats.jsonl import write_jsonl
    from xlie.selftrain import train, train_settings
    from xlie.selftrain.ensemble import EnsemblePredictor
    from xlie.selftrain.tasks import get_task
    from xlie.selftrain.translate_test import TranslateTestPredictor, TranslateTestSpec

    t0 = time.time()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    en = list(read_conllu(DATA / "en.conllu"))
    es = list(read_conllu(DATA / "es.conllu"))
    n = args.train
    write_jsonl(work / "en-train.jsonl",
                [s.model_copy(update={"heads": None, "deprels": None}) for s in en[:n]])
    cfg = train_settings(model=args.model, task="pos", max_steps=args.max_steps,
                         batch_size=args.batch_size, lr=args.lr, head_lr=args.head_lr,
                         freeze_layers=args.freeze_layers, patience=None, dev_fraction=0.0,
                         checkpoint_every=10_000, seed=args.seed)
    res = train([work / "en-train.jsonl"], work / f"en-pos-seed{args.seed}", cfg)
    t_train = time.time() - t0
    direct = get_task("pos").load(res.model_dir)
    test = es[n:]
    plain = [s.model_copy(update={"tags": None, "heads": None, "deprels": None}) for s in test]
    t1 = time.time()
    p_direct = direct.predict(plain)
    spec = TranslateTestSpec(backend="apertium", src_lang="es", tgt_lang="en", cache=False)
    tt = TranslateTestPredictor(direct, spec, task="pos")
    p_tt = tt.predict(plain)
    t_tt = time.time() - t1
    lost = tt.report.to_dict()
    p_ens = EnsemblePredictor([direct, tt], "pos").predict(plain)
    rows = []
    for name, pred in [("(1) English tagger, direct (zero-shot)", p_direct),
                       ("(2) translate-test through Apertium spa-eng", p_tt),
                       ("(3) ensemble (1) + (2)", p_ens)]:
        acc, acc_tagged, tagged = accuracy(test, pred)
        words = sum(len(s.tokens) for s in test)
        rows.append([name, f"{acc:.2f}", f"{acc_tagged:.2f}", f"{100 * tagged / words:.1f}%"])
        print(rows[-1], flush=True)
    a = {r[0][:3]: float(r[1]) for r in rows}
    body = "\n".join([
        "## Teachers: translate-test through Apertium (PUD Spanish UPOS)",
        "",
        f"`benchmarks/teacher_pud_es.py`. English UPOS tagger: `{args.model}` trained on the "
        f"first {n} English PUD sentences ({args.max_steps} steps, batch {args.batch_size}, lr "
        f"{args.lr} (head {args.head_lr}), embeddings and lowest {args.freeze_layers} layers "
        f"fixed, no dev set), one seed ({args.seed}). Scored on the {len(test)} Spanish PUD "
        "sentences after them (UPOS accuracy). Translate-test: Apertium spa-eng (real MT), "
        "`xlie align`'s default aligner, tags projected back with the projection stage's "
        "tag projection (its punctuation/number rules included).",
        "",
        table(["teacher", "accuracy, all words", "accuracy, tagged words", "words tagged"], rows),
        "",
        f"- translate-test: {lost['untranslated']} untranslated, {lost['unaligned']} unaligned "
        f"sentences; {lost.get('tags', {}).get('tagged', 0)} of "
        f"{lost.get('tags', {}).get('words', 0)} words got a projected tag; "
        f"{t_tt:.0f} s for direct + translate-test predictions",
        f"- ensemble vs the better of (1), (2): {a['(3)'] - max(a['(1)'], a['(2)']):+.2f} points",
        "",
        f"Tagger training {t_train:.0f} s; whole run {time.time() - t0:.0f} s wall on one "
        f"thread; the machine was shared with other jobs. Machine: {machine()}."])
    print(body)
    if not args.no_write:
        write_section("teacher_pud_es", body)


if __name__ == "__main__":
    main()
