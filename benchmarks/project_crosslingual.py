"""Which language chose each default of xlie's span projection, and what it scores on the
other: every setting is swept alone (the others at their defaults) on each target language
of the Europarl NER set, the best value on one language is scored on the other, both ways.

A default holds across languages when the value one language picks does no worse on the
other than the shipped default. Links: `xlie align` defaults (e5-small, its default
extraction), the same as project_europarl.py (and the same --cache).

    XLIE_SHARED=/work/shared .venv/bin/python benchmarks/project_crosslingual.py --cache /tmp/links
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import (default_extraction, links_for, load, pct,  # noqa: E402
                              target_languages, with_links)
from results import machine, publish, table  # noqa: E402
from run_options import parse_run_args  # noqa: E402

# setting -> values tried; the shipped default is read from ProjectionOptions / phrases.py
GRID: dict[str, list] = {
    "function_link_weight": [0.0, 0.25, 0.5, 0.75, 1.0],
    "keep_linked": [True, False],
    "grow_pairs": [True, False],
    "pair MIN_COUNT": [2, 3, 5],
    "pair MIN_DICE": [0.1, 0.2, 0.3, 0.5, 0.7],
    "weak_link": [0.1, 0.2, 0.3, 0.4],
    "gap_cost": [0.0, 0.15, 0.3, 0.5],
    "max_len_ratio": [2.0, 3.0, 4.0],
    "string_bonus": [0.0, 0.25, 0.5, 1.0],
    "function_words": [50, 100, 200],
    "trim": [True, False],
    "grow": [True, False],
    "string_match": [True, False],
    "neighbours": [True, False],
}


def shipped(name: str):
    from xlie.projection import phrases
    from xlie.projection.options import ProjectionOptions
    if name.startswith("pair "):
        return getattr(phrases, name.split()[1])
    return ProjectionOptions.model_fields[name].default


def score(records, gold, name: str, value) -> float:
    from xlie.projection.api import project
    from xlie.projection.edges import EdgeWords, function_words
    from xlie.projection.phrases import MIN_COUNT, MIN_DICE, PairCounter
    from xlie.scoring import pair_sentences, score_ner
    kw, edge = {}, None
    if name.startswith("pair "):
        tgt = [r.translation.tokens for r in records]
        tgt_fw = function_words(tgt)
        counter = PairCounter()
        for t in tgt:
            counter.add(t)
        args = {"min_count": MIN_COUNT, "min_dice": MIN_DICE}
        args["min_count" if name.endswith("COUNT") else "min_dice"] = value
        edge = EdgeWords(tgt_fw, function_words(r.tokens for r in records), counter.fixed(tgt_fw, **args))
    else:
        kw[name] = value
    res = project(records, edge_words=edge, **kw)
    return score_ner(pair_sentences(gold, res.sentences))["micro"]["f1"]


def choose(f1: dict, default) -> object:
    """The best value; a tie keeps the shipped default, else the first value listed."""
    best = max(round(v, 6) for v in f1.values())
    tied = [v for v, s in f1.items() if round(s, 6) == best]
    return default if default in tied else tied[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", nargs="+", default=None)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--threads", type=int, default=2)
    args = parse_run_args(ap, cache_help=None)
    langs = args.langs or target_languages()
    ext = default_extraction()
    data = {}
    for lang in langs:
        en, tgt = load(lang, args.limit)
        links, _ = links_for([(e.tokens, d.tokens) for e, d in zip(en, tgt)], ext,
                             f"europarl-{lang}", args.cache)
        data[lang] = (with_links(en, tgt, links, lang), tgt)
    f1 = {name: {lang: {v: score(*data[lang], name, v) for v in values} for lang in langs}
          for name, values in GRID.items()}
    for name in GRID:
        print(name, {l: {v: pct(s) for v, s in f1[name][l].items()} for l in langs}, flush=True)

    rows, detail, holds = [], [], 0
    for name, values in GRID.items():
        d = shipped(name)
        row = [f"`{name}`", d]
        for a in langs:
            for b in langs:
                if a == b:
                    continue
                v = choose(f1[name][a], d)
                delta = f1[name][b][v] - f1[name][b][d]
                holds += delta >= 0
                row.append(f"{v} ({pct(f1[name][a][v])}) → {pct(f1[name][b][v])} on {b} "
                           f"({pct(delta):+.2f})")
        rows.append(row)
        for v in values:
            detail.append([f"`{name}` = {v}" + (" (default)" if v == d else "")]
                          + [pct(f1[name][l][v]) for l in langs])
    pairs = [(a, b) for a in langs for b in langs if a != b]
    text = "\n".join([
        f"## Projection defaults across languages: Europarl NER en→{', '.join(langs)}", "",
        f"Machine: {machine()}.", "",
        f"Each setting of xlie's span method swept alone (the others at their defaults) on the "
        f"{ext} links of `xlie align` defaults, {len(data[langs[0]][0])} sentences per "
        "language, strict entity F1. For each ordered pair (A → B): the value A's sweep picks "
        "(A's F1; a tie keeps the shipped default), then that value's F1 on B and its "
        "difference to the shipped default on B. A value that costs B nothing holds across "
        f"languages: {holds} of {len(GRID) * len(pairs)} choices do. `pair MIN_COUNT` and "
        "`pair MIN_DICE` are the thresholds of a fixed pair (xlie/projection/phrases.py).", "",
        table(["setting", "shipped"] + [f"chosen on {a} → scored on {b}" for a, b in pairs], rows),
        "", "Every value (F1):", "",
        table(["setting"] + langs, detail), "",
        "How the new settings were set: `function_link_weight` and `keep_linked` came from "
        "the Italian errors of issue 22 (head-initial phrases cut at function words linked "
        "outside the span, a frequent content word trimmed) and were checked on German; 0.5 "
        "is a value neither language loses on. `grow_pairs` and its thresholds were swept "
        "on each language and scored on the other, as above. The older settings were chosen "
        "on German alone before Italian was here; where German alone would now pick another "
        "value (`weak_link` 0.4, `max_len_ratio` 2, `neighbours`), the gain is one or two "
        "spans and Italian loses or stays level, so the shipped values stay."])
    publish("project-crosslingual", text, not args.no_write)


if __name__ == "__main__":
    main()
