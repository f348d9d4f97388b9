"""Ensembles of a direct tagger and ORACLE translate-test: per word (label distributions) or
per span (weighted votes), with member weights (`selftrain predict --combine --weight`).

Reuses an English tagger that `teacher_europarl.py` trained (``--model``: its
``WORK/en-seed0/model``), so nothing is trained here. As there: scored with seqeval entity F1
on the Europarl sentences after the first ``--train`` of each target language; the gold
English side of each sentence stands in for MT (oracle translate-test: an upper bound for
real MT). Member order: (1) the tagger directly, (2) translate-test; weights ``w1:w2``.

    XLIE_HOME=/work/xlie-home OMP_NUM_THREADS=1 nice python benchmarks/teacher_vote_europarl.py \\
        --model /tmp/xlie-bench-teacher-b/en-seed0/model --about "..."
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, table, write_section  # noqa: E402
from teacher_europarl import DATA, f1, oracle_backend  # noqa: E402

COMBOS = [("word", (1, 1)), ("word", (1, 2)), ("span", (1, 1)), ("span", (1, 2)),
          ("span", (1, 3))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="an English NER tagger")
    ap.add_argument("--about", default="", help="how the tagger was trained (for RESULTS)")
    ap.add_argument("--train", type=int, default=500, help="the first N sentences are not "
                                                           "scored (the tagger's training)")
    ap.add_argument("--langs", nargs="+", default=["de", "it"])
    ap.add_argument("--aligner", default="e5-small")
    ap.add_argument("--section", default="teacher_vote_europarl")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    from xlie.aligners import Aligner
    from xlie.formats.conll import read_conll
    from xlie.selftrain.ensemble import EnsemblePredictor
    from xlie.selftrain.tasks import get_task
    from xlie.selftrain.translate_test import TranslateTestPredictor, TranslateTestSpec

    t0 = time.time()
    en = list(read_conll(DATA / "en.conll02", lang="en"))
    n = args.train
    direct = get_task("ner").load(args.model)
    aligner = Aligner(args.aligner)
    rows, verdicts = [], []
    for lang in args.langs:
        test = list(read_conll(DATA / f"{lang}.conll02", lang=lang))[n:]
        plain = [s.model_copy(update={"spans": []}) for s in test]
        spec = TranslateTestSpec(backend=oracle_backend(zip(test, en[n:])), src_lang=lang,
                                 tgt_lang="en", aligner=aligner, cache=False)
        tt = TranslateTestPredictor(direct, spec, task="ner")
        p_direct, p_tt = direct.predict(plain), tt.predict(plain)

        class Fixed:   # a member's predictions, made once (``source``: its labels)
            def __init__(self, pred):
                self.pred, self.source = pred, direct

            def predict(self, sents):
                return self.pred
        got = {"(1) English tagger, direct": f1((test, p_direct)),
               "(2) oracle translate-test": f1((test, p_tt))}
        for how, w in COMBOS:
            if how == "word":   # the direct member gives its softmax, as in predict
                ens = EnsemblePredictor([direct, Fixed(p_tt)], "ner", list(w))
            else:
                ens = EnsemblePredictor([Fixed(p_direct), Fixed(p_tt)], "ner", list(w),
                                        combine="span")
            got[f"(1) + (2), per {how}, weights {w[0]}:{w[1]}"] = f1((test, ens.predict(plain)))
        for k, v in got.items():
            rows.append([lang, k, f"{v:.2f}"])
        best = max(got["(1) English tagger, direct"], got["(2) oracle translate-test"])
        for k in got:
            if k.startswith("(1) +"):
                verdicts.append(f"{lang}: {k[len('(1) + (2), '):]} vs the better member: "
                                f"{got[k] - best:+.2f} F1 (target +1)")
        print(lang, json.dumps(got), flush=True)
    body = "\n".join([
        "## Teachers: ensembles per word and per span, with weights (Europarl NER, ORACLE "
        "translate-test)",
        "",
        "`benchmarks/teacher_vote_europarl.py`. The English tagger of section "
        f"`teacher_europarl_b`, reused (`{args.model}`{'; ' + args.about if args.about else ''})"
        f"; the other {len(en) - n} sentences of each target language, seqeval entity F1. "
        "(2): the gold English side of each sentence stands in for MT (**oracle**: an "
        "upper bound for Apertium or NMT). Ensembles of (1) and (2): `--combine word` "
        "(label distributions averaged per word, weighted) and `--combine span` (a weighted "
        "vote per span: members' spans get their weight as votes, members that put the "
        "words outside vote against, ties go to the surer side; a span's score is the "
        "weighted mean of the members' confidences). Weights in member order (1):(2), all "
        "five settings scored on the same sentences (none chosen on held-out data: the best "
        "of them is an optimistic figure). One tagger, one seed: a point or two is within "
        "noise.",
        "",
        table(["target", "teacher", "F1"], rows),
        "",
        *[f"- {x}" for x in verdicts],
        "",
        f"Whole run {time.time() - t0:.0f} s wall on {args.threads} thread(s), nice'd; the "
        f"machine (2 cores) was shared with other jobs. Machine: {machine()}."])
    print(body)
    if not args.no_write:
        write_section(args.section, body)


if __name__ == "__main__":
    main()
