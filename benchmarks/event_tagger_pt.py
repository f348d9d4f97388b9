"""The event tagger for Portuguese (issue 36): English TimeML alone against English +
Portuguese silver, scored on Portuguese gold documents that no model saw.

Data (../shared/data/events/timeml): English TempEval-3 TimeBank + AQUAINT as the source gold
(no licence: read from ../shared, never shipped); TimeBankPT's 162 documents split by name
order into every other one (A, from the first) and the rest (B), as benchmarks/project_timeml.py
does. Silver: the English events of A's documents projected onto their Portuguese translation
(`xlie project --by-document`, defaults). Scored: B's Portuguese gold, whose text no model
and no setting saw. Both taggers: `xlie selftrain train --task event` with the defaults
(model choice on a held-out slice of the silver, else of the source), e5-small, CPU.

    XLIE_HOME=... XLIE_SHARED=... .venv/bin/python benchmarks/event_tagger_pt.py --work /tmp/ev
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import SHARED  # noqa: E402
from results import machine, publish, table  # noqa: E402

DATA = SHARED / "data" / "events" / "timeml"


def xlie(*args: str, threads: int = 1, **kw) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).with_name("xlie"))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    return subprocess.run([exe, *args], env=env, text=True, capture_output=True, check=True, **kw)


def prepare(work: Path) -> None:
    from xlie.formats.jsonl import write_jsonl
    from xlie.formats.timeml import read_timeml
    pt = sorted((DATA / "pt" / "train").glob("*.tml"))
    halves = {"A": pt[::2], "B": pt[1::2]}
    for name, files in halves.items():
        for lang, base in (("pt", DATA / "pt" / "train"), ("en", DATA / "en" / "timebank")):
            d = work / f"{lang}{name}"
            d.mkdir(parents=True, exist_ok=True)
            for f in files:
                if (base / f.name).exists() and not (d / f.name).exists():
                    (d / f.name).symlink_to(base / f.name)
    en = [s for sub in ("timebank", "aquaint") for f in sorted((DATA / "en" / sub).glob("*.tml"))
          for s in read_timeml(f, lang="en")]
    write_jsonl(work / "en.jsonl", en)
    write_jsonl(work / "ptB.jsonl", [s for f in halves["B"] for s in read_timeml(f, lang="pt")])
    if not (work / "silverA.jsonl").exists():
        xlie("project", "--by-document", str(work / "enA"), str(work / "silverA.jsonl"),
             "--target", str(work / "ptA"), "--lang", "pt", threads=2)


def mt_silver(work: Path) -> Path:
    """Portuguese silver from machine translation, by the four commands a user runs:
    the English documents that half B is not a translation of (AQUAINT and TimeBank's
    others, 2,722 sentences) -> `xlie translate --backend apertium -t pt` (no English ->
    Portuguese pair is packaged: Apertium goes through Spanish, eng-spa then es-pt) ->
    `xlie align` -> `xlie project`. Sentence by sentence: MT keeps the pairing."""
    from xlie.formats.jsonl import write_jsonl
    from xlie.formats.timeml import read_timeml
    silver = work / "silverMT.jsonl"
    if silver.exists():
        return silver
    half_b = {f.name for f in sorted((DATA / "pt" / "train").glob("*.tml"))[1::2]}
    files = [f for sub in ("timebank", "aquaint") for f in sorted((DATA / "en" / sub).glob("*.tml"))
             if f.name not in half_b]
    write_jsonl(work / "en_notB.jsonl", [s for f in files for s in read_timeml(f, lang="en")])
    xlie("translate", str(work / "en_notB.jsonl"), str(work / "en_notB.pt.jsonl"), "-s", "en",
         "-t", "pt", "--backend", "apertium")
    xlie("align", str(work / "en_notB.pt.jsonl"), str(work / "aligned_notB.jsonl"), threads=2)
    xlie("project", str(work / "aligned_notB.jsonl"), str(silver))
    return silver


def run(args) -> None:
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    prepare(work)
    t_silver = time.time() - t0
    extra = ["--max-steps", str(args.max_steps)] if args.max_steps else []
    runs = {"English only": [], "English + Portuguese silver": ["--silver", str(work / "silverA.jsonl")]}
    procs, started = {}, time.time()
    for k, (name, silver) in enumerate(runs.items()):
        out = work / f"m{k}"
        cmd = [str(Path(sys.executable).with_name("xlie")), "selftrain", "train",
               str(work / "en.jsonl"), *silver, "--task", "event", "--model", args.model,
               "-o", str(out), *extra]
        procs[name] = (subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"},
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
                       out)
    rows = []
    for name, (proc, out) in procs.items():
        log = proc.communicate()[0]
        if proc.returncode:
            raise SystemExit(f"{name} failed:\n{log[-3000:]}")
        seconds = time.time() - started
        res = xlie("selftrain", "predict", str(work / "ptB.jsonl"), "-o",
                   str(out / "predB.jsonl"), "--model", str(out / "model"), "--score")
        report = json.loads(res.stderr.strip().splitlines()[-1])
        s = report["scores"]
        m = json.loads((out / "metrics.json").read_text())
        rows.append([name, f"{100 * s['trigger']['f1']:.2f}", f"{100 * s['trigger_class']['f1']:.2f}",
                     m["step"], m["dev_set"].get("from", m["dev_set"].get("kind")), round(seconds)])
        print(name, s["trigger"]["f1"], s["trigger_class"]["f1"], flush=True)
    gain = float(rows[1][2]) - float(rows[0][2])
    text = (f"## Event tagger for Portuguese: English only against + Portuguese silver (TimeBankPT)\n\n"
            f"Machine: {machine()}. One seed (0); the two taggers trained at the same time, one "
            f"thread each.\n\n"
            f"Source: English TempEval-3 TimeBank + AQUAINT ({sum(1 for _ in open(work / 'en.jsonl'))} "
            f"sentences). Silver: half A of the 162 TimeBankPT documents (every other one in name "
            f"order), English events projected by document (`xlie project --by-document`, "
            f"defaults; {t_silver:.0f} s with the conversion). Scored: half B's Portuguese gold "
            f"(81 documents, {sum(1 for _ in open(work / 'ptB.jsonl'))} sentences), which no model "
            f"saw. `xlie selftrain train --task event --model {args.model}` with the defaults"
            + (f" but --max-steps {args.max_steps}" if args.max_steps else "") + "; strict spans.\n\n"
            + table(["training data", "trigger F1", "trigger + class F1", "steps", "dev slice from",
                     "train s (wall, shared)"], rows)
            + f"\n\n+ silver against English only: **{gain:+.2f}** trigger + class F1 (issue "
            f"36's target: +3).\n")
    publish("event-tagger-pt", text, not args.no_write)


def score_file(gold: Path, pred: Path) -> dict:
    """Trigger scores of a saved prediction, as `selftrain predict --score` gives them."""
    from xlie.formats.jsonl import read_corpus
    from xlie.scoring import pair_sentences
    from xlie.scoring_events import score_events
    return score_events(pair_sentences(list(read_corpus(gold)), list(read_corpus(pred))))


def seeds_report(args) -> None:
    """More seeds of the same two conditions, trained elsewhere (``xlie selftrain train ...
    --set train.seed=N``, the commands in the section): each model scored on half B here,
    mean ± std per condition, into its own section beside the one-seed run above."""
    from results import mean_spread
    runs: dict[str, list] = {}
    for spec in args.runs:
        name, seed, path = spec.split(":", 2)
        out = Path(path)
        pred = out / "predB.jsonl"
        if pred.exists() and pred.stat().st_mtime > (out / "metrics.json").stat().st_mtime:
            s = score_file(args.work / "ptB.jsonl", pred)   # predicted by an earlier run
        else:
            res = xlie("selftrain", "predict", str(args.work / "ptB.jsonl"), "-o", str(pred),
                       "--model", str(out / "model"), "--score")
            s = json.loads(res.stderr.strip().splitlines()[-1])["scores"]
        m = json.loads((out / "metrics.json").read_text())
        assert m["config"]["seed"] == int(seed), f"{path} was trained with another seed"
        runs.setdefault(name, []).append((int(seed), 100 * s["trigger"]["f1"],
                                          100 * s["trigger_class"]["f1"]))
    rows = [[name, len(v), mean_spread([x[1] for x in v]), mean_spread([x[2] for x in v]),
             "; ".join(f"{x[0]}: {x[2]:.2f}" for x in sorted(v))] for name, v in runs.items()]
    means = {name: sum(x[2] for x in v) / len(v) for name, v in runs.items()}
    first = next(iter(means))
    gains = "; ".join(f"{name}: **{m - means[first]:+.2f}**" for name, m in means.items()
                      if name != first)
    text = (f"## Event tagger for Portuguese, over seeds (TimeBankPT half B)\n\n"
            f"Machine: {machine()}.\n\n"
            "The conditions of the one-seed section above (English TimeBank + AQUAINT alone; "
            "+ half A's Portuguese silver, the human translation projected by document) and, "
            "where the table has it, + the Apertium MT silver as well (`--mt-silver`: the "
            "English documents half B does not translate, en → es → pt through Apertium, "
            "aligned and projected sentence by sentence); defaults, e5-small, one model per "
            "seed (`xlie selftrain train en.jsonl [--silver silverA.jsonl [--silver "
            "silverMT.jsonl]] --task event --model e5-small --set train.seed=N`, one thread "
            "each), each scored here on half B's Portuguese gold (`benchmarks/"
            "event_tagger_pt.py --runs NAME:SEED:DIR ...`).\n\n"
            + table(["training data", "seeds", "trigger F1", "trigger + class F1",
                     "trigger + class per seed"], rows)
            + (f"\n\nAgainst {first}, means of trigger + class F1: {gains} (issue 36's "
               "target: +3).\n" if len(means) > 1 else "\n"))
    if args.reading:   # what the figures say, written by hand after seeing them
        text += "\n" + args.reading.read_text(encoding="utf-8").strip() + "\n"
    publish("event-tagger-pt-seeds", text, not args.no_write)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/xlie-event-tagger"))
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--reading", type=Path, help="a Markdown file appended to the section")
    ap.add_argument("--mt-silver", action="store_true",
                    help="only make the Portuguese silver from Apertium MT (mt_silver)")
    ap.add_argument("--runs", nargs="+", metavar="NAME:SEED:DIR",
                    help="score models trained elsewhere, by condition and seed (seeds_report)")
    a = ap.parse_args()
    if a.mt_silver:
        a.work.mkdir(parents=True, exist_ok=True)
        print(mt_silver(a.work))
    else:
        seeds_report(a) if a.runs else run(a)
