"""The biaffine parser on PUD (German, or Spanish through real MT): English gold only
(zero-shot) against English gold + target silver trees projected by `xlie project`
(defaults) from the same English sentences, and self-training rounds on confident arcs
beside an equal-steps control; mean of several seeds, UAS/LAS (CoNLL 2018) on held-out
target gold sentences.

Split (fixed, file order): the first ``--train`` English sentences train (gold trees; their
target sides get silver trees), the target text of the sentences after them up to
``--test-from`` is the unlabeled text of self-training (no tree read), and ``--test``
target gold sentences from ``--test-from`` on test. Rows:

1.  zero-shot: English gold only
2.  + silver trees from Apertium MT (``--mt apertium``: the English pool translated by
    Apertium, aligned, projected)
2h. + silver trees from the human translation (PUD's own target side)
3.  + self-training round(s): the parser of (2) (or of (2h) without ``--mt``) parses the
    unlabeled text (MT text with ``--mt``), its arcs with head probability >= ``--threshold``
    become pseudo-trees, and a new parser trains from the base encoder on gold + silver +
    pseudo-trees (``xlie selftrain run --task dep``)
3c. control: gold + the same silver, no pseudo-labels, as many optimizer steps as (3)

Small on purpose (CPU): e5-small frozen, its states computed once and shared by every run,
so only the biaffine head trains (``--freeze-layers K`` trains the encoder above layer K
instead, far slower on a CPU).

    XLIE_SHARED=/work/shared .venv/bin/python benchmarks/parser_pud.py --cache /tmp/links
    ... parser_pud.py --lang es --mt apertium --cache /tmp/links     # the chain on real MT
    ... parser_pud.py --train 16 --test 8 --epochs 1 --seeds 0 --no-write   # smoke run
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import links_for  # noqa: E402
from project_pud import load  # noqa: E402
from results import machine, mean_spread, table, write_section  # noqa: E402


def silver_trees(en, tgt_tokens, links, lang: str):
    """Project the English trees through the links; the result and the heuristic's report
    on the same links (how many of its outputs are not trees)."""
    from xlie.corpus import Sentence
    from xlie.projection.api import project
    records = [Sentence.model_validate({
        **e.to_json(), "alignment": l,
        "translation": {"lang": lang, "text": " ".join(t), "tokens": t}})
        for e, t, l in zip(en, tgt_tokens, links)]
    return project(records), project(records, method="heuristic").report


def apertium(en) -> list[dict]:
    """Apertium's translation records (tokens, unknown marks) of the English sentences."""
    from apertium_pud import translate_all
    out, secs, _ = translate_all([(e, None) for e in en])
    print(f"apertium: {len(en)} sentences in {secs:.1f} s", flush=True)
    return [r["translation"] for r in out]


