"""Europarl en->de NER projection: the seed pipeline's heuristic vs xlie's method, on the same
alignments, for each extraction method of xlie's aligner (e5-small, no fine-tuning).

The English gold NER of the 799 parallel sentences (../shared/data/europarl-ner) is projected
onto the German side through links from `xlie.aligners.Aligner` and scored against the German
gold: entity-level, strict (seqeval style), micro-averaged. The heuristic runs with its
default hull limit and, to be fair to it, with the best limit of a small sweep; an ablation
switches off xlie's parts one at a time on the softmax links.

    XLIE_HOME=/tmp/xh .venv/bin/python benchmarks/project_europarl.py          # ~6-10 min, 2 cores
    ... project_europarl.py --extractions softmax --limit 200 --no-write       # quick look
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import machine, table, write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "europarl-ner"
EXTRACTIONS = ["softmax", "entmax", "ot", "argmax", "itermax", "match"]
HULL_SWEEP = [1.5, 2.0, 3.0, 1000.0]
THRESHOLDS = [0.0, 0.3, 0.5, 0.7, 0.9]
ABLATIONS = {"no trimming": {"trim": False}, "no growing": {"grow": False},
             "no string match": {"string_match": False},
             "best span only (all three off)": {"trim": False, "grow": False, "string_match": False}}


def load(limit: int | None):
    from xlie.formats.conll import read_conll
    en = list(read_conll(DATA / "en.conll02", scheme="iob2", lang="en"))
    de = list(read_conll(DATA / "de.conll02", scheme="iob2", lang="de"))
    assert len(en) == len(de), "the two sides must have the same sentences"
    return (en[:limit], de[:limit]) if limit else (en, de)


def with_links(en, de, links):
    from xlie.corpus import Sentence
    return [Sentence.model_validate({**e.to_json(), "alignment": l,
                                     "translation": {"lang": "de", "text": " ".join(d.tokens),
                                                     "tokens": d.tokens}})
            for e, d, l in zip(en, de, links)]


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extractions", nargs="+", default=EXTRACTIONS)
    ap.add_argument("--limit", type=int, help="only the first N sentences")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from xlie.aligners import Aligner
    en, de = load(args.limit)
    pairs = [(e.tokens, d.tokens) for e, d in zip(en, de)]
    rows, per_type, micro, errors, ablation, notes = [], {}, {}, {}, [], []
    by_threshold: list[list] = []
    for ext in args.extractions:
        t = time.perf_counter()
        aligner = Aligner("e5-small", extraction=ext)
        links = [a.links for a in aligner.align_pairs(pairs)]
        align_secs = time.perf_counter() - t
        records = with_links(en, de, links)
        heur = {r: run(records, de, "heuristic", max_hull_ratio=r) for r in HULL_SWEEP}
        best_r = max(heur, key=lambda r: heur[r]["scores"]["micro"]["f1"])
        ours = run(records, de, "xlie")
        h, hb, x = heur[2.0]["scores"]["micro"], heur[best_r]["scores"]["micro"], ours["scores"]["micro"]
        rep = ours["report"]
        rows.append([ext, f"{pct(h['precision'])} / {pct(h['recall'])} / **{pct(h['f1'])}**",
                     f"{pct(hb['f1'])} (limit {best_r:g})",
                     f"{pct(x['precision'])} / {pct(x['recall'])} / **{pct(x['f1'])}**",
                     f"+{pct(x['f1'] - h['f1']):.2f} / +{pct(x['f1'] - hb['f1']):.2f}",
                     f"{rep.projected}/{rep.spans_in}", f"{align_secs:.0f}",
                     f"{len(records) / ours['secs']:.0f}"])
        per_type[ext] = (heur[2.0]["scores"]["per_type"], ours["scores"]["per_type"])
        micro[ext] = x["f1"]
        errors[ext] = (heur[2.0]["errors"], ours["errors"])
        print(ext, "heuristic", pct(h["f1"]), "best", pct(hb["f1"]), best_r, "xlie", pct(x["f1"]),
              dict(rep.dropped), flush=True)
        if ext == "softmax" or (ext == args.extractions[0] and "softmax" not in args.extractions):
            notes.append(ext)
            for name, opts in ABLATIONS.items():
                a = run(records, de, "xlie", **opts)["scores"]["micro"]
                ablation.append([name, pct(a["f1"]), f"{pct(a['f1'] - x['f1']):+.2f}"])
            ablation.insert(0, ["xlie (all parts)", pct(x["f1"]), "0.00"])
            for th in THRESHOLDS:
                a = run(records, de, "xlie", threshold=th)["scores"]["micro"]
                by_threshold.append([th, pct(a["precision"]), pct(a["recall"]), pct(a["f1"]),
                                     a["predicted"]])
            drops = ", ".join(f"{k} {v}" for k, v in rep.dropped.most_common()) or "none"
            notes.append(drops)

    best_ext = max(micro, key=micro.get)
    types = sorted(per_type[best_ext][1])
    type_rows = [[t, pct(per_type[best_ext][0].get(t, {"f1": 0})["f1"]),
                  pct(per_type[best_ext][1][t]["f1"]), per_type[best_ext][1][t]["support"]]
                 for t in types]
    md = [f"## Projection: Europarl NER en→de ({len(en)} sentences)", "",
          f"Machine: {machine()}. Timings are indicative.", "",
          "English gold NER projected onto German through e5-small links (no fine-tuning, the "
          "aligner's defaults for each extraction), scored strictly at entity level against "
          "the German gold (micro P / R / F1). `heuristic`: the seed pipeline's first-to-last "
          "hull, dropping spans whose hull is longer than 2× their linked words (default), and "
          "the best hull limit of the sweep "
          f"{', '.join(f'{r:g}' for r in HULL_SWEEP)} (1000 = no limit). `xlie`: the default "
          "method, same links. Δ = xlie − heuristic (default / best limit).", "",
          table(["extraction", "heuristic P / R / F1", "heuristic, best limit F1",
                 "xlie P / R / F1", "Δ F1", "xlie spans kept", "align s", "project sent/s"], rows),
          "", f"Per type F1 on the {best_ext} links (heuristic default → xlie):", "",
          table(["type", "heuristic", "xlie", "gold entities"], type_rows), "",
          f"Where the strict score is lost, on the {best_ext} links (counts of spans):", "",
          table(["", "heuristic", "xlie"], [[k, errors[best_ext][0][k], errors[best_ext][1][k]]
                                           for k in errors[best_ext][1]]), ""]
    if ablation:
        md += [f"Ablation on the {notes[0]} links (xlie's F1 with one part switched off):", "",
               table(["variant", "F1", "Δ"], ablation), "",
               f"Spans xlie dropped on the {notes[0]} links: {notes[1]}.", "",
               f"Filtering silver spans by their confidence (`--threshold`, {notes[0]} links):",
               "", table(["threshold", "P", "R", "F1", "spans kept"], by_threshold), ""]
    md += ["What limits it (see the error counts above): a span with the right words but "
           "another type is a disagreement between the two golds, not a projection error "
           "(German adjectives such as *europäischen* are MISC where the English *Europe* is "
           "LOC; *EU-Bürger* MISC vs *EU* LOC). Wrong extents mix gold disagreements "
           "(*Europäischen Parlaments* vs *Parliament*), free translation (*America* → "
           "*Vereinigten Staaten*) and links the aligner misses (*Committee* ↔ *Ausschuss*, "
           "*UK* ↔ *Vereinigte Königreich* with one word linked); growing over unlinked edge "
           "words recovers some of the last kind. Missed gold entities are mostly source "
           "words with no link at all. The defaults were chosen on this same set (no other "
           "en–de NER gold is here), so the figures may be slightly optimistic; the ablation "
           "shows how much each part adds. Published figures on this corpus: "
           "awesome-align-based projection ≈ 87 F1, T-Projection ≈ 91 (background.md)."]
    text = "\n".join(md)
    print(text)
    if not args.no_write:
        write_section("project-europarl", text)


if __name__ == "__main__":
    main()
