"""Long inputs in other scripts: join k consecutive PUD pairs (en-zh, en-de) into one long pair
and count how many of the original pair boundaries the sentence level finds again.

No word-alignment gold is needed: a joined pair's original boundaries are known, and a cut
``(a, c)`` the aligner makes (``Aligner.pieces``) is right when source word a and target
word c start the same original pair. Recall = boundaries found / boundaries; precision = cuts
at a boundary / all cuts (a cut inside one original pair on both sides is listed apart: it
is a sentence boundary within a pair, not a mistake, but it is not counted as right). The
en-cs AER rise (k = 50 minus k = 1 on 500 gold pairs) is measured beside them.

PUD has 1,000 pairs; the first 500 (``dev``) chose the settings, the last 500 (``test``)
score them.

    XLIE_SHARED=../shared .venv/bin/python benchmarks/align_boundaries.py              # ~15 min, 2 cores
    ... align_boundaries.py --langs zh --ks 10,50 --part dev --no-write --no-encs # quick look
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import machine, table, write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PUD = Path(os.environ.get("XLIE_SHARED", REPO.parent / "shared")) / "data" / "pud"
PARTS = {"dev": slice(0, 500), "test": slice(500, 1000), "all": slice(0, 1000)}


def load_pud(lang: str, part: str) -> list[tuple[list[str], list[str]]]:
    """English-``lang`` pairs of PUD (matched by sent_id), the ``part`` slice. ``lang`` may
    end in '-nostop': its side without the words that are only sentence-final punctuation
    (a text without stops, for cuts one side gives no evidence of)."""
    from xlie.aligners.boundaries import sentence_terminal
    from xlie.formats.conllu import read_conllu
    code, nostop = lang.removesuffix("-nostop"), lang.endswith("-nostop")
    en = list(read_conllu(PUD / "en.conllu", lang="en"))
    other = {s.id: s for s in read_conllu(PUD / f"{code}.conllu", lang=code)}
    pairs = [(e.tokens, other[e.id].tokens) for e in en if e.id in other]
    if nostop:
        pairs = [(s, [w for w in t if not sentence_terminal(w)] or t) for s, t in pairs]
    return pairs[PARTS[part]]


def join(pairs, k: int):
    """Runs of k pairs joined into one; each with its set of original boundaries and the
    word ranges of its pairs."""
    out = []
    for start in range(0, len(pairs), k):
        src, tgt, bounds, ranges = [], [], set(), []
        for s, t in pairs[start:start + k]:
            if src:
                bounds.add((len(src), len(tgt)))
            ranges.append(((len(src), len(src) + len(s)), (len(tgt), len(tgt) + len(t))))
            src, tgt = src + s, tgt + t
        out.append(((src, tgt), bounds, ranges))
    return out


def boundary_scores(joined, plans) -> dict:
    found = near = cuts = inside = total = 0
    for (_, bounds, ranges), plan in zip(joined, plans):
        total += len(bounds)
        made = [(a, c) for (a, _), (c, _) in (plan or [])[1:]]
        near += sum(any(a == s and abs(c - t) <= 2 for a, c in made) for s, t in bounds)
        for a, c in made:
            cuts += 1
            if (a, c) in bounds:
                found += 1
            elif any(s0 < a < s1 and t0 < c < t1 for (s0, s1), (t0, t1) in ranges):
                inside += 1
    return {"boundaries": total, "found": found, "cuts": cuts, "inside": inside,
            "recall": 100 * found / total if total else float("nan"),
            "recall_2": 100 * near / total if total else float("nan"),
            "precision": 100 * found / cuts if cuts else float("nan")}


def run_pud(al, lang: str, part: str, ks: list[int]) -> list[dict]:
    pairs = load_pud(lang, part)
    rows = []
    for k in ks:
        joined = join(pairs, k)
        t = time.perf_counter()
        plans = al.pieces([p for p, _, _ in joined])
        secs = time.perf_counter() - t
        row = {"pair": f"en-{lang}", "part": part, "k": k, "joined": len(joined),
               **boundary_scores(joined, plans), "seconds": secs}
        rows.append(row)
        print(row, flush=True)
    return rows


def run_encs(al, limit: int, ks: list[int]) -> dict:
    from align_data import aer, join_pairs, load_pairs
    base, gold = load_pairs(limit)
    out = {}
    for k in ks:
        pairs, g = join_pairs(base, gold, k)
        t = time.perf_counter()
        res = al.align_pairs(pairs)
        out[k] = {**aer([{(i, j) for i, j, _ in r.links} for r in res], g),
                  "seconds": time.perf_counter() - t}
        print("en-cs", k, out[k], flush=True)
    return out


def report(rows: list[dict], encs: dict | None, args) -> str:
    def pct(x):
        return "-" if x != x else f"{x:.1f}"     # nan: no boundary (k = 1) or no cut
    body = [[r["pair"], r["part"], r["k"], r["joined"], r["boundaries"], pct(r["recall"]),
             pct(r["recall_2"]), pct(r["precision"]), r["cuts"], r["inside"], f"{r['seconds']:.0f}"]
            for r in rows]
    verdicts = []
    for r in rows:
        if r["k"] in (10, 50) and not r["pair"].endswith("nostop"):
            verdicts.append(f"en-{r['pair'][3:]} {r['part']} k={r['k']}: recall {r['recall']:.1f}% "
                            f"({'met' if r['recall'] >= 95 else 'NOT met'})")
    text = (f"## Long inputs in other scripts: original pair boundaries found again (PUD en-zh, en-de)\n\n"
            f"`benchmarks/align_boundaries.py`: k consecutive PUD pairs (English with Chinese or "
            f"German, matched by `sent_id`) joined into one long pair; the cuts xlie's sentence level "
            f"makes (`Aligner.pieces`, e5-small, defaults) compared with the original pair "
            f"boundaries. Recall = boundaries found / boundaries; precision = cuts at a boundary / "
            f"cuts; `recall ±2` also counts a cut at the right source word and within two words "
            f"of the right target word; `inside` = cuts within one original pair on both sides (a "
            f"sentence end inside a pair: counted against precision, though harmless); "
            f"`en-zh-nostop` = the Chinese side without its sentence-final punctuation words "
            f"(`。`, `？`, ...: a text without stops, where every cut must come from the English "
            f"stops and the similarity); `s` = wall time of the "
            f"sentence level (encoding every sentence and the sentence alignment) for the row. "
            f"PUD pairs 1-500 (`dev`) chose the settings: the quote and stop rules of "
            f"`xlie/aligners/boundaries.py` from the boundaries missed on en-zh and en-de dev, "
            f"the cut costs and the similarity floor of `sentences.refine` (`CUT_COSTS`, "
            f"`FLOOR_QUANTILE`) on en-zh and en-zh-nostop dev; pairs 501-1000 (`test`) were not "
            f"looked at before this run and score them. The held-apart zh-en word-alignment gold "
            f"of issue 25 was not available to this work: its AER check is still to be run.\n\n"
            + table(["pair", "part", "k", "joined pairs", "boundaries", "recall %",
                     "recall ±2 %", "precision %", "cuts", "inside", "s"], body) + "\n\n"
            + "Target (>= 95% of boundaries at k = 10 and 50): " + "; ".join(verdicts) + ".\n"
            + "\nBefore this work (commit b802e1b, same script, dev): recall at k = 10 / 50 was "
              "93.8 / 94.1% on en-zh and 94.0 / 94.3% on en-de, nearly all misses a closing quote "
              "after a stop (`. ”`, `。 ”`) put into the next sentence, or a year after a stop "
              "(`。 1987年`, `. 1987`) not taken as a sentence start; a side without stops was not cut "
              "at all. The band of `refine` (24 words, as the aligner's) was checked on "
              "en-zh-nostop dev, k = 10: 8 and 48 words find 262 and 248 of the 450 boundaries "
              "exactly, 24 finds 321. Without stops, most misses are a cut one or two Chinese "
              "words off (`recall ±2`).\n")
    if encs:
        k1, k50 = encs.get(1), encs.get(50)
        lines = [[k, f"{v['aer']:.2f}", f"{v['p']:.1f}/{v['r']:.1f}", f"{v['seconds']:.0f}"]
                 for k, v in sorted(encs.items())]
        text += (f"\nen-cs AER beside them (`benchmarks/align_data.py` gold, first {args.encs_limit} "
                 f"pairs, joined k at a time, same aligner):\n\n"
                 + table(["k", "AER", "P/R", "s"], lines) + "\n")
        if k1 and k50:
            d = k50["aer"] - k1["aer"]
            text += (f"\nAER k=50 minus k=1: {d:+.2f} points -> target (within 1 point) "
                     f"{'met' if abs(d) <= 1 else 'NOT met'} (+0.9 before this work, the "
                     f"`align-long` section).\n")
    return text + f"\nMachine: {machine()}.\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--langs", default="zh,de")
    ap.add_argument("--parts", default="dev,test")
    ap.add_argument("--ks", default="1,5,10,50")
    ap.add_argument("--encs-limit", type=int, default=500)
    ap.add_argument("--no-encs", action="store_true", help="skip the en-cs AER rise")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--render", type=Path, default=None,
                    help="only write the section of an earlier --json dump")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    if args.render:
        dump = json.loads(args.render.read_text())
        encs = {int(k): v for k, v in dump["encs"].items()} if dump["encs"] else None
        text = report(dump["rows"], encs, args)
        print(text)
        if not args.no_write:
            write_section("align-boundaries", text)
        return
    from xlie.aligners import Aligner
    al = Aligner("e5-small")
    ks = [int(k) for k in args.ks.split(",")]
    rows = [r for part in args.parts.split(",") for lang in args.langs.split(",")
            for r in run_pud(al, lang, part, ks)]
    encs = None if args.no_encs else run_encs(al, args.encs_limit, [1, 50])
    text = report(rows, encs, args)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "encs": encs}, indent=1))
    if not args.no_write:
        write_section("align-boundaries", text)


if __name__ == "__main__":
    main()