def cost(proj, heur, en, links, unknown=None) -> dict:
    """What projection lost on one side: coverage, arcs dropped, unlinked English words."""
    src = sum(len(e.tokens) for e in en)
    linked = sum(len({i for i, _, *_ in l}) for l in links)
    out = {"coverage": proj.report.tree_coverage, "dropped": dict(proj.report.arcs_dropped),
           "words": proj.report.trees["words"], "src_unlinked": (src - linked, src),
           "heuristic_not_trees": (heur.trees["not_trees"], heur.trees["sentences"])}
    if unknown is not None:  # Apertium's unknown-word marks: how many of those words got an arc
        marks = [(u, h) for us, s in zip(unknown, proj.sentences)
                 for u, h in zip(us, s.heads or []) if u]
        out["unknown"] = (sum(h is not None for _, h in marks), len(marks))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lang", default="de")
    ap.add_argument("--mt", choices=["apertium"], help="add silver trees from this MT")
    ap.add_argument("--model", default="e5-small")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test-from", type=int, default=500)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2, help="self-training rounds (0: none)")
    ap.add_argument("--threshold", type=float, default=0.9,
                    help="pseudo-arcs: head probability at least this (the CLI's default)")
    ap.add_argument("--freeze-layers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", type=Path, help="read/write the links here")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    assert args.train <= args.test_from, "train and test overlap"

    import torch
    torch.set_num_threads(args.threads)
    from xlie.corpus import Sentence
    from xlie.scoring import pair_sentences, score_dep
    from xlie.selftrain.parser import Parser
    from xlie.selftrain.parser_train import confident_arcs, train_parser
    lang = args.lang
    pairs = load(lang, None)
    links, _ = links_for([(e.tokens, d.tokens) for e, d in pairs], None, f"pud-{lang}",
                         args.cache)
    train, rest = range(args.train), range(args.train, args.test_from)
    test_gold = [pairs[k][1] for k in range(args.test_from, args.test_from + args.test)]
    en = [pairs[k][0] for k in train]
    proj_h, heur_h = silver_trees(en, [pairs[k][1].tokens for k in train],
                                  [links[k] for k in train], lang)
    costs = {"human": cost(proj_h, heur_h, en, [links[k] for k in train])}
    conditions = [("(1) zero-shot: English gold only", [])]
    if args.mt:
        mt = apertium([pairs[k][0] for k in range(args.test_from)])
        mt_links, _ = links_for([(pairs[k][0].tokens, mt[k]["tokens"]) for k in train],
                                None, f"pud-{lang}-{args.mt}", args.cache)
        proj_mt, heur_mt = silver_trees(en, [mt[k]["tokens"] for k in train], mt_links, lang)
        costs["mt"] = cost(proj_mt, heur_mt, en, mt_links, [mt[k]["unknown"] for k in train])
        conditions.append((f"(2) + silver trees from {args.mt} MT", proj_mt.sentences))
        base, unlabeled = proj_mt.sentences, [
            Sentence(id=pairs[k][1].id, lang=lang, tokens=mt[k]["tokens"]) for k in rest]
    else:
        base, unlabeled = proj_h.sentences, [
            pairs[k][1].model_copy(update={"heads": None, "deprels": None}) for k in rest]
    conditions.append(("(2h) + silver trees from the human translation", proj_h.sentences))
    st_name = conditions[1][0] if args.mt else conditions[-1][0]
    frozen = args.freeze_layers is None
    # no held-out dev slice: every run trains its whole step budget and keeps the last step,
    # so self-training and its control compare equal steps
    kw = dict(batch_size=16, lr=1e-4, head_lr=2e-3, freeze_layers=args.freeze_layers or 0,
              freeze_encoder=frozen, feature_cache={}, dev_fraction=0.0)

    rows: dict[str, list[dict]] = {}
    secs: dict[str, list[float]] = {}
    pseudo_info: list[dict] = []
    st_secs: list[float] = []
    ctl_steps: dict[int, list[int]] = {}

    def score(parser) -> dict:
        gold = [s for s in test_gold if parser.fits(s)]
        return score_dep(pair_sentences(gold, parser.predict(gold)))

    def add(name: str, s: dict, t: float | None) -> None:
        rows.setdefault(name, []).append(s)
        if t is not None:
            secs.setdefault(name, []).append(time.time() - t)
        print(seed, name, f"UAS {100 * s['uas']:.1f} LAS {100 * s['las']:.1f}", flush=True)

    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            for i, (name, silver) in enumerate(conditions):
                if name == st_name and args.rounds:
                    continue  # round 0 of self-training below is this row
                t = time.time()
                add(name, score(train_parser(en, Path(tmp) / f"m{i}", args.model, silver=silver,
                                             epochs=args.epochs, seed=seed, **kw)), t)
            if not args.rounds:
                continue
            t = time.time()
            summary = self_train_files(en, unlabeled, Path(tmp) / "st", base, test_gold,
                                       args, seed, kw)
            st_secs.append(time.time() - t)
            n0 = len(en) + len(base)
            for r in summary["rounds"]:
                if r["round"] == 0:
                    ctl_steps.setdefault(0, []).append(
                        args.epochs * math.ceil(n0 / kw["batch_size"]))
                add(st_name if r["round"] == 0 else
                    f"(3) + self-training, round {r['round']}", r["test"], None)
                if r["round"] == 0:
                    continue
                t = time.time()
                # the control: the same data but the pseudo-trees, as many optimizer steps
                steps = args.epochs * math.ceil((n0 + r["pseudo_sentences"]) / kw["batch_size"])
                ctl_steps.setdefault(r["round"], []).append(steps)
                add(f"(3c) control for round {r['round']}: as many steps, no pseudo-labels",
                    score(train_parser(en, Path(tmp) / f"c{r['round']}", args.model, silver=base,
                                       epochs=math.ceil(steps / math.ceil(n0 / 16)) + 1,
                                       max_steps=steps, seed=seed, **kw)), t)
            # how good the first round's pseudo-arcs are (human text only: MT has no gold)
            info = {"round 1 pseudo-sentences": summary["rounds"][1]["pseudo_sentences"],
                    "pseudo_arcs": summary["rounds"][1]["selection"]["kept_units"],
                    "unlabeled_words": sum(len(s.tokens) for s in unlabeled)}
            if not args.mt:
                p0 = Parser.load(Path(tmp) / "st" / "round-0" / "model")
                if frozen or kw["freeze_layers"]:   # its frozen layers' states, as trained
                    p0.cache_lower(None if frozen else kw["freeze_layers"], kw["feature_cache"])
                gold = [pairs[k][1] for k in rest if p0.fits(pairs[k][1])]
                pred = p0.predict(gold)
                info["all"] = score_dep(pair_sentences(gold, pred))
                info["accuracy"] = score_dep(pair_sentences(
                    gold, confident_arcs(pred, args.threshold)))
            pseudo_info.append(info)
    report(args, rows, secs, costs, pseudo_info, st_name, len(test_gold), st_secs, ctl_steps)


