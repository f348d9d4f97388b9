"""`xlie selftrain predict --dtype` on CPU: sentences/s and score of a trained tagger at
fp32, bf16 and int8, each in a fresh process.

Each row: one process that loads the tagger at that dtype (``Tagger.load(dtype=...)``, the
code behind ``selftrain predict --dtype``), predicts the sentences (timed: CPU and wall
seconds of ``predict_words``) and scores them against their gold (POS accuracy or NER F1,
``selftrain.metrics.evaluate``). The whole process is timed from outside as well (start,
imports, load, predict, score).

    .venv/bin/python benchmarks/predict_dtype.py --model RUN/04-selftrain/model \\
        --data ../shared/data/pud/es.conllu --limit 500
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DTYPES = ["fp32", "bf16", "int8"]


def worker(args) -> dict:
    import torch
    torch.set_num_threads(args.threads)
    from xlie.formats.detect import read_any
    from xlie.scoring import main_score
    from xlie.selftrain.metrics import evaluate
    from xlie.selftrain.predict import Tagger
    sents = [s for s in read_any(args.data) if s.tokens][:args.limit]
    t0 = time.perf_counter()
    tagger = Tagger.load(args.model, device="cpu", dtype=args.worker)
    load_s = time.perf_counter() - t0
    words = [s.tokens for s in sents]
    tagger.predict_words(words[:8])                  # first-call set-up off the clock
    c0, t0 = time.process_time(), time.perf_counter()
    tagger.predict_words(words)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    scores = evaluate(tagger, sents)
    return {"dtype": args.worker, "sentences": len(sents), "load_s": load_s,
            "predict_cpu_s": cpu, "predict_wall_s": wall, "task": tagger.labels.task,
            "score": 100 * main_score(tagger.labels.task, scores)}


def run(dtype: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", dtype, "--model", str(args.model), "--data",
           str(args.data), "--limit", str(args.limit), "--threads", str(args.threads)]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"dtype": dtype, "error": (err.strip().splitlines() or ["?"])[-1]}
    return {**json.loads(lines[-1]), "process_wall_s": wall,
            "warnings": [line for line in err.splitlines() if line.startswith("warning")]}


def report(rows: list[dict], args) -> str:
    from results import machine, table
    base = next((r for r in rows if r["dtype"] == "fp32" and "error" not in r), None)
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["dtype"], "error: " + r["error"][:100]] + ["-"] * 7)
            continue
        n = r["sentences"]
        lines.append([r["dtype"], n, f"{n / r['predict_cpu_s']:.1f}",
                      f"{base['predict_cpu_s'] / r['predict_cpu_s']:.2f}" if base else "-",
                      f"{n / r['predict_wall_s']:.1f}", f"{r['process_wall_s']:.1f}",
                      f"{base['process_wall_s'] / r['process_wall_s']:.2f}" if base else "-",
                      f"{r['score']:.2f}",
                      f"{r['score'] - base['score']:+.2f}" if base else "-"])
    task = base["task"] if base else "?"
    metric = "UPOS accuracy" if task == "pos" else "entity F1"
    return (f"## selftrain predict at fp32, bf16, int8 on CPU\n\n"
            f"`benchmarks/predict_dtype.py --model {args.model_label} --data {args.data_label} "
            f"--limit {args.limit}`: a {task.upper()} tagger on e5-small, {args.threads} "
            "thread(s), each dtype in a fresh process. sentences/CPU-s and /s time "
            "`predict_words` on all the sentences (batch 32, after an untimed first batch); "
            "process s is the whole process (start, load, predict, score). bf16: weights "
            "cast to bfloat16 (AMX on this CPU); int8: PyTorch dynamic int8 on every Linear "
            f"(per-channel). Score: {metric} against the file's gold, in points.\n\n"
            + table(["dtype", "sentences", "sentences/CPU-s", "x fp32 (CPU)", "sentences/s",
                     "process s", "x fp32 (process)", "score", "Δ score"], lines)
            + f"\n\nMachine: {machine()}. Shared with other sessions: compare rows of one run.\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--model-label", default=None, help="how RESULTS.md names the model")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--data-label", default=None)
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtypes", default=",".join(DTYPES))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--section", default="predict-dtype")
    ap.add_argument("--json", type=Path, help="also dump the rows here")
    ap.add_argument("--render", type=Path, help="only write the section of an earlier --json")
    ap.add_argument("--reading", type=Path, help="a Markdown file appended to the section")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)), flush=True)
        return
    args.model_label = args.model_label or str(args.model)
    args.data_label = args.data_label or str(args.data)
    if args.render:
        rows = json.loads(args.render.read_text())
    else:
        rows = []
        for dtype in args.dtypes.split(","):
            rows.append(run(dtype, args))
            print(json.dumps(rows[-1]), flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    import torch
    torch.set_num_threads(args.threads)
    from results import publish
    text = report(rows, args)
    if args.reading:
        text += "\n" + args.reading.read_text(encoding="utf-8")
    publish(args.section, text, write=not args.no_write)


if __name__ == "__main__":
    main()
