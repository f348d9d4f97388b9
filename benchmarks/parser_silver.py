"""Does silver help the default parser? Issue 34's French PUD split, on the PUD languages we
have: the default `--task dep` trained on the first 500 English PUD sentences alone, and with
the projected target trees of their 500 translations (PUD's human ones) added, scored on the
other 500 target sentences (501-1000), which nothing trains or chooses on.

Conditions (each a `xlie selftrain train --task dep --model e5-small` run, defaults unless
named):
- ``english``: English gold alone;
- ``silver``: + silver trees, ``silver_judge: none`` (every projected arc trains);
- ``judged``: + silver trees judged by the English-only parser (the default).

    python benchmarks/parser_silver.py prepare --langs de es zh
    python benchmarks/parser_silver.py run --lang de --cond english --seed 0
    python benchmarks/parser_silver.py silver          # the silver itself against PUD gold
    python benchmarks/parser_silver.py report

Each run appends one JSON line to WORK/results.jsonl; ``report`` writes RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import links_for  # noqa: E402
from project_pud import load  # noqa: E402
from results import machine, mean_spread, peak_rss_mb, table, write_section  # noqa: E402

WORK = Path("/tmp/xlie-bench-parser-silver")
TRAIN, TEST_FROM, TEST = 500, 500, 500
CONDS = {"english": ("English gold only", {}),
         "silver": ("+ silver trees, every projected arc", {"silver_judge": "none"}),
         "judged": ("+ silver trees judged by the English-only parser (default)", {})}


def prepare(langs: list[str], work: Path) -> None:
    from xlie.corpus import Sentence
    from xlie.formats.jsonl import write_jsonl
    from xlie.projection.api import project
    work.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        pairs = load(lang, None)
        train = pairs[:TRAIN]
        links, secs = links_for([(e.tokens, d.tokens) for e, d in train], None,
                                f"pud-{lang}", work / "links")
        records = [Sentence.model_validate({
            **e.to_json(), "alignment": l,
            "translation": {"lang": lang, "text": " ".join(d.tokens), "tokens": d.tokens}})
            for (e, d), l in zip(train, links)]
        res = project(records)
        write_jsonl(work / "en-train.jsonl", [e for e, _ in train])
        write_jsonl(work / f"silver-{lang}.jsonl", res.sentences)
        write_jsonl(work / f"test-{lang}.jsonl",
                    [d for _, d in pairs[TEST_FROM:TEST_FROM + TEST]])
        print(lang, "tree coverage", round(res.report.tree_coverage, 3), flush=True)


JUDGE_KEYS = ("silver_judge", "judge_threshold")


def adopt_english_run(run: Path, cfg) -> None:
    """An English-only run made before the judge settings existed trained exactly as the
    judge does (those settings only act on silver): record them in its settings so that the
    judge reuses it. Any other difference still makes the trainer refuse it."""
    path = run / "metrics.json"
    metrics = json.loads(path.read_text())
    for key in JUDGE_KEYS:
        metrics["config"].setdefault(key, cfg.effective()[key])
    path.write_text(json.dumps(metrics, indent=1))


def run(lang: str, cond: str, seed: int, work: Path, threads: int) -> None:
    """One condition on one language. The English-only parser does not depend on the target
    language: it trains once per seed (``english-sN``), is scored on each language's test
    set, and is the judge of that seed's judged runs (its run reused, not trained again)."""
    import torch
    from xlie.selftrain import train
    from xlie.selftrain.config import train_settings
    from xlie.selftrain.data import read_all
    from xlie.selftrain.tasks import get_task
    torch.set_num_threads(threads)
    cfg = train_settings(model="e5-small", task="dep", seed=seed, **CONDS[cond][1])
    english = work / f"english-s{seed}"
    out = english if cond == "english" else work / f"{lang}-{cond}-s{seed}"
    if cond == "judged" and (english / "metrics.json").exists() and not (out / "judge").exists():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(english, out / "judge")
        adopt_english_run(out / "judge", cfg)
    t = time.perf_counter()
    silver = [] if cond == "english" else [work / f"silver-{lang}.jsonl"]
    res = train([work / "en-train.jsonl"], out, cfg, silver=silver)
    secs = time.perf_counter() - t
    task = get_task("dep")   # the test set is read once training has ended
    gold = read_all([work / f"test-{lang}.jsonl"])
    scores = task.score(gold, task.load(res.model_dir, 32).predict(gold))
    m = res.metrics
    row = {"lang": lang, "cond": cond, "seed": seed, "uas": scores["uas"], "las": scores["las"],
           "seconds": m.get("seconds", secs), "max_rss_mb": peak_rss_mb(),
           "judge": m.get("judge"), "dev_set": m.get("dev_set"), "best_dev": m.get("best"),
           "step": m.get("step")}
    with open(work / "results.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def silver_quality(langs: list[str], seed: int, work: Path, write: bool) -> str:
    """The silver itself against PUD's gold trees of the same sentences (PUD's targets are
    treebanked translations): projected, the English-only parser's own trees, and judged at
    each threshold; with the counts that decide whether the judge is trusted."""
    import torch
    from xlie.selftrain.data import read_all
    from xlie.selftrain.judge import judge_trees, trusted
    from xlie.selftrain.parser import Parser
    torch.set_num_threads(1)
    parser = Parser.load(work / f"english-s{seed}" / "model")
    rows, trust = [], []
    for lang in langs:
        gold = [d for _, d in load(lang, None)[:TRAIN]]
        silver = read_all([work / f"silver-{lang}.jsonl"])
        pred = parser.predict([s.model_copy(update={"heads": None, "deprels": None,
                                                    "arc_scores": None}) for s in silver], 32)
        kinds = [("projected", silver), ("English-only parser alone", pred)] + [
            (f"judged, threshold {t}", judge_trees(silver, pred, t)[0]) for t in THRESHOLDS]
        for name, sents in kinds:
            rows.append([lang, name, *tree_quality(gold, sents)])
        counts = judge_trees(silver, pred, 0.9)[1]
        trust.append([lang, counts["projected"], counts["agreed"], counts["replaced"],
                      "yes" if trusted(counts) else "no: the silver trains as projected"])
    text = "\n".join([
        "## What the judge does to the silver trees (PUD, the 500 training translations)", "",
        f"Machine: {machine()}.", "",
        "`benchmarks/parser_silver.py silver`: the silver trees of the 500 translations the "
        "parser trains on, scored against PUD's gold trees of those same sentences (the "
        "parser never sees them): as projected (xlie projection defaults), as the "
        f"English-only parser of seed {seed} parses them, and judged (`judge.py`) at each "
        "threshold. LAS on the words that have an arc, and over all words (a word without "
        "an arc counts as wrong). Relations compared without subtypes.", "",
        table(["lang", "silver", "words with an arc %", "UAS", "LAS", "LAS over all words"],
              rows), "",
        "Whether the judge is trusted (threshold 0.9; `judge.trusted`: it must confirm at "
        "least as many projected arcs as it confidently overrules):", "",
        table(["lang", "projected arcs", "confirmed", "overruled", "trusted"], trust)])
    if write:
        write_section("parser-silver-quality", text)
    return text


def tree_quality(gold: list, sents: list) -> list[str]:
    """Coverage, UAS and LAS on covered words and LAS over all words (xlie.scoring)."""
    from xlie.scoring import pair_sentences, score_dep
    m = score_dep(pair_sentences(gold, sents))
    return [f"{100 * m[k]:.1f}" for k in ("coverage", "uas", "las", "las_all_words")]


def report(work: Path, write: bool) -> str:
    rows = [json.loads(l) for l in (work / "results.jsonl").read_text().splitlines()]
    by: dict = {}
    for r in rows:
        by.setdefault((r["lang"], r["cond"]), []).append(r)
    out = []
    for (lang, cond), rs in sorted(by.items(), key=lambda kv: (kv[0][0], list(CONDS).index(kv[0][1]))):
        out.append([lang, CONDS[cond][0], mean_spread([100 * r["uas"] for r in rs]),
                    mean_spread([100 * r["las"] for r in rs]),
                    ", ".join(f"{100 * r['las']:.1f}" for r in rs),
                    f"{sum(r['seconds'] for r in rs) / len(rs):.0f}"])
    verdicts = []
    for r in rows:
        j = r.get("judge")
        if j:
            verdicts.append([r["lang"], r["seed"], j["projected"], j["agreed"], j["kept_unsure"],
                             j["replaced"], j["filled"], j["left_out"]])
    text = "\n".join([
        "## The default parser with and without silver trees (PUD, issue 34's split)", "",
        f"Machine: {machine()}.", "",
        " ".join(__doc__.split("\n\n")[0].split()), "",
        table(["lang", "training data", "UAS", "LAS", "LAS per seed", "seconds"], out), "",
        "The English-only parser does not depend on the target language: one model per seed, "
        "scored on each language, and the judge of that seed's judged runs (their seconds "
        "leave its training out). Settings: `xlie selftrain train --task dep --model "
        "e5-small` defaults (800-step budget, patience 3, a held-out slice of the silver, "
        "else of the source, for model choice).", "",
        "The judge's verdicts on the projected trees (words; judge_threshold 0.9):", "",
        table(["lang", "seed", "projected arcs", "agreed", "kept (judge unsure)",
               "replaced", "filled (no projected arc)", "left out"], verdicts)])
    if write:
        write_section("parser-silver", text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", choices=["prepare", "run", "silver", "report"])
    ap.add_argument("--langs", nargs="+", default=["de", "es", "zh"])
    ap.add_argument("--lang", default="de")
    ap.add_argument("--cond", choices=list(CONDS), default="english")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.stage == "prepare":
        prepare(args.langs, args.work)
    elif args.stage == "run":
        run(args.lang, args.cond, args.seed, args.work, args.threads)
    elif args.stage == "silver":
        print(silver_quality(args.langs, args.seed, args.work, not args.no_write))
    else:
        print(report(args.work, not args.no_write))


if __name__ == "__main__":
    main()
