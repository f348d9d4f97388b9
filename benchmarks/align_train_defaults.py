"""Claim: `xlie align train` with its defaults alone (no config, no gold) lowers AER on a
thousand pairs, and its choices (length, lr, held-out loss) still make sense with more data.

Each row trains e5-small on the text of the first half of ../shared/data/align/encs (its gold
is never read) as a user would: the defaults plus the row's own settings, the checkpoint kept
as OUTPUT (the last step) and OUTPUT/best (the lowest SO + CO loss on the held-out pairs).
Both are scored on the test split (the first ``--eval-pairs`` of the other half) with
`xlie align --model DIR`, at the model's own threshold and band (no calibration), against the
untuned model. ``--watch-dev`` also scores every eval on the dev split (the rest of that half)
without letting it choose anything (``calibrate=false``, ``select=heldout_loss``): it shows
whether the held-out loss ranks checkpoints as the gold would.

    python benchmarks/align_train_defaults.py --rows defaults --watch-dev
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import machine, table, write_section  # noqa: E402

if os.environ.get("XLIE_SHARED_DATA"):     # a checkout that is not beside ../shared
    import benchmarks.align_finetune as _ft
    _ft.DATA = Path(os.environ["XLIE_SHARED_DATA"])
    _ft.ENCS = _ft.DATA / "align"
from benchmarks.align_finetune import (ende_pairs, evaluate_both, split_encs,  # noqa: E402
                                       write_dev_split)

# row name -> (training pairs of encs, add the en-de text, --set overrides)
ROWS = {
    "defaults": (1250, False, []),
    "defaults-s1": (1250, False, ["seed=1"]),
    "defaults-s2": (1250, False, ["seed=2"]),
    "defaults-stop": (1250, False, ["patience=3"]),
    "defaults-508": (508, False, []),
    "defaults-ende": (1250, True, []),
    "ende-lr1e-4": (1250, True, ["lr=1e-4"]),
    "smoke": (64, False, ["max_steps=2", "eval_every=1", "holdout=0.3"]),   # a check of this script
    "old-defaults": (1250, False, ["lr=2e-5", "epochs=1", "objectives.mlm=1", "objectives.tlm=1",
                                   "freeze_embeddings=false"]),
}


def run_row(name: str, sets: list[str], data: str, work: str, dev: tuple[str, str] | None,
            test, gold, layer: int, thr: float, threads: int, keep: bool = False) -> dict:
    """Train one row and score OUTPUT and OUTPUT/best on the test split; a function of its
    arguments alone, so rows can run in worker processes."""
    torch.set_num_threads(threads)
    from xlie.aligners.training import load_train_config, train_aligner
    out = Path(work) / name
    shutil.rmtree(out, ignore_errors=True)
    watch = []
    if dev:   # observed only: the run chooses by its held-out loss, as it does without gold
        watch = [f"eval_data={dev[0]}", f"eval_gold={dev[1]}", "calibrate=false",
                 "select=heldout_loss"]
        watch += [] if any(s.startswith("holdout=") for s in sets) else ["holdout=0.05"]
    r = train_aligner(load_train_config(None, sets + watch, model="e5-small", data=data,
                                        output=str(out)))
    final = evaluate_both(str(out), test, gold, layer, thr)
    best_step = json.loads((r.best / "xlie-train.json").read_text())["step"] if r.best else None
    best = evaluate_both(str(r.best), test, gold, layer, thr) if best_step not in (None, r.steps) else final
    record = json.loads((out / "xlie-train.json").read_text())
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return {"row": name, "sets": sets, "pairs": r.pairs, "heldout": r.heldout, "plan": r.plan,
            "lr": record["config"]["lr"], "steps": r.steps, "stopped_early": r.stopped_early,
            "best_step": best_step, "seconds": r.seconds, "samples_per_second": r.samples_per_second,
            "evals": r.evals, "final": final, "best": best}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="defaults")
    ap.add_argument("--eval-pairs", type=int, default=600, help="the test split: first N of the other half")
    ap.add_argument("--watch-dev", action="store_true", help="score each eval on the dev split too")
    ap.add_argument("--dev-pairs", type=int, default=None, help="watch only the first N dev pairs")
    ap.add_argument("--set", action="append", default=[], help="an override for every row, "
                    "e.g. mixed_precision=no on a GPU for the CPU's full precision")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep each row's trained model in the workdir")
    ap.add_argument("--log", default=None, help="append each row as JSON here")
    ap.add_argument("--section", default="align_train_defaults")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from xlie.aligners.training import load_train_config
    from xlie.aligners.training.checkpoints import align_settings
    from xlie.models import resolve_model
    from transformers import AutoConfig

    work = Path(args.workdir or tempfile.mkdtemp(prefix="xlie-defaults-"))
    work.mkdir(parents=True, exist_ok=True)
    names = args.rows.split(",")
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        raise SystemExit(f"unknown rows {unknown}; known: {', '.join(ROWS)}")
    _, test, gold = split_encs(None)
    test, gold = test[:args.eval_pairs], gold[:args.eval_pairs]
    dev = tuple(map(str, write_dev_split(work, args.eval_pairs))) if args.watch_dev else None
    if dev and args.dev_pairs:
        for f in dev:
            lines = Path(f).read_text(encoding="utf-8").splitlines(keepends=True)
            Path(f).write_text("".join(lines[:args.dev_pairs]), encoding="utf-8")
    files = {}
    for n_train, with_ende in {ROWS[n][:2] for n in names}:
        train, _, _ = split_encs(n_train)
        if with_ende:
            train = train + ende_pairs()
        f = work / f"train-{n_train}{'-ende' if with_ende else ''}.txt"
        f.write_text("".join(f"{' '.join(s)} ||| {' '.join(t)}\n" for s, t in train), encoding="utf-8")
        files[n_train, with_ende] = str(f)
    cfg = load_train_config(None, [], model="e5-small")
    layer, thr = align_settings(cfg, AutoConfig.from_pretrained(resolve_model("e5-small")))
    base = evaluate_both("e5-small", test, gold, layer, thr)
    jobs = [(n, ROWS[n][2] + args.set, files[ROWS[n][:2]], str(work), dev, test, gold, layer, thr, args.threads, args.keep)
            for n in names]
    results = []

    def flush():
        header = ["row", "settings", "pairs (held out)", "plan", "steps run", "train s",
                  "test AER, OUTPUT", "Δ", "best/ step (held-out loss)", "test AER, best/", "Δ best/"]
        rows = [["untuned e5-small", "-", "-", "-", "-", "-", 100 * base["aer"], "-", "-", "-", "-"]]
        for r in sorted(results, key=lambda r: names.index(r["row"])):
            rows.append([r["row"], " ".join(r["sets"]) or "defaults", f"{r['pairs']} ({r['heldout']})",
                         r["plan"], str(r["steps"]) + (" (stopped early)" if r["stopped_early"] else ""),
                         round(r["seconds"], 1), 100 * r["final"]["aer"],
                         round(100 * (r["final"]["aer"] - base["aer"]), 2), r["best_step"],
                         100 * r["best"]["aer"], round(100 * (r["best"]["aer"] - base["aer"]), 2)])
        curves = []
        for r in sorted(results, key=lambda r: names.index(r["row"])):
            pts = ", ".join(f"{e['step']}: " + (f"{100 * e['aer']:.2f} / " if "aer" in e else "")
                            + f"{e.get('heldout_loss', float('nan')):.4f}" for e in r["evals"])
            curves.append(f"- {r['row']}: {pts}")
        body = (f"`xlie align train` with its defaults, e5-small, on the text of the first pairs of "
                f"the first half of encs (plus the 1,799 en-de pairs of europarl-ner and PUD in the "
                f"-ende rows); test AER on the first {len(test)} pairs of the other half with `xlie "
                f"align --model DIR` at the model's own threshold and band (no calibration; gold "
                f"1-indexed, every link sure, AER = 1 − F1). OUTPUT is the last step, best/ the "
                f"step with the lowest loss on the held-out pairs. Machine: {machine()}.\n\n"
                + table(header, rows)
                + ("\n\nBy eval step, dev AER (the pairs after the test split, watched, not used) / "
                   "held-out loss:\n" if dev else "\n\nBy eval step, held-out loss:\n")
                + "\n".join(curves))
        write_section(args.section, body)

    flush()
    if args.jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(run_row, *j) for j in jobs]
            for f in as_completed(futures):
                results.append(f.result())
                _done(results[-1], args.log)
                flush()
    else:
        for j in jobs:
            results.append(run_row(*j))
            _done(results[-1], args.log)
            flush()


def _done(r: dict, log: str | None) -> None:
    print(json.dumps({k: v for k, v in r.items() if k != "evals"}), flush=True)
    if log:
        with open(log, "a") as f:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
