"""Europarl NER projection from English onto every other language of the set (German and
Italian here): the seed pipeline's heuristic vs xlie's method, on the same alignments, for
each extraction method of xlie's aligner (e5-small, no fine-tuning, `xlie align` defaults).

The English gold NER of the 799 parallel sentences (../shared/data/europarl-ner) is projected
onto each target side through links from `xlie.aligners.Aligner` and scored against that
side's gold: entity-level, strict (seqeval style), micro-averaged. The heuristic runs with its
default hull limit and, to be fair to it, with the best limit of a small sweep; an ablation
switches off xlie's parts one at a time on the default extraction's links.

    XLIE_HOME=/tmp/xh .venv/bin/python benchmarks/project_europarl.py          # ~5-10 min, 2 cores
    XLIE_SHARED=/work/shared ...    # where the shared data is, when not ../shared
    ... project_europarl.py --extractions softmax --limit 200 --no-write       # quick look
    ... project_europarl.py --cache /tmp/links                                  # keep the links
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import machine, publish, table  # noqa: E402
from run_options import parse_run_args  # noqa: E402

SHARED = Path(os.environ.get("XLIE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
DATA = SHARED / "data" / "europarl-ner"
EXTRACTIONS = ["softmax", "entmax", "ot", "argmax", "itermax", "match"]
HULL_SWEEP = [1.5, 2.0, 3.0, 1000.0]
THRESHOLDS = [0.0, 0.3, 0.5, 0.7, 0.9]
ABLATIONS = {"no trimming": {"trim": False}, "no growing over unlinked edge words": {"grow": False},
             "no string match": {"string_match": False},
             "function-word links count fully": {"function_link_weight": 1.0},
             "edge words linked into the span trimmable": {"keep_linked": False},
             "no growing over fixed pairs": {"grow_pairs": False},
             "best span only (trim, grow, string match off)":
                 {"trim": False, "grow": False, "string_match": False, "grow_pairs": False}}


def target_languages() -> list[str]:
    """Every side of the set but English, whatever languages those are."""
    langs = sorted(p.stem for p in DATA.glob("*.conll02") if p.stem != "en")
    if not langs:
        sys.exit(f"no target .conll02 files in {DATA} (set XLIE_SHARED to the shared folder)")
    return langs


def load(lang: str, limit: int | None = None):
    from xlie.formats.conll import read_conll
    en = list(read_conll(DATA / "en.conll02", scheme="iob2", lang="en"))
    tgt = list(read_conll(DATA / f"{lang}.conll02", scheme="iob2", lang=lang))
    assert len(en) == len(tgt), f"en and {lang} must have the same sentences"
    return (en[:limit], tgt[:limit]) if limit else (en, tgt)


def links_for(pairs, extraction: str | None, key: str, cache: Path | None) -> tuple[list, float]:
    """Links of `xlie align` defaults for one extraction (None: the model's default), read
    from ``cache`` when there; the encoder's forward passes are shared between extractions
    (xlie_harness), so the seconds are those of extraction after one shared encoding."""
    path = cache / f"{key}-{extraction or 'default'}-{len(pairs)}.json" if cache else None
    if path is not None and path.exists():
        return json.loads(path.read_text()), 0.0
    import xlie_harness
    aligner = xlie_harness.aligner("e5-small", corpus=key, extraction=extraction)
    t = time.perf_counter()
    links = [a.links for a in aligner.align_pairs(pairs)]
    secs = time.perf_counter() - t
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(links))
    return links, secs


def default_extraction() -> str:
    from xlie.models.builtin import known_defaults
    known = known_defaults("e5-small")
    return known.extraction if known else "softmax"


def with_links(en, tgt, links, lang: str):
    from xlie.corpus import Sentence
    return [Sentence.model_validate({**e.to_json(), "alignment": l,
                                     "translation": {"lang": lang, "text": " ".join(d.tokens),
                                                     "tokens": d.tokens}})
            for e, d, l in zip(en, tgt, links)]


def run(records, gold, method: str, **opts) -> dict:
    from xlie.projection.api import project
    from xlie.scoring import pair_sentences, score_ner
    t = time.perf_counter()
    res = project(records, method=method, **opts)
    secs = time.perf_counter() - t
    scores = score_ner(pair_sentences(gold, res.sentences))
    return {"scores": scores, "report": res.report, "secs": secs,
            "errors": error_kinds(gold, res.sentences)}


def error_kinds(gold, pred) -> dict[str, int]:
    """Where the strict score is lost: wrong type on the right words, wrong extent, a span
    with no gold entity under it, a gold entity with no prediction over it."""
    kinds = {"correct": 0, "right words, other type": 0, "wrong extent": 0, "spurious": 0,
             "gold missed": 0}
    for g, p in zip(gold, pred):
        gs = {(s.start, s.end): s.label for s in g.spans}
        ps = {(s.start, s.end): s.label for s in p.spans}
        for (a, b), lab in ps.items():
            if gs.get((a, b)) == lab:
                kinds["correct"] += 1
            elif (a, b) in gs:
                kinds["right words, other type"] += 1
            elif any(a < d and c < b for c, d in gs):
                kinds["wrong extent"] += 1
            else:
                kinds["spurious"] += 1
        kinds["gold missed"] += sum(1 for c, d in gs if not any(a < d and c < b for a, b in ps))
    return kinds


def pct(x: float) -> float:
    return round(100 * x, 2)


def prf(m: dict) -> str:
    return f"{pct(m['precision'])} / {pct(m['recall'])} / **{pct(m['f1'])}**"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", nargs="+", default=None, help="target languages (default: all)")
    ap.add_argument("--extractions", nargs="+", default=EXTRACTIONS)
    ap.add_argument("--limit", type=int, help="only the first N sentences")
    ap.add_argument("--threads", type=int, default=2)
    args = parse_run_args(ap, cache_help="read/write the links here (JSON per language and "
                          "extraction)", no_write_help="print, do not touch RESULTS.md")
    langs = args.langs or target_languages()
    default = default_extraction()
    md_lang, per_type, errors, ablation, by_threshold, drops = [], {}, {}, {}, {}, {}
    n_sent = 0
    for lang in langs:
        en, tgt = load(lang, args.limit)
        n_sent = len(en)
        pairs = [(e.tokens, d.tokens) for e, d in zip(en, tgt)]
        rows = []
        for ext in args.extractions:
            links, align_secs = links_for(pairs, ext, f"europarl-{lang}", args.cache)
            records = with_links(en, tgt, links, lang)
            heur = {r: run(records, tgt, "heuristic", max_hull_ratio=r) for r in HULL_SWEEP}
            best_r = max(heur, key=lambda r: heur[r]["scores"]["micro"]["f1"])
            ours = run(records, tgt, "xlie")
            h, hb = heur[2.0]["scores"]["micro"], heur[best_r]["scores"]["micro"]
            x, rep = ours["scores"]["micro"], ours["report"]
            rows.append([ext + (" (default)" if ext == default else ""), prf(h),
                         f"{pct(hb['f1'])} (limit {best_r:g})", prf(x),
                         f"{pct(x['f1'] - h['f1']):+.2f} / {pct(x['f1'] - hb['f1']):+.2f}",
                         f"{rep.projected}/{rep.spans_in}", f"{len(records) / ours['secs']:.0f}"])
            print(lang, ext, "heuristic", pct(h["f1"]), "best", pct(hb["f1"]), best_r,
                  "xlie", pct(x["f1"]), dict(rep.dropped), flush=True)
            if ext == default or (ext == args.extractions[0] and default not in args.extractions):
                per_type[lang] = (heur[2.0]["scores"]["per_type"], ours["scores"]["per_type"])
                errors[lang] = (heur[2.0]["errors"], ours["errors"])
                ablation[lang] = [("xlie (all parts)", x["f1"])] + [
                    (name, run(records, tgt, "xlie", **o)["scores"]["micro"]["f1"])
                    for name, o in ABLATIONS.items()]
                by_threshold[lang] = [run(records, tgt, "xlie", threshold=th)["scores"]["micro"]
                                      for th in THRESHOLDS]
                drops[lang] = ", ".join(f"{k} {v}" for k, v in rep.dropped.most_common()) or "none"
        md_lang += [f"Target **{lang}**:", "",
                    table(["extraction", "heuristic P / R / F1", "heuristic, best limit F1",
                           "xlie P / R / F1", "Δ F1 (default / best limit)", "xlie spans kept",
                           "project sent/s"], rows), ""]

    on = default if default in args.extractions else args.extractions[0]
    types = sorted({t for lang in per_type for t in per_type[lang][1]})
    type_rows = [[t] + [f"{pct(per_type[l][0].get(t, {'f1': 0})['f1'])} → "
                        f"{pct(per_type[l][1].get(t, {'f1': 0})['f1'])} "
                        f"({per_type[l][1].get(t, {'support': 0})['support']})" for l in langs]
                 for t in types]
    kinds = list(next(iter(errors.values()))[1]) if errors else []
    err_rows = [[k] + [f"{errors[l][0][k]} → {errors[l][1][k]}" for l in langs] for k in kinds]
    abl_rows = [[name] + [f"{pct(ablation[l][k][1])} ({pct(ablation[l][k][1] - ablation[l][0][1]):+.2f})"
                          for l in langs] for k, (name, _) in enumerate(ablation[langs[0]])]
    th_rows = [[th] + [f"{pct(by_threshold[l][k]['precision'])} / "
                       f"{pct(by_threshold[l][k]['recall'])} / {pct(by_threshold[l][k]['f1'])}"
                       for l in langs] for k, th in enumerate(THRESHOLDS)]
    md = [f"## Projection: Europarl NER en→{', '.join(langs)} ({n_sent} sentences)", "",
          f"Machine: {machine()}. Timings are indicative.", "",
          "English gold NER projected onto each target side through e5-small links (no "
          "fine-tuning; the aligner's defaults for each extraction, which is what `xlie align "
          "--extraction X` gives), scored strictly at entity level against that side's gold "
          "(micro P / R / F1). `heuristic`: the seed pipeline's first-to-last hull, dropping "
          "spans whose hull is longer than 2× their linked words (default), and the best hull "
          f"limit of the sweep {', '.join(f'{r:g}' for r in HULL_SWEEP)} (1000 = no limit). "
          "`xlie`: the default method, same links. Δ = xlie − heuristic. Which language chose "
          "each default of the method, and what it scored on the other, is in the section "
          "project-crosslingual.", ""] + md_lang + [
          f"Per type F1 on the {on} links, heuristic → xlie (gold entities):", "",
          table(["type"] + langs, type_rows), "",
          f"Where the strict score is lost on the {on} links (spans, heuristic → xlie):", "",
          table([""] + langs, err_rows), "",
          f"Ablation on the {on} links (xlie's F1 with one part switched off, Δ to all parts):",
          "", table(["variant"] + langs, abl_rows), "",
          f"Spans xlie dropped on the {on} links: "
          + "; ".join(f"{l}: {drops[l]}" for l in langs) + ".", "",
          f"Filtering silver spans by their confidence (`--threshold`, {on} links, P / R / F1):",
          "", table(["threshold"] + langs, th_rows), "",
          "What limits it (see the error counts): a span with the right words but another "
          "type is a disagreement between the two golds, not a projection error (German and "
          "Italian adjectives such as *europäischen* / *europei* are MISC where the English "
          "*Europe* is LOC). Wrong extents mix gold disagreements (*Parliament* → *Europäischen "
          "Parlaments*; *Structural and Cohesion Funds* annotated as two English spans), free "
          "translation (*America* → *Vereinigten Staaten* / *Stati Uniti*) and links the "
          "aligner misses (*Committee* ↔ *Ausschuss*). Head-initial phrases (Italian "
          "*commissione per i problemi economici e monetari*, *politica della concorrenza*) "
          "were cut at internal function words linked to English articles and prepositions "
          "outside the span; such links now count half (`function_link_weight`), the word a "
          "content word of the span is linked to is never trimmed (`keep_linked`), and a span "
          "grows over an unlinked neighbour that forms a fixed pair with its edge word in the "
          "target corpus (`grow_pairs`, EU → *Unione europea*). Published figures on this "
          "corpus (background.md, issue 22): awesome-align-based projection ≈ 87 F1 (de), "
          "a tuned heuristic over mBERT links 91.6 (de) and 87.3 (it), an ILP projection with "
          "NMT scoring 87.9 (it), T-Projection ≈ 91 (de)."]
    publish("project-europarl", "\n".join(md), not args.no_write)


if __name__ == "__main__":
    main()
