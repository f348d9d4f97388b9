"""AER of xlie's aligner against awesome-align's and SimAlign's own code, same encoder.

All 2,501 en-cs gold pairs (every gold link is sure, so AER = 1 - F1), e5-small, layers 3-8.
Each xlie extraction method runs with its shipped defaults through the public ``Aligner``;
awesome-align runs its ``get_aligned_word`` (softmax, threshold 1e-3, and entmax15); SimAlign
its ``get_word_aligns`` (bpe, argmax/itermax/match). How the references are driven, and what
had to be adapted, is in ``reference_aligners.py``.

    XLIE_HOME=/tmp/xh .venv/bin/python benchmarks/align_quality.py            # full, ~1 h on 2 cores
    ... align_quality.py --limit 300 --layers 5 --no-write                    # quick look
    ... align_quality.py --variant "softmax;threshold=0.01" --variant "argmax;granularity=subword"
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from align_data import MODEL, aer, load_pairs  # noqa: E402

XLIE_METHODS = ["softmax", "entmax", "ot", "argmax", "itermax", "match"]


def parse_layers(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def parse_variant(text: str) -> tuple[str, dict]:
    """``method;key=value;...`` -> (label, Aligner keyword arguments)."""
    method, *opts = text.split(";")
    kw: dict = {"extraction": method}
    for o in opts:
        k, v = o.split("=", 1)
        try:
            kw[k] = json.loads(v)
        except json.JSONDecodeError:
            kw[k] = v
    return text, kw


def run_xlie(pairs, gold, layers, variants, results) -> None:
    import xlie_harness
    sweep = xlie_harness.Sweep("e5-small")
    for layer in layers:
        for k, (label, kw) in enumerate(variants):
            al = sweep.aligner(layer, **kw)
            t = time.perf_counter()
            links = xlie_harness.xlie_links(al, pairs)
            secs = time.perf_counter() - t
            # the first setting of a layer encodes its sentences; the others reuse them
            results.append({"tool": "xlie", "method": label, "layer": layer, **aer(links, gold),
                            "seconds": secs, "encodes": k == 0})
            print(results[-1], flush=True)


def run_awesome(pairs, gold, layers, results) -> None:
    import reference_aligners as ref
    model, tok = ref.load_awesome(MODEL, top_layer=max(layers))
    t = time.perf_counter()
    out = ref.awesome_align(model, tok, pairs, layers, extractions=("softmax", "entmax15"))
    secs = time.perf_counter() - t
    for (method, layer), links in out.items():
        results.append({"tool": "awesome-align", "method": method, "layer": layer, **aer(links, gold),
                        "seconds": secs})
        print(results[-1], flush=True)


def run_simalign(pairs, gold, layers, results, token_type: str = "bpe", match_layers=None) -> None:
    import reference_aligners as ref
    methods = "ai" if match_layers == [] else "mai"
    al = ref.load_simalign(MODEL, layer=layers[0], methods=methods, token_type=token_type, cached=True,
                           top_layer=max(layers))
    t = time.perf_counter()
    out = ref.simalign_align(al, pairs, layers, match_layers)
    secs = time.perf_counter() - t
    tool = "SimAlign" if token_type == "bpe" else f"SimAlign ({token_type})"
    for (method, layer), links in out.items():
        results.append({"tool": tool, "method": method, "layer": layer, **aer(links, gold), "seconds": secs})
        print(results[-1], flush=True)


def report(results, layers, n_pairs) -> str:
    from results import machine, table
    rows, detail = [], []
    keys = list(dict.fromkeys((r["tool"], r["method"]) for r in results))
    for tool, method in keys:
        by_layer = {r["layer"]: r for r in results if (r["tool"], r["method"]) == (tool, method)}
        best = min(by_layer.values(), key=lambda r: r["aer"])
        rows.append([tool, method] + [f"{by_layer[l]['aer']:.1f}" if l in by_layer else "-" for l in layers]
                    + [f"{best['aer']:.1f} (L{best['layer']})"])
        detail.append([tool, method, best["layer"], f"{best['p']:.1f}", f"{best['r']:.1f}", f"{best['aer']:.1f}"])
    refs = [r for r in results if not r["tool"].startswith("xlie")]
    best_ref = min(refs, key=lambda r: r["aer"], default=None)
    ref_best = best_ref["aer"] if best_ref else float("nan")
    xlie_best = min((r for r in results if r["tool"] == "xlie"), key=lambda r: r["aer"], default=None)
    verdict = ""
    if xlie_best and best_ref:
        verdict = (f"\nBest xlie: {xlie_best['method']} layer {xlie_best['layer']}, AER {xlie_best['aer']:.1f}; "
                   f"best reference: {best_ref['tool']} {best_ref['method']} layer {best_ref['layer']}, AER {ref_best:.1f} "
                   f"-> target (xlie <= best reference) "
                   f"{'met' if xlie_best['aer'] <= ref_best + 1e-9 else 'NOT met'}.\n")
    if any(r["tool"] == "SimAlign" for r in results) and not any(
            r["tool"] == "SimAlign" and r["method"] == "match" for r in results):
        verdict += ("\nSimAlign `match` (networkx max-weight matching) was not swept: it costs ~0.35 s "
                    "of CPU per pair and layer here; at layer 5 it was the weakest SimAlign method "
                    "(AER 38.5 vs itermax 36.8 on the first 300 pairs; 33.9 on all pairs in an earlier run).\n")
    return (f"## Alignment quality (AER, %): xlie vs awesome-align and SimAlign, same encoder\n\n"
            f"`benchmarks/align_quality.py`: {n_pairs} en-cs gold pairs, e5-small, no fine-tuning; every "
            f"gold link sure, so AER = 1 - F1 (lower is better). References run their own code "
            f"(see `benchmarks/reference_aligners.py`); xlie methods with their shipped defaults.\n\n"
            + table(["tool", "method"] + [f"L{l}" for l in layers] + ["best"], rows)
            + "\n\nPrecision / recall at each row's best layer:\n\n"
            + table(["tool", "method", "layer", "P", "R", "AER"], detail)
            + "\n" + verdict + f"\nMachine: {machine()}.\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N pairs")
    ap.add_argument("--layers", default="3-8", help="e.g. 3-8 or 4,5")
    ap.add_argument("--methods", default=",".join(XLIE_METHODS), help="xlie extraction methods ('' for none)")
    ap.add_argument("--variant", action="append", default=[], help="extra xlie run: 'method;key=value;...'")
    ap.add_argument("--tools", default="xlie,awesome,simalign", help="subset of xlie,awesome,simalign,simalign-word")
    ap.add_argument("--simalign-match-layers", default="5",
                    help="layers at which SimAlign's networkx matching runs ('all', '' for none; ~0.35 s a pair each)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="also dump the raw figures here")
    ap.add_argument("--merge", type=Path, nargs="*", default=[],
                    help="report the figures of earlier --json dumps too (e.g. tools run in parallel)")
    ap.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    pairs, gold = load_pairs(args.limit)
    layers = parse_layers(args.layers)
    tools = args.tools.split(",") if args.tools else []
    variants = [(m, {"extraction": m}) for m in args.methods.split(",") if m] + [parse_variant(v) for v in args.variant]
    results: list[dict] = []
    if "xlie" in tools and variants:
        run_xlie(pairs, gold, layers, variants, results)
    if "awesome" in tools:
        run_awesome(pairs, gold, layers, results)
    match_layers = (None if args.simalign_match_layers == "all" else
                    parse_layers(args.simalign_match_layers) if args.simalign_match_layers else [])
    if "simalign" in tools:
        run_simalign(pairs, gold, layers, results, match_layers=match_layers)
    if "simalign-word" in tools:
        run_simalign(pairs, gold, layers, results, token_type="word", match_layers=match_layers)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    for path in args.merge:
        results += json.loads(path.read_text())
    text = report(results, sorted({r["layer"] for r in results}), len(pairs))
    print(text)
    if not args.no_write:
        from results import write_section
        write_section("align-quality", text)


if __name__ == "__main__":
    main()
