"""PUD dependency-tree projection en→es, de, zh: xlie's MST method against the seed
heuristic on the same `xlie align` links (e5-small defaults), scored with UAS/LAS (CoNLL
2018: universal relation, punctuation included) against each side's gold trees.

The type-evidence settings (dep_type_fill_share) are chosen on Spanish and checked on German
and Chinese; decay and threshold were chosen on German earlier.

    XLIE_SHARED=/work/shared .venv/bin/python benchmarks/project_pud_trees.py --cache /tmp/links
    ... project_pud_trees.py --langs de --limit 200 --no-write
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import links_for  # noqa: E402
from project_pud import load  # noqa: E402
from results import machine, publish, table  # noqa: E402
from run_options import parse_run_args  # noqa: E402

LINKS_ONLY = {"dep_types": False, "dep_relabel": False}
SWEEP = [("heuristic", {"method": "heuristic"}),
         ("xlie links only (decay 0, threshold 0)", {"method": "xlie", **LINKS_ONLY}),
         ("xlie links only, decay 0.5", {"method": "xlie", **LINKS_ONLY, "dep_decay": 0.5}),
         ("xlie links only, threshold 0.5", {"method": "xlie", **LINKS_ONLY,
                                             "dep_threshold": 0.5}),
         ("xlie + relations agree with tags", {"method": "xlie", "dep_types": False}),
         ("xlie + type fill 0.6", {"method": "xlie", "dep_type_fill_share": 0.6}),
         ("xlie + type fill 0.5", {"method": "xlie", "dep_type_fill_share": 0.5}),
         ("xlie + type fill 0.4", {"method": "xlie", "dep_type_fill_share": 0.4}),
         ("xlie + type fill 0.5, threshold 0.5", {"method": "xlie", "dep_type_fill_share": 0.5,
                                                  "dep_threshold": 0.5}),
         ("xlie without phrase heads (tags)", {"method": "xlie", "pos_phrase_heads": False}),
         ("xlie + fallback climb 0.5", {"method": "xlie", "dep_fallback": 0.5})]


def punct_rule_on_gold(gold) -> list[str]:
    """How often ``punct_heads`` on the gold tree (its punctuation arcs set aside) finds the
    gold head of a punctuation word, preferring the phrase after it and the phrase before."""
    import unicodedata
    from xlie.projection.trees import punct_heads
    out = []
    for after in (True, False):
        ok = n = 0
        for g in gold:
            for p, h in punct_heads(list(g.heads), g.tokens, prefer_after=after).items():
                if all(unicodedata.category(c)[0] == "P" for c in g.tokens[p - 1]):
                    n += 1
                    ok += h == g.heads[p - 1]
        out.append(f"{100 * ok / max(1, n):.1f}")
    return out


def is_default(kw: dict, default) -> bool:
    """Whether the options of a sweep row are the defaults of ``ProjectionOptions``."""
    return kw.get("method") == default.method and all(
        getattr(default, k) == v for k, v in kw.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", nargs="+", default=["es", "de", "zh"])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--threads", type=int, default=2)
    args = parse_run_args(ap)
    from xlie.corpus import Sentence
    from xlie.projection.api import project
    from xlie.projection.options import ProjectionOptions
    from xlie.scoring import pair_sentences, score_dep
    default = ProjectionOptions()
    md, punct_rows = [], []
    for lang in args.langs:
        pairs = load(lang, args.limit)
        gold = [d for _, d in pairs]
        links, _ = links_for([(e.tokens, d.tokens) for e, d in pairs], None, f"pud-{lang}",
                             args.cache)
        records = [Sentence.model_validate({
            **e.to_json(), "alignment": l,
            "translation": {"lang": lang, "text": " ".join(d.tokens), "tokens": d.tokens}})
            for (e, d), l in zip(pairs, links)]
        rows, got = [], {}
        for name, kw in SWEEP:
            res = project(records, **kw)
            s = score_dep(pair_sentences(gold, res.sentences))
            t = res.report.trees
            got[name] = s
            rows.append([name + (" (default)" if is_default(kw, default) else ""),
                         f"{100 * s['coverage']:.1f}", f"{100 * s['uas']:.1f}",
                         f"{100 * s['las']:.1f}", f"{100 * s['uas_all_words']:.1f}",
                         f"{100 * s['las_all_words']:.1f}",
                         f"{t['not_trees']} ({100 * t['not_trees'] / t['sentences']:.1f}%)",
                         f"{t['decoded_trees']}" if "decoded_trees" in t else "–",
                         ", ".join(f"{k} {v}" for k, v in res.report.arcs_dropped.most_common())])
            print(lang, rows[-1], flush=True)
        h = got["heuristic"]
        x = next(got[n] for n, kw in SWEEP if is_default(kw, default))
        gaps = (f"Default against the heuristic on {lang}: LAS on covered words "
                f"{100 * (x['las'] - h['las']):+.1f}, coverage "
                f"{100 * (x['coverage'] - h['coverage']):+.1f}, LAS over all words "
                f"{100 * (x['las_all_words'] - h['las_all_words']):+.1f}; target (LAS ≥ the "
                f"rule's + 5 at coverage ≥ the rule's) "
                + ("met." if x['las'] - h['las'] >= 0.05 and x['coverage'] >= h['coverage']
                   else "NOT met."))
        punct_rows.append([lang, *punct_rule_on_gold(gold)])
        md += [f"Target **{lang}** ({len(pairs)} sentences, {sum(len(g.tokens) for g in gold)} "
               "words):", "",
               table(["method", "coverage", "UAS", "LAS", "UAS all", "LAS all",
                      "not trees (heuristic: several roots or a cycle)",
                      "MST outputs that are trees", "arcs dropped"], rows), "", gaps, ""]
    text = "\n".join([
        f"## Projection: PUD dependency trees en→{', '.join(args.langs)}", "",
        f"Machine: {machine()}.", "",
        "English gold trees (HEAD, DEPREL) projected onto each target side's words through "
        "the same e5-small links (`xlie align` defaults) and scored against that side's gold "
        "trees: UAS/LAS on the words that got a head (`coverage` of all words) and over all "
        "words (`all`; a word without a head counts as wrong). LAS compares universal "
        "relations, punctuation included (CoNLL 2018). `heuristic`: the seed's rule (nearest-"
        "to-root linked source word, rightmost target word of its head, climbing past unlinked "
        "heads). `xlie`: one-root maximum spanning tree over arc scores from the links, "
        "punctuation re-attached by the UD rule (`projection.trees.punct_heads`), arcs with no "
        "direct evidence left out; `decay` is the weight of a source arc whose head has no "
        "link (climbing to its linked ancestor), `threshold` the confidence under which an arc "
        "is left out. Every MST output is a tree before arcs are left out, and what is left "
        "is part of that tree. Decay 0 and threshold 0 were chosen on German earlier "
        "(climbing past unlinked source heads adds coverage at a loss of LAS on covered words; "
        "a threshold trades coverage for LAS, the parser can apply one at training time "
        "instead: `arc_scores`). `links only`: those arcs alone (the default before type "
        "evidence). `relations agree with tags` (`dep_relabel`, `projection.tree_labels`): "
        "by UD's definitions, under a nominal head a DET is `det`, an ADJ `amod`, and a "
        "nominal `compound` after its head `nmod`, with the target's projected tags. `type "
        "fill S` (`dep_types`, `projection.type_constraints`): a word no link-borne arc reaches "
        "attaches as its word type usually does in the corpus's projected trees (relation, "
        "side, head tag; to the nearest word on that side with that tag) when that attachment "
        "has at least share S of the type's arcs (types with ≥ 3 arcs), inside the same "
        "maximum spanning tree. The type-evidence settings were chosen on Spanish: fill share "
        "0.5 is the largest coverage there that clears both targets (coverage ≥ the rule's, "
        "LAS ≥ the rule's + 5) with half a point of LAS to spare (0.4 clears the LAS bar by "
        "0.2); German and Chinese check them. `without phrase heads (tags)`: the target "
        "tags (which the relations and type fill use) from a vote over all links of a word "
        "instead of over the heads of a linked English phrase (`pos_phrase_heads`, chosen on "
        "Spanish UPOS). `fallback climb 0.5` (`dep_fallback`, off): a linked word that no "
        "other evidence reaches climbs past unlinked source heads, at 0.5 per step.", ""] + md + [
        "The punctuation rule on each side's own gold trees (the share of punctuation heads "
        "`punct_heads` finds again, its default preferring the phrase after a mark, and "
        "preferring the phrase before it):", "",
        table(["target", "prefer after (default)", "prefer before"], punct_rows), "",
        "Why Chinese stays below the target: the English trees do not carry the Chinese "
        "treebank's conventions. Punctuation (13.6% of the Chinese words) is the clearest: "
        "PUD Chinese attaches a comma to the clause before it, so the rule finds its heads "
        "far less often there than in German and Spanish (table above), and the links cannot "
        "tell, since the English comma attaches the other way (on the softmax links, the "
        "Chinese commas whose link-borne head is after them outnumber those before about "
        "2:1, against 1:9 in the gold trees). Preferring the phrase before on Chinese alone "
        "would add only about one point of LAS on covered words (measured while choosing, "
        "not a default: it costs German about a point), as the clauses the marks attach to "
        "are themselves often projected wrong: 的 (PART, `case`/`mark`) is linked to *the* "
        "and *of*, classifiers (`clf`) to *a*, English adjectives (`amod`) are Chinese noun "
        "modifiers (`compound`), and the tags these relations follow are wrong as often as "
        "the UPOS section shows. Coverage: climbing past unlinked English heads for the "
        "words nothing else reaches (`fallback climb`) lifts Chinese coverage past the "
        "rule's, but at LAS below the links-only arcs; it is off by default, as it lowers "
        "LAS on Spanish and German too."])
    publish("project-pud-trees", text, not args.no_write)


if __name__ == "__main__":
    main()
