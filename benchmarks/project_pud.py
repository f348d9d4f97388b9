"""PUD UPOS projection from English onto every other language of the set (German, Spanish,
Chinese here): accuracy on the target words that get a tag, and coverage, heuristic beside
xlie, on the same links.

The English UPOS of the 1,000 Parallel UD sentences (../shared/data/pud) are projected onto
each target side through e5-small links (`xlie align` defaults per extraction) and scored
against that side's gold UPOS. `heuristic` is the seed pipeline's rule (each linked target
word takes the tag of its most probable link, unlinked words get none); `xlie` votes over all
links by probability (among the heads of a linked English phrase) and tags punctuation,
numerals and unlinked symbols by rule.

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


def link_shapes(pairs, links, projected) -> list[list[str]]:
    """Per shape of a target word's links (one-to-one, many-to-one: several source words,
    one-to-many: its source word has other targets, many-to-many, unlinked): words, the
    share whose gold tag a linked source word carries, and the projection's coverage and
    accuracy there."""
    from collections import Counter, defaultdict
    from xlie.projection.links import Links
    st: dict[str, Counter] = defaultdict(Counter)
    for (e, d), l, p in zip(pairs, links, projected):
        al = Links.from_triples(l, len(e.tokens), len(d.tokens))
        for j, (g, t) in enumerate(zip(d.tags, p.tags or [])):
            src = al.bwd.get(j, {})
            many, fan = len(src) > 1, any(len(al.fwd[i]) > 1 for i in src)
            shape = ("unlinked" if not src else "many-to-many" if many and fan else
                     "many-to-one" if many else "one-to-many" if fan else "one-to-one")
            s = st[shape]
            s["n"] += 1
            s["in"] += g in {e.tags[i] for i in src}
            s["cov"] += t != "_"
            s["ok"] += t == g
    total = sum(s["n"] for s in st.values())
    return [[k, f"{st[k]['n']} ({100 * st[k]['n'] / total:.1f}%)",
             f"{100 * st[k]['in'] / st[k]['n']:.1f}", f"{100 * st[k]['cov'] / st[k]['n']:.1f}",
             f"{100 * st[k]['ok'] / max(1, st[k]['cov']):.1f}"]
            for k in ("one-to-one", "many-to-one", "one-to-many", "many-to-many", "unlinked")
            if st[k]["n"]]


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
        rows, confusion, at_default, shapes = [], None, None, None
        for ext in args.extractions:
            links, _ = links_for([(e.tokens, d.tokens) for e, d in pairs], ext, f"pud-{lang}",
                                 args.cache)
            records = [Sentence.model_validate({   # with the English tree (phrase heads)
                **e.to_json(), "alignment": l,
                "translation": {"lang": lang, "text": " ".join(d.tokens), "tokens": d.tokens}})
                for (e, d), l in zip(pairs, links)]
            got = {}
            for name, kw in [("heuristic", {"method": "heuristic"}),
                             ("xlie without rules", {"method": "xlie", "pos_rules": False,
                                                     "pos_types": False}),
                             ("xlie token-level", {"method": "xlie", "pos_types": False}),
                             ("xlie without phrase heads", {"method": "xlie",
                                                            "pos_phrase_heads": False}),
                             ("xlie", {"method": "xlie"})]:
                res = project(records, **kw)
                got[name] = score_pos(pair_sentences(gold, res.sentences))
                if name == "xlie" and ext == default:
                    confusion = confusions(gold, res.sentences)
                    shapes = link_shapes(pairs, links, res.sentences)
                    at_default = got[name]
            keys = ("accuracy", "coverage", "accuracy_all_tokens")
            h, x, bare = got["heuristic"], got["xlie"], got["xlie without rules"]
            tok, flat = got["xlie token-level"], got["xlie without phrase heads"]
            rows.append([ext + (" (default)" if ext == default else ""),
                         " / ".join(f"{100 * h[k]:.2f}" for k in keys),
                         " / ".join(f"{100 * bare[k]:.2f}" for k in keys[:2]),
                         " / ".join(f"{100 * tok[k]:.2f}" for k in keys[:2]),
                         " / ".join(f"{100 * flat[k]:.2f}" for k in keys[:2]),
                         " / ".join(f"{100 * x[k]:.2f}" for k in keys),
                         " / ".join(f"{100 * (x[k] - h[k]):+.2f}" for k in keys)])
            print(lang, rows[-1], flush=True)
        md += [f"Target **{lang}** ({len(pairs)} sentences, {words[lang]} words):", "",
               table(["extraction", "heuristic acc / cov / all", "xlie without rules acc / cov",
                      "xlie token-level acc / cov", "xlie without phrase heads acc / cov",
                      "xlie acc / cov / all", "Δ acc / cov / all"], rows), ""]
        if at_default:
            acc, cov = 100 * at_default["accuracy"], 100 * at_default["coverage"]
            met = "met" if acc >= 85 and cov >= 88 else "NOT met"
            md += [f"Target (≥ 85% accuracy at ≥ 88% coverage, default links and options) on "
                   f"{lang}: {acc:.2f} at {cov:.2f}, {met}.", ""]
        if confusion:
            md += [f"Most frequent errors of `xlie` on the {default} links, {lang} (gold tag, "
                   "projected tag, count, examples):", "",
                   table(["gold", "projected", "count", "examples"], confusion), ""]
        if shapes:
            md += [f"Where the errors are, by the shape of a target word's links ({default}, "
                   f"{lang}): `gold among links`: the share whose gold tag is the tag of one of "
                   "the source words linked to it (what a copy of tags can reach at best); "
                   "coverage and accuracy of `xlie`:", "",
                   table(["links", "words", "gold among links", "xlie cov", "xlie acc"],
                         shapes), ""]
    text = "\n".join([
        f"## Projection: PUD UPOS en→{', '.join(langs)}", "",
        f"Machine: {machine()}.", "",
        "English UPOS projected onto each target side's words through e5-small links (`xlie "
        "align` defaults per extraction). `acc`: accuracy on the target words that received a "
        "tag; `cov`: the share that did; `all`: accuracy counting untagged words as wrong. "
        "`heuristic`: the seed's rule (most probable link, unlinked words untagged); `xlie`: "
        "probability-weighted vote over the links of a word, where a word is linked to "
        "several English words only among the heads of that phrase in the English tree "
        "(`pos_phrase_heads`, chosen on Spanish, checked on German and Chinese; `xlie without "
        "phrase heads` votes over all of them), plus PUNCT for punctuation and NUM for a word "
        "written only in numeral characters (a Unicode numeric value: digits of any script, "
        "一, 十, 萬; chosen on Chinese, checked on Spanish and German) whatever they are linked "
        "to, and NUM/SYM for unlinked numbers and symbols (`xlie without rules`: the vote "
        "alone; `xlie token-level`: vote and rules, no type evidence), then type evidence from the whole projected corpus "
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
        "and tag-consistent.", "",
        "Why Chinese stays far below (the link-shape tables): segmentation is not the cause. "
        "Most Chinese words are linked one-to-one, as in Spanish and German, but only about "
        "two thirds of those carry their gold tag on the English word they are linked to, "
        "against about 85% in Spanish and German; over all linked Chinese words it is 64%, so "
        "no choice among the linked English tags can reach 85%. The misses are categories "
        "the Chinese treebank gives that English has no word for, or names otherwise: 的 is "
        "PART in 1,361 of its 1,362 occurrences but is linked to *the*, *of*, *'s* (projected "
        "DET or ADP; the type's projections are spread, so type evidence has no majority to "
        "go by); the aspect marker 了 (AUX) is linked to English past-tense verbs; "
        "classifiers (個, 位, 名, NOUN) to *a*; 年 (NOUN) to *in* of *in 2016*; English "
        "adjectives and nominal modifiers are Chinese nouns (政治 *political*, 德國 "
        "*German*); 在, 於, 為 are VERB where they are the predicate; Latin-script names are "
        "X, not PROPN; 並, 但 are ADV, not CCONJ; months are NOUN. These are conventions of "
        "the target treebank, the same on every occurrence of a word, that the English side "
        "cannot show; projection can fix them only with knowledge of the target language, "
        "which xlie does not build in (its defaults must hold for languages it has not "
        "seen). What was general did help Chinese: numerals by their Unicode value (一 for "
        "*a*, +1.75) and phrase heads (+0.43)."])
    publish("project-pud", text, not args.no_write)


if __name__ == "__main__":
    main()
