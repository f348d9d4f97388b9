"""PUD UPOS projection from English onto every other language of the set (German, Spanish,
Chinese here): accuracy on the target words that get a tag, and coverage, heuristic beside
xlie, on the same links.

The English UPOS of the 1,000 Parallel UD sentences (../shared/data/pud) are projected onto
each target side through e5-small links (`xlie align` defaults per extraction) and scored
against that side's gold UPOS. `heuristic` is the seed pipeline's rule (each linked target
word takes the tag of its most probable link, unlinked words get none); `xlie` votes over all
links by probability and tags unlinked punctuation and numbers by rule.

    XLIE_SHARED=/work/shared .venv/bin/python benchmarks/project_pud.py     # ~5-10 min, 2 cores
    ... project_pud.py --langs de --extractions softmax --limit 200 --no-write
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import SHARED, default_extraction, links_for  # noqa: E402
from results import machine, publish, table  # noqa: E402
from run_options import parse_run_args  # noqa: E402

DATA = SHARED / "data" / "pud"
EXTRACTIONS = ["softmax", "entmax", "ot", "itermax"]


def target_languages() -> list[str]:
    langs = sorted(p.stem for p in DATA.glob("*.conllu") if p.stem != "en")
    if not langs:
        sys.exit(f"no target .conllu files in {DATA} (set XLIE_SHARED to the shared folder)")
    return langs


def load(lang: str, limit: int | None):
    from xlie.formats.conllu import read_conllu
    en = list(read_conllu(DATA / "en.conllu", lang="en"))
    tgt = {s.id: s for s in read_conllu(DATA / f"{lang}.conllu", lang=lang)}
    pairs = [(e, tgt[e.id]) for e in en if e.id in tgt]
    return pairs[:limit] if limit else pairs


def confusions(gold, pred, top: int = 6):
    from collections import Counter, defaultdict
    counts, examples = Counter(), defaultdict(Counter)
    for g, p in zip(gold, pred):
        for tok, gt, pt in zip(g.tokens, g.tags, p.tags or []):
            if pt != "_" and pt != gt:
                counts[(gt, pt)] += 1
                examples[(gt, pt)][tok] += 1
    return [[gt, pt, n, ", ".join(w for w, _ in examples[(gt, pt)].most_common(4))]
            for (gt, pt), n in counts.most_common(top)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", nargs="+", default=None, help="target languages (default: all)")
    ap.add_argument("--extractions", nargs="+", default=EXTRACTIONS)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--threads", type=int, default=2)
    args = parse_run_args(ap)
    from xlie.corpus import Sentence
    from xlie.projection.api import project
    from xlie.scoring import pair_sentences, score_pos
    langs = args.langs or target_languages()
    default = default_extraction()
    md, words = [], {}
    for lang in langs:
        pairs = load(lang, args.limit)
        gold = [d for _, d in pairs]
        words[lang] = sum(len(g.tokens) for g in gold)
        rows, confusion, at_default = [], None, None
        for ext in args.extractions:
            links, _ = links_for([(e.tokens, d.tokens) for e, d in pairs], ext, f"pud-{lang}",
                                 args.cache)
            records = [Sentence.model_validate({
                "id": e.id, "lang": "en", "tokens": e.tokens, "tags": e.tags, "alignment": l,
                "translation": {"lang": lang, "text": " ".join(d.tokens), "tokens": d.tokens}})
                for (e, d), l in zip(pairs, links)]
            got = {}
            for name, kw in [("heuristic", {"method": "heuristic"}),
                             ("xlie without rules", {"method": "xlie", "pos_rules": False,
                                                     "pos_types": False}),
                             ("xlie token-level", {"method": "xlie", "pos_types": False}),
                             ("xlie", {"method": "xlie"})]:
                res = project(records, **kw)
                got[name] = score_pos(pair_sentences(gold, res.sentences))
                if name == "xlie" and ext == default:
                    confusion = confusions(gold, res.sentences)
                    at_default = got[name]
            keys = ("accuracy", "coverage", "accuracy_all_tokens")
            h, x, bare = got["heuristic"], got["xlie"], got["xlie without rules"]
            tok = got["xlie token-level"]
            rows.append([ext + (" (default)" if ext == default else ""),
                         " / ".join(f"{100 * h[k]:.2f}" for k in keys),
                         " / ".join(f"{100 * bare[k]:.2f}" for k in keys[:2]),
                         " / ".join(f"{100 * tok[k]:.2f}" for k in keys[:2]),
                         " / ".join(f"{100 * x[k]:.2f}" for k in keys),
                         " / ".join(f"{100 * (x[k] - h[k]):+.2f}" for k in keys)])
            print(lang, rows[-1], flush=True)
        md += [f"Target **{lang}** ({len(pairs)} sentences, {words[lang]} words):", "",
               table(["extraction", "heuristic acc / cov / all", "xlie without rules acc / cov",
                      "xlie token-level acc / cov", "xlie acc / cov / all", "Δ acc / cov / all"], rows), ""]
        if at_default:
            acc, cov = 100 * at_default["accuracy"], 100 * at_default["coverage"]
            met = "met" if acc >= 85 and cov >= 88 else "NOT met"
            md += [f"Target (≥ 85% accuracy at ≥ 88% coverage, default links and options) on "
                   f"{lang}: {acc:.2f} at {cov:.2f}, {met}.", ""]
        if confusion:
            md += [f"Most frequent errors of `xlie` on the {default} links, {lang} (gold tag, "
                   "projected tag, count, examples):", "",
                   table(["gold", "projected", "count", "examples"], confusion), ""]
    text = "\n".join([
        f"## Projection: PUD UPOS en→{', '.join(langs)}", "",
        f"Machine: {machine()}.", "",
        "English UPOS projected onto each target side's words through e5-small links (`xlie "
        "align` defaults per extraction). `acc`: accuracy on the target words that received a "
        "tag; `cov`: the share that did; `all`: accuracy counting untagged words as wrong. "
        "`heuristic`: the seed's rule (most probable link, unlinked words untagged); `xlie`: "
        "probability-weighted vote over all links of a word, plus PUNCT for punctuation "
        "whatever it is linked to and NUM/SYM for unlinked numbers and symbols (`xlie without "
        "rules`: the vote alone; `xlie token-level`: vote and rules, the default before type "
        "evidence), then type evidence from the whole projected corpus "
        "(`projection.type_constraints`, after Täckström et al. 2013): a tag with under "
        "`pos_type_min_share` (0.2) of its word type's projections takes the type's most "
        "frequent tag, an untagged word whose type's most frequent tag has at least "
        "`pos_type_fill_share` (0.6) of its projections (types projected at least 3 times) gets "
        "it, and a lowercase word is not PROPN. The rules were set on German; the type-evidence "
        "settings were chosen on Spanish (softmax links: a grid of min share 0, 0.1, 0.2, 0.3 × "
        "fill share 0.5 to 0.9 and none × min count 2, 3, 5; best accuracy at ≥ 88% coverage: "
        "0.2 / 0.6 / 3, 88.99 / 96.06) and checked on German and Chinese.", ""] + md + [
        "What limits it: a word-for-word copy of tags cannot follow where the two languages "
        "(and the two treebanks' annotation) use different categories for the same meaning: "
        "German determiners linked to English possessive pronouns (DET ↔ PRON), Spanish "
        "prepositions linked to the English infinitive marker *to* (ADP ↔ PART) and copulas "
        "(VERB ↔ AUX), Chinese nouns and verbs linked to English adjectives and nouns, month "
        "names PROPN in English UD; the error tables show which, counted on this run. The "
        "coverage the heuristic lacks is the rules' doing: without them xlie tags the same "
        "words (those with a link). Type evidence fixes what is wrong for a word only now and "
        "then (a slipped link) and what the target writes differently (lowercase month "
        "names), not a category the two treebanks assign differently to every occurrence of a "
        "word (possessives, copulas); it fills unlinked function words, which are frequent "
        "and tag-consistent."])
    publish("project-pud", text, not args.no_write)


if __name__ == "__main__":
    main()
