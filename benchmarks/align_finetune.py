"""Claim: fine-tuning the aligner's encoder on unlabeled parallel text lowers AER, and the
ablation says which objectives carry it (Dou & Neubig 2021, on e5-small, CPU).

The first half of ../shared/data/align/encs is training text (its gold is never read); AER
is measured on the other half against its gold (1-indexed, every link sure: AER = 1 − F1),
before and after, with softmax extraction at the model's layer and threshold (e5-small: 7, 0.1).
Each model is scored twice from its saved directory: with ``Aligner(DIR)``, exactly what
``xlie align --model DIR`` runs (the reported AER, and what ``--eval-gold`` logs), and with
the subword extraction SO trains on (the "train-eval" column). ``--select-on-dev STEPS``
scores the dev split every STEPS steps and reports the best checkpoint on the test pairs; the
dev split also calibrates each model's threshold and band (``aligners/calibrate.py``), the
untuned baseline's included, so both sides of ΔAER get the same tuning.

    python benchmarks/align_finetune.py --train-pairs 1250 --rows mlm,+tlm,+so,+psi,+co,all
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import machine, table, write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ENCS = DATA / "align"
ALL = ("mlm", "tlm", "so", "psi", "co")
ROWS = {"mlm": ("mlm",), "+tlm": ("mlm", "tlm"), "+so": ("mlm", "so"), "+psi": ("mlm", "psi"),
        "+co": ("mlm", "co"), "so": ("so",), "co": ("co",), "so+co": ("so", "co"), "all": ALL}


def row_objectives(name: str) -> tuple[str, ...]:
    """A row of ROWS, or ``all-x-y``: the full set without x and y (leave-out ablation)."""
    if name.startswith("all-"):
        left_out = name[4:].split("-")
        if not set(left_out) <= set(ALL):
            raise SystemExit(f"unknown objective in row {name!r}; known: {', '.join(ALL)}")
        return tuple(o for o in ALL if o not in left_out)
    if name not in ROWS:
        raise SystemExit(f"unknown row {name!r}; known: {', '.join(ROWS)} or all-OBJ")
    return ROWS[name]


def row_label(name: str, objs: tuple[str, ...]) -> str:
    if name == "mlm":
        return "MLM"
    if name == "all":
        return "all five"
    if name.startswith("all-"):
        return "all but " + " + ".join(o.upper() for o in ALL if o not in objs)
    return " + ".join(o.upper() for o in objs)


def split_encs(n_train: int | None):
    from xlie.aligners.training.data import read_pairs
    from xlie.aligners.training.eval import read_gold
    pairs = read_pairs(ENCS / "encs.src-tgt")
    gold = read_gold(ENCS / "encs.gold", base=1)
    half = len(pairs) // 2
    train = pairs[:half][:n_train]
    return train, pairs[half:], gold[half:]


def write_dev_split(work: Path, eval_pairs: int) -> tuple[Path, Path]:
    """The held-out pairs after the first ``eval_pairs`` as --eval-data/--eval-gold files
    (the gold lines copied as they are, 1-indexed)."""
    lines = (ENCS / "encs.src-tgt").read_text(encoding="utf-8").splitlines(keepends=True)
    gold = (ENCS / "encs.gold").read_text(encoding="utf-8").splitlines(keepends=True)
    start = len(lines) // 2 + eval_pairs
    data, gold_file = work / "dev.src-tgt", work / "dev.gold"
    data.write_text("".join(lines[start:]), encoding="utf-8")
    gold_file.write_text("".join(gold[start:]), encoding="utf-8")
    return data, gold_file


def ende_pairs() -> list:
    """The English-German text of europarl-ner (799 pairs) and PUD (1,000): more unlabeled
    parallel text, in another language pair (their annotations are never read)."""
    from xlie.formats.conll import read_conll
    from xlie.formats.conllu import read_conllu
    pairs = []
    for read, en, de in ((read_conll, "europarl-ner/en.conll02", "europarl-ner/de.conll02"),
                         (read_conllu, "pud/en.conllu", "pud/de.conllu")):
        src, tgt = list(read(DATA / en)), list(read(DATA / de))
        assert len(src) == len(tgt), (en, de)
        pairs += [(s.tokens, t.tokens) for s, t in zip(src, tgt)]
    return pairs


def evaluate_both(model: str, pairs, gold, layer: int, threshold: float,
                  settings: dict | None = None) -> dict:
    """AER, P, R with the aligner users run (its own threshold and band unless ``settings``
    give others), plus the AER of SO's own extraction at ``threshold``."""
    from xlie.aligners import Aligner
    from xlie.aligners.aer import score_alignments
    aligner = Aligner(model, **(settings or {}))
    assert aligner.layer == layer and aligner.extraction == "softmax", (aligner.layer, layer)
    t0 = time.perf_counter()
    found = aligner.align_pairs([(list(s), list(t)) for s, t in pairs])
    align_s = time.perf_counter() - t0
    scores = score_alignments(gold, [{(i, j) for i, j, _ in r.links} for r in found])
    # SO's own view of the same weights: the aligner's encoder keeps every layer up to `layer`
    train_eval = evaluate_loaded(aligner.encoder.model, aligner.encoder.tokenizer, pairs, gold,
                                 layer, threshold)
    return {"aer": scores.aer, "precision": scores.precision, "recall": scores.recall,
            "align_s": align_s, "train_eval_aer": train_eval["aer"],
            "setting": f"{aligner.threshold:g} / {aligner.band or 'none'}"}


