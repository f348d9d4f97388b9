"""Claim: a tagger or parser trained with its embeddings and lowest N layers frozen
(``freeze_layers`` N) takes cheaper CPU steps when those layers' states are computed once per
example and kept (``xlie/selftrain/frozen.py``) than when they run again on every step, at
no real cost in dev score.

Every run trains e5-small from scratch for a fixed budget of optimizer steps (no early stop)
on English gold: the NER tagger on Europarl (``europarl-ner/en.conll02``), the parser on PUD
(``pud/en.conllu``); 200 training sentences and 100 dev sentences each, drawn with a fixed
seed. Each setting runs twice, same seed and data: on the code before the cache (``--before``,
a git ref whose ``xlie/`` is extracted with ``git archive``) and on this checkout. Each run is
its own process on one thread, under ``nice``, one at a time. Figures per run: the median CPU
seconds of an optimizer step in the first epoch (states computed) and in the later epochs
(states read back), the CPU seconds of the whole run (loading, steps, a dev evaluation each
epoch, checkpoints) and the dev score of the last evaluation. Usage::

    XLIE_HOME=/work/xlie-home python benchmarks/frozen_cache.py [--steps 80] [--freeze 0 6 11]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO.parent / "shared" / "data"
BEFORE = "7845592"   # main just before the tagger/parser cache (issue 37, item 3)
TASKS = {"ner": "NER tagger (Europarl en)", "dep": "parser (PUD en)"}


def write_data(work: Path, n_train: int, n_dev: int) -> dict[str, tuple[Path, Path]]:
    """Train and dev JSONL files of each task, drawn once with seed 13."""
    from xlie.formats.conll import read_conll
    from xlie.formats.conllu import read_conllu
    from xlie.formats.jsonl import write_jsonl
    sets = {"ner": list(read_conll(DATA / "europarl-ner" / "en.conll02", lang="en")),
            "dep": list(read_conllu(DATA / "pud" / "en.conllu"))}
    out = {}
    for task, sents in sets.items():
        order = list(range(len(sents)))
        random.Random(13).shuffle(order)
        paths = (work / f"{task}-train.jsonl", work / f"{task}-dev.jsonl")
        write_jsonl(paths[0], [sents[i] for i in order[:n_train]])
        write_jsonl(paths[1], [sents[i] for i in order[n_train:n_train + n_dev]])
        out[task] = paths
    return out


def code_before(ref: str, work: Path) -> Path:
    """The ``xlie`` package as it was at ``ref``, extracted once under ``work``."""
    tree = work / f"code-{ref}"
    if not (tree / "xlie").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "xlie"], check=True,
                                 capture_output=True).stdout
        tar = tree / "xlie.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as t:
            t.extractall(tree)
        tar.unlink()
    return tree


def child(spec: dict) -> None:
    """One training run in this process; prints ``RESULT {json}`` last."""
    import torch
    torch.set_num_threads(1)
    import xlie
    from xlie.scoring import main_score
    from xlie.selftrain import train, train_settings
    cfg = train_settings(model=spec["model"], task=spec["task"], max_steps=spec["steps"],
                         batch_size=spec["batch_size"], freeze_layers=spec["freeze"],
                         patience=None, checkpoint_every=10_000, seed=spec["seed"])
    marks: list[float] = []
    t0, w0 = time.process_time(), time.time()
    result = train([spec["train"]], spec["out"], cfg, dev=spec["dev"], resume=False,
                   on_step=lambda step, loss: marks.append(time.process_time()))
    cpu, wall = time.process_time() - t0, time.time() - w0
    m = result.metrics
    steps = [b - a for a, b in zip(marks, marks[1:])]   # step k+1's CPU seconds, k >= 1
    per_epoch = -(-(m["features"]["source"] + m["features"]["silver"]) // spec["batch_size"])
    print("RESULT " + json.dumps({
        "xlie": str(Path(xlie.__file__).parent), "cpu": cpu, "wall": wall,
        "steps": m["step"], "steps_per_epoch": per_epoch,
        "first_epoch": statistics.median(steps[:per_epoch - 1]),
        "later_epochs": statistics.median(steps[per_epoch:]) if len(steps) > per_epoch else None,
        "dev": main_score(spec["task"], m["dev"][-1]) if m["dev"] else None,
        "cached_layers": m.get("cached_layers")}), flush=True)


def run(spec: dict, code: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": "1", "XLIE_PROGRESS": "0"}
    proc = subprocess.run(["nice", "-n", "10", sys.executable, __file__, "--child",
                           json.dumps(spec)], env=env, capture_output=True, text=True)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not line:
        raise SystemExit(f"run {spec} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(line[-1][len("RESULT "):])
    if not out["xlie"].startswith(str(code)):
        raise SystemExit(f"run imported {out['xlie']}, not the code under {code}")
    return out


def report(args, rows: list[dict]) -> str:
    from results import machine
    body = [
        f"`benchmarks/frozen_cache.py --steps {args.steps} --freeze "
        f"{' '.join(map(str, args.freeze))} --tasks {' '.join(args.tasks)}`: "
        f"e5-small (12 layers) trained from scratch on English gold, {args.train} training and "
        f"{args.dev} dev sentences (seed 13), batch {args.batch_size}, {args.steps} optimizer "
        f"steps (no early stop), seed {args.seed}, every other setting the task's default; "
        f"each run its own process on one thread under `nice`, one at a time. *before*: the "
        f"code at `{args.before}` (the frozen layers run, with dropout, on every step); "
        f"*after*: this checkout (their states computed once per example, without dropout, "
        f"and kept). CPU seconds are the process's own (`time.process_time`): a step's median "
        f"in the first epoch (states computed) and in the later epochs (states read back), and "
        f"the whole run (model loading, steps, a dev evaluation each epoch, checkpoints). Dev: "
        f"the last evaluation's score (entity F1 for NER, LAS for the parser), in percent. "
        f"The machine was shared with other training runs (2 cores): CPU seconds are less "
        f"affected by that than wall seconds, but not immune.", "",
        "| stage | frozen layers | code | cached layers | CPU s/step, epoch 1 | CPU s/step, "
        "later epochs | CPU s, whole run | dev score |",
        "|---|---|---|---|---|---|---|---|"]
    fmt = lambda x, spec="{:.3f}": "–" if x is None else spec.format(x)
    for r in rows:
        dev = None if r["dev"] is None else 100 * r["dev"]
        body.append(f"| {TASKS[r['task']]} | {r['freeze']} | {r['code']} | "
                    f"{fmt(r['cached_layers'], '{}')} | {fmt(r['first_epoch'])} | "
                    f"{fmt(r['later_epochs'])} | {r['cpu']:.0f} | {fmt(dev, '{:.2f}')} |")
    body += ["", "Speed-up of *after* over *before* (CPU seconds):", "",
             "| stage | frozen layers | step, later epochs | whole run | dev score change |",
             "|---|---|---|---|---|"]
    by = {(r["task"], r["freeze"], r["code"]): r for r in rows}
    for (task, freeze, code), r in by.items():
        b = by.get((task, freeze, "before"))
        if code != "after" or b is None:
            continue
        step = (f"{b['later_epochs'] / r['later_epochs']:.2f}×"
                if r["later_epochs"] and b["later_epochs"] else "–")
        dev = (f"{100 * (r['dev'] - b['dev']):+.2f}" if r["dev"] is not None
               and b["dev"] is not None else "–")
        body.append(f"| {TASKS[task]} | {freeze} | {step} | {b['cpu'] / r['cpu']:.2f}× | {dev} |")
    body += ["", f"Machine: {machine()}."]
    return "\n".join(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--tasks", nargs="+", default=["ner", "dep"], choices=list(TASKS))
    ap.add_argument("--freeze", type=int, nargs="+", default=[0, 6, 11])
    ap.add_argument("--steps", type=int, default=80)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--train", type=int, default=200)
    ap.add_argument("--dev", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--before", default=BEFORE, help="git ref of the code without the cache")
    ap.add_argument("--work", default="/tmp/xlie-bench-frozen-cache")
    ap.add_argument("--section", default="frozen-cache", help="RESULTS.md section to write")
    ap.add_argument("--no-write", action="store_true", help="print only (smoke runs)")
    args = ap.parse_args()
    if args.child:
        return child(json.loads(args.child))
    sys.path.insert(0, str(HERE))
    from results import publish
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = write_data(work, args.train, args.dev)
    codes = {"before": code_before(args.before, work), "after": REPO}
    rows = []
    for task in args.tasks:
        for freeze in args.freeze:
            for code, tree in codes.items():
                spec = {"model": args.model, "task": task, "freeze": freeze, "seed": args.seed,
                        "steps": args.steps, "batch_size": args.batch_size,
                        "train": str(data[task][0]), "dev": str(data[task][1]),
                        "out": str(work / f"{task}-f{freeze}-{code}")}
                r = {"task": task, "freeze": freeze, "code": code, **run(spec, tree)}
                print(json.dumps(r), flush=True)
                rows.append(r)
    publish(args.section, report(args, rows), write=not args.no_write)


if __name__ == "__main__":
    main()