def self_train_files(en, unlabeled, run_dir: Path, silver, test_gold, args, seed: int,
                     kw: dict) -> dict:
    """Self-training rounds through the one rounds driver of every task (``rounds.self_train``,
    files in, as `xlie selftrain run`): pseudo-arcs kept at ``--threshold``."""
    from xlie.formats.jsonl import write_jsonl
    from xlie.selftrain.config import SelfTrainConfig
    from xlie.selftrain.rounds import self_train
    run_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, sents in (("en", en), ("unlabeled", unlabeled), ("silver", silver),
                        ("test", test_gold)):
        files[name] = run_dir / f"{name}.jsonl"
        write_jsonl(files[name], sents)
    settings = {k: v for k, v in kw.items() if k != "feature_cache"}
    cfg = SelfTrainConfig.model_validate({
        "train": {"task": "dep", "model": args.model, "epochs": args.epochs, "seed": seed,
                  **settings},
        "rounds": args.rounds, "select": {"mode": "threshold", "threshold": args.threshold}})
    return self_train([files["en"]], [files["unlabeled"]], run_dir, cfg,
                      silver=[files["silver"]], test=files["test"])


def report(args, rows, secs, costs, pseudo_info, st_name, n_test, st_secs, ctl_steps) -> None:
    lang = args.lang
    las = {k: [100 * s["las"] for s in v] for k, v in rows.items()}
    uas = {k: [100 * s["uas"] for s in v] for k, v in rows.items()}
    mean = {k: statistics.mean(v) for k, v in las.items()}
    rank = {"(1)": 0, "(2)": 1, "(2h)": 2, "(3)": 3, "(3c)": 3}
    keys = sorted(rows, key=lambda k: (rank[k.split()[0]], int(k.split("round ")[-1].split(":")[0])
                                       if "round " in k else 0, k.startswith("(3c)")))
    zs = keys[0]
    table_rows = [[k, mean_spread(uas[k]), mean_spread(las[k]),
                   ", ".join(f"{x:.1f}" for x in las[k]),
                   f"{statistics.mean(secs[k]):.0f}" if k in secs else "–"]
                  for k in keys]
    lines = [f"- {k.split(':')[0]} against zero-shot: "
             f"{mean[k] - mean[zs]:+.1f} LAS in the mean, "
             f"{'higher' if all(a > b for a, b in zip(las[k], las[zs])) else 'NOT higher'} "
             f"in every seed (target: +2)." for k in keys if k.startswith("(2")]
    st = [k for k in keys if k.startswith("(3) ")]
    ctl = [k for k in keys if k.startswith("(3c)")]
    for s, c in zip(st, ctl):
        gain = mean[s] - mean[c]
        lines.append(f"- {s} against its control: {gain:+.1f} LAS "
                     f"({'met' if gain >= 1 else 'NOT met'}: target +1); against "
                     f"{st_name.split(':')[0].split(' from')[0]}: {mean[s] - mean[st_name]:+.1f}.")
    if pseudo_info:
        p = pseudo_info
        acc = [x["accuracy"] for x in p if "accuracy" in x]
        lines.append(
            f"- Pseudo-trees of round 1: {statistics.mean(x['pseudo_arcs'] for x in p):.0f} arcs "
            f"(of {p[0]['unlabeled_words']} unlabeled words) in "
            f"{statistics.mean(x['round 1 pseudo-sentences'] for x in p):.0f} sentences, mean "
            f"over seeds" + (f"; their UAS/LAS against the gold of that text "
                             f"{100 * statistics.mean(a['uas'] for a in acc):.1f}/"
                             f"{100 * statistics.mean(a['las'] for a in acc):.1f}, where the "
                             f"same parser's whole trees score "
                             f"{100 * statistics.mean(x['all']['uas'] for x in p):.1f}/"
                             f"{100 * statistics.mean(x['all']['las'] for x in p):.1f}"
                             if acc else "") + f". A whole self-training run (round 0 and "
            f"{args.rounds} round(s), with the test scores) took "
            f"{statistics.mean(st_secs):.0f} s in the mean; optimizer steps per seed (the "
            f"controls have the same), " + "; ".join(f"round {r}: {', '.join(map(str, v))}" for r, v in sorted(ctl_steps.items()))
            + ".")
    frozen = args.freeze_layers is None
    src = "Apertium's Spanish (MT) beside PUD's human translation" if args.mt else \
        "PUD's human translation"
    text = [
        f"## Parser: PUD {lang}{' through ' + args.mt + ' MT' if args.mt else ''}, zero-shot, "
        "+ silver trees, self-training", "",
        f"Machine: {machine()}.", "",
        f"`benchmarks/parser_pud.py{' --lang ' + lang if lang != 'de' else ''}"
        f"{' --mt ' + args.mt if args.mt else ''}`. The biaffine parser "
        f"(`xlie/selftrain/parser.py`) on {args.model} "
        + ("frozen (the head alone trains, on last-layer states computed once)" if frozen else
           f"with its lowest {args.freeze_layers} layers and embeddings frozen (lr 1e-4)")
        + f", {args.epochs} epochs, batch 16, head lr 2e-3, on the taggers' training loop "
        f"(linear warm-up and decay; no dev slice held out, `dev_fraction=0`: every run trains "
        f"its whole budget and the last step is kept). Split (fixed, file order): the "
        f"first {args.train} English PUD sentences train (gold trees); silver rows add their "
        f"{lang} sides ({src}) with trees projected by `xlie project` (defaults; links of "
        f"`xlie align` defaults, e5-small; words without an arc are left out of the loss). "
        f"Self-training (`self_train_parser`, what `xlie selftrain run --task dep` runs): the "
        f"parser of {st_name.split(':')[0].split(' from')[0]} parses the {lang} text of "
        f"sentences {args.train + 1}-{args.test_from}"
        f"{' as Apertium translated it' if args.mt else ''} (no tree read), keeps the arcs "
        f"whose head probability is >= {args.threshold} (the CLI default, not tuned), and a "
        f"new parser trains from the base encoder on gold + silver + those pseudo-trees, "
        f"{args.rounds} round(s); each control trains on gold + silver alone for as many "
        f"optimizer steps as its round (more epochs, so it is not short of updates). Test: "
        f"{n_test} {lang} gold sentences from the {args.test_from + 1}st on (none trained on, "
        f"none in the unlabeled text), UAS/LAS as CoNLL 2018. Seeds {args.seeds}, mean ± "
        f"sample std. The settings were sized for CPU time, set before any run and not "
        f"tuned on a score (the projection's defaults were chosen on German).", "",
        table(["condition", "UAS", "LAS", "LAS per seed", "seconds (mean)"], table_rows), "",
        *lines]
    if args.mt:
        h, m = costs["human"], costs["mt"]

        def pct(a, b):
            return f"{a} of {b} ({100 * a / max(b, 1):.1f}%)"
        reasons = sorted(set(h["dropped"]) | set(m["dropped"]))
        text += ["", f"What MT costs tree projection (the {args.train} training sentences, "
                 "the same projection defaults):", "",
                 table(["", "Apertium MT", "human"], [
                     ["target words that got an arc", pct(round(m["coverage"] * m["words"]),
                                                          m["words"]),
                      pct(round(h["coverage"] * h["words"]), h["words"])],
                     *[[f"arcs dropped: {r}", m["dropped"].get(r, 0), h["dropped"].get(r, 0)]
                       for r in reasons],
                     ["English words without a link", pct(*m["src_unlinked"]),
                      pct(*h["src_unlinked"])],
                     ["heuristic on the same links: outputs not trees",
                      pct(*m["heuristic_not_trees"]), pct(*h["heuristic_not_trees"])],
                     ["MT words Apertium marked unknown that got an arc", pct(*m["unknown"]),
                      "–"]])]
    text = "\n".join(text)
    print(text, flush=True)
    if not args.no_write:
        write_section("parser-pud" + (f"-{lang}" if lang != "de" else "")
                      + (f"-{args.mt}" if args.mt else ""), text)


if __name__ == "__main__":
    main()