def calibrated_baseline(model: str, dev_data: Path, dev_gold: Path) -> dict:
    """The untuned model's threshold and band chosen on the dev split, as training does."""
    from xlie.aligners import Aligner
    from xlie.aligners.calibrate import calibrate
    from xlie.aligners.training.data import read_pairs
    from xlie.aligners.training.eval import read_gold
    best, _ = calibrate(Aligner(model), read_pairs(dev_data), read_gold(dev_gold))
    return {"threshold": best.threshold, "band": best.band or 0}


def evaluate_loaded(encoder, tokenizer, pairs, gold, layer: int, threshold: float) -> dict:
    from xlie.aligners.training.data import Collator
    from xlie.aligners.training.eval import evaluate
    t0 = time.perf_counter()
    res = evaluate(encoder, Collator(tokenizer, need_pair=False, need_neg=False),
                   pairs, gold, layer, threshold)
    res["eval_s"] = time.perf_counter() - t0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--train-pairs", type=int, default=1250)
    ap.add_argument("--eval-pairs", type=int, default=None, help="first N of the held-out half")
    ap.add_argument("--dev", action="store_true",
                    help="evaluate on the held-out pairs after the first --eval-pairs instead: "
                         "settings are chosen there, never on the reported test pairs")
    ap.add_argument("--select-on-dev", type=int, default=None, metavar="STEPS",
                    help="score the dev split with xlie align every STEPS steps (--eval-gold) and "
                         "report the best checkpoint on the test pairs")
    ap.add_argument("--with-ende", action="store_true",
                    help="add the English-German text of europarl-ner and PUD to the training text")
    ap.add_argument("--rows", default="mlm,+tlm,+so,+psi,+co,all")
    ap.add_argument("--set", action="append", default=[], help="config overrides k=v")
    ap.add_argument("--threads", type=int, default=2, help="torch threads per row")
    ap.add_argument("--jobs", type=int, default=1,
                    help="rows trained side by side, each in its own process (one GPU is mostly "
                         "idle with one small model; on CPU give each --threads 1)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true",
                    help="keep each row's scored model as WORKDIR/kept-ROW (e.g. for "
                         "benchmarks/align_breakdown.py --model)")
    ap.add_argument("--log", default=None, help="append each row as JSON here")
    ap.add_argument("--section", default="align_finetune", help="RESULTS.md section to write")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from xlie.aligners.training import load_train_config
    from xlie.aligners.training.checkpoints import align_settings
    from xlie.models import resolve_model

    train, test, gold = split_encs(args.train_pairs)
    n_encs = len(train)
    if args.with_ende:
        train = train + ende_pairs()
    if (args.dev or args.select_on_dev) and not args.eval_pairs:
        ap.error("--dev and --select-on-dev need --eval-pairs N (the test pairs)")
    if args.dev and args.select_on_dev:
        ap.error("--select-on-dev chooses on the dev split: it cannot also be the test split")
    if args.eval_pairs:
        cut = slice(args.eval_pairs, None) if args.dev else slice(None, args.eval_pairs)
        test, gold = test[cut], gold[cut]
    split = (f"the {len(test)} pairs of the other half after its first {args.eval_pairs} "
             f"(dev split)" if args.dev else f"{len(test)} pairs of the other half")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="xlie-ft-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "train.txt"
    data.write_text("".join(f"{' '.join(s)} ||| {' '.join(t)}\n" for s, t in train), encoding="utf-8")
    if args.select_on_dev:
        dev_data, dev_gold = write_dev_split(work, args.eval_pairs)
        args.set += [f"eval_data={dev_data}", f"eval_gold={dev_gold}", "gold_base=1",
                     f"eval_every={args.select_on_dev}"]
    base_cfg = load_train_config(None, args.set, model=args.model, data=str(data), output=str(work / "x"))
    from transformers import AutoConfig
    layer, thr = align_settings(base_cfg, AutoConfig.from_pretrained(resolve_model(args.model)))

    rows = []
    base_settings = calibrated_baseline(args.model, dev_data, dev_gold) if args.select_on_dev else None
    base = evaluate_both(args.model, test, gold, layer, thr, base_settings)
    rows.append(["none (no fine-tuning)", "-", "-", "-", base["setting"], 100 * base["aer"],
                 100 * base["precision"], 100 * base["recall"], "-",
                 100 * base["train_eval_aer"], "-"])

    def flush():
        header = ["objectives", "steps", "train wall s", "samples/s", "threshold / band", "AER",
                  "P", "R", "ΔAER",
                  "train-eval AER", "Δ train-eval"]
        extra = (f" plus the {len(train) - n_encs} English-German pairs of europarl-ner and "
                 f"PUD" if args.with_ende else "")
        side = (f"; rows ran {args.jobs} side by side, so their times are not those of a row run "
                f"alone" if args.jobs > 1 else "")
        chosen = (f" The model scored is the checkpoint with the lowest `xlie align` AER on the "
                  f"dev split (the held-out pairs after the test pairs, scored every "
                  f"{args.select_on_dev} steps with `--eval-gold`); steps: chosen of run. "
                  f"Threshold / band: the aligner's settings, each model's chosen on the dev "
                  f"split (training's calibration; for the baseline, the same grid)."
                  if args.select_on_dev else "")
        body = (f"Fine-tuning {args.model} on the first {n_encs} pairs of the first half of "
                f"encs{extra} (text only), 1 epoch unless overridden; AER on {len(test)} pairs of the "
                f"other half (gold 1-indexed, every link sure, AER = 1 − F1); softmax extraction, "
                f"layer {layer}, threshold {thr:g}. AER, P, R: `xlie align --model DIR` "
                f"(`Aligner(DIR)`) on each saved model; train-eval: the subword extraction SO "
                f"trains on (awesome-align's: softmax, no long-pair band).{chosen} Config overrides: {', '.join(args.set) or 'none'}. Train wall s "
                f"is the training loop only (no load/eval/final save){side}. Machine: {machine()}.\n\n"
                + table(header, [rows[0]] + sorted(rows[1:], key=lambda r: order[r[0]])))
        write_section(args.section, body)

    planned = [(name, row_objectives(name)) for name in args.rows.split(",")]  # typos fail now
    order = {row_label(name, objs): k for k, (name, objs) in enumerate(planned)}  # rows finish in any order
    flush()
    # a row switches objectives on at the weight --set gave them (default 1) and the rest off
    weights = base_cfg.objectives.model_dump()
    jobs = [(name, objs, args.model,
             args.set + [f"objectives.{o}={weights[o] if o in objs else 0}" for o in ALL],
             str(data), str(work), bool(args.select_on_dev), test, gold, layer, thr, args.threads,
             args.keep)
            for name, objs in planned]
    if args.jobs > 1:   # rows side by side (one GPU or several cores); each in its own process
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = [f.result() for f in as_completed([pool.submit(run_row, *j) for j in jobs])]
    else:
        results = map(lambda j: run_row(*j), jobs)
    for label, steps, r_seconds, r_sps, res, log in results:
        rows.append([label, steps, round(r_seconds, 1), round(r_sps, 2), res["setting"],
                     100 * res["aer"], 100 * res["precision"], 100 * res["recall"],
                     round(100 * (res["aer"] - base["aer"]), 2), 100 * res["train_eval_aer"],
                     round(100 * (res["train_eval_aer"] - base["train_eval_aer"]), 2)])
        if args.log:
            with open(args.log, "a") as f:
                f.write(json.dumps(log) + "\n")
        flush()
        print(rows[-1], flush=True)


