"""Claim: most of the AER left on en-cs is in gold links that are not one-to-one (an English
function word linked to the Czech word that carries its meaning), which no tool here extracts
well, and which fine-tuning on 1,250 pairs barely moves.

Each tool aligns the same pairs; `xlie.aligners.breakdown` splits the recall by the shape of
each sure gold link and names the most-missed words. Tools: xlie (e5-small defaults, and
itermax), awesome-align's own code (entmax15 at layer 6, its best on this set) and SimAlign's
(itermax at layer 7, its best), all on the same e5-small; plus any fine-tuned directories
given with ``--model DIR=LABEL``.

    python benchmarks/align_breakdown.py --pairs test --model /tmp/ft=fine-tuned
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from align_data import MODEL, aer, load_pairs  # noqa: E402
from results import machine, table, write_section  # noqa: E402

from xlie.aligners.breakdown import SHAPES, break_down  # noqa: E402


def choose_pairs(which: str):
    """``all``: the 2,501 pairs; ``test``: the 600 held-out pairs the fine-tuning benchmark
    scores (the first 600 of the second half)."""
    pairs, gold = load_pairs()
    if which == "test":
        half = len(pairs) // 2
        pairs, gold = pairs[half:half + 600], gold[half:half + 600]
    return pairs, gold


def xlie_links(model: str, pairs, **kw) -> list[set]:
    import xlie_harness
    from xlie.aligners import Aligner
    return xlie_harness.xlie_links(Aligner(model, **kw), pairs)


def awesome_links(pairs) -> list[set]:
    import reference_aligners as ref
    model, tok = ref.load_awesome(MODEL)
    return ref.awesome_align(model, tok, pairs, [6], extractions=("entmax15",))[("entmax15", 6)]


def simalign_links(pairs) -> list[set]:
    import reference_aligners as ref
    al = ref.load_simalign(MODEL, layer=7, methods="i")
    return ref.simalign_align(al, pairs, [7])[("itermax", 7)]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", choices=["all", "test"], default="all")
    ap.add_argument("--model", action="append", default=[], metavar="DIR=LABEL",
                    help="also score this model directory with xlie's defaults")
    ap.add_argument("--no-references", action="store_true", help="skip awesome-align and SimAlign")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--section", default=None, help="RESULTS.md section (default: "
                    "align_breakdown_PAIRS)")
    args = ap.parse_args(argv)

    pairs, gold = choose_pairs(args.pairs)
    runs = [("xlie, e5-small defaults (softmax, layer 7)", lambda: xlie_links("e5-small", pairs)),
            ("xlie, itermax", lambda: xlie_links("e5-small", pairs, extraction="itermax"))]
    if not args.no_references:
        runs += [("awesome-align, entmax15, layer 6", lambda: awesome_links(pairs)),
                 ("SimAlign, itermax, layer 7", lambda: simalign_links(pairs))]
    for spec in args.model:
        directory, _, label = spec.partition("=")
        runs.append((f"xlie, {label or directory}", lambda d=directory: xlie_links(d, pairs)))

    rows, missed = [], {}
    for label, run in runs:
        t0 = time.perf_counter()
        links = run()
        b = break_down(gold, links, pairs)
        scores = aer(links, gold)
        rows.append([label, scores["aer"], scores["p"], scores["r"]]
                    + [100 * b.recall(s) for s in SHAPES])
        missed[label] = b.missed_source.most_common(args.top)
        print(rows[-1], f"{time.perf_counter() - t0:.0f} s", flush=True)
    share = [100 * b.sure[s] / sum(b.sure.values()) for s in SHAPES]   # the gold's, same for all
    body = report(rows, share, missed, len(pairs), args)
    print(body)
    if not args.no_write:
        write_section(args.section or f"align_breakdown_{args.pairs}", body)


def report(rows, share, missed, n_pairs, args) -> str:
    header = ["tool", "AER", "P", "R"] + [f"R {s}" for s in SHAPES]
    first = rows[0][0]
    words = ", ".join(f"{w} {n}" for w, n in missed[first])
    last = rows[-1][0]
    words_last = ", ".join(f"{w} {n}" for w, n in missed[last])
    return "\n".join([
        f"Where the errors are, en-cs gold ({n_pairs} pairs, `--pairs {args.pairs}`): recall by "
        "the shape of each sure gold link (by how many sure links its two words have; source "
        "English, target Czech), from `xlie.aligners.breakdown` (what `xlie align eval "
        "--breakdown` prints). Machine: " + machine() + ".",
        "",
        table(header, rows),
        "",
        "Share of the sure gold links: " + ", ".join(f"{s} {x:.1f}%" for s, x in zip(SHAPES, share)) + ".",
        "",
        f"Most-missed English words, {first}: {words}.",
        "" if last == first else f"\nMost-missed English words, {last}: {words_last}.",
    ]).rstrip() + "\n"


if __name__ == "__main__":
    main()