def run_row(name: str, objs: tuple[str, ...], model: str, sets: list[str], data: str, work: str,
            select_on_dev: bool, test, gold, layer: int, thr: float, threads: int,
            keep: bool = False):
    """Train one row (``sets``: its full config overrides) and score the model (the chosen
    checkpoint with --select-on-dev); a function of its arguments alone, so rows can run in
    worker processes."""
    torch.set_num_threads(threads)
    from xlie.aligners.training import load_train_config, train_aligner
    out = Path(work) / name.replace("+", "plus-")
    shutil.rmtree(out, ignore_errors=True)
    r = train_aligner(load_train_config(None, sets, model=model, data=data, output=str(out)))
    scored = r.best if select_on_dev else out   # the checkpoint with the lowest dev AER
    res = evaluate_both(str(scored), test, gold, layer, thr)
    step = json.loads((scored / "xlie-train.json").read_text())["step"]
    if keep:
        kept = Path(work) / f"kept-{out.name}"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(scored, kept, ignore=shutil.ignore_patterns("checkpoints", "best"))
    shutil.rmtree(out, ignore_errors=True)
    log = {"row": name, "steps": r.steps, "scored_step": step, "seconds": r.seconds,
           "losses": r.losses, "dev_evals": r.evals, **res}
    steps = step if step == r.steps else f"{step} of {r.steps}"
    return row_label(name, objs), steps, r.seconds, r.samples_per_second, res, log


if __name__ == "__main__":
    main()
