"""Type-level evidence for projection (projection.type_constraints, tree_labels): tags that
are rare for their word type are corrected, unlinked words of a consistent type are filled,
lowercase words are not PROPN; tree arcs are filled by a type's usual attachment inside one
well-formed tree; relations agree with the target's tags. Whole-corpus evidence is the same
whether a corpus is projected at once or batch by batch (the pipeline's way)."""
from __future__ import annotations

import numpy as np

from xlie.corpus import Sentence
from xlie.projection.api import make_options, project
from xlie.projection.links import Links
from xlie.projection.tree_labels import agree_relations
from xlie.projection.trees import project_tree_mst
from xlie.projection.type_constraints import (ArcEvidence, ArcTypes, TypeEvidence,
                                              constrain_tags, evidence_of_records,
                                              is_lowercase_word)
from xlie.trees import is_tree


def _evidence(*sentences):
    ev = TypeEvidence()
    for toks, tags in sentences:
        ev.add(toks, tags)
    return ev


def test_a_tag_rare_for_its_type_takes_the_types_tag():
    ev = _evidence(*[(["x", "de"], ["NOUN", "ADP"])] * 9, (["x", "de"], ["NOUN", "PART"]))
    assert constrain_tags(["y", "de"], ["NOUN", "PART"], ev) == ["NOUN", "ADP"]
    # with the bar under the tag's share (1 of 10), the token keeps its own tag
    assert constrain_tags(["y", "de"], ["NOUN", "PART"], ev, min_share=0.05) == ["NOUN", "PART"]


def test_an_untagged_word_is_filled_only_where_its_type_agrees():
    ev = _evidence(*[(["la"], ["DET"])] * 3, *[(["que"], ["SCONJ"]), (["que"], ["PRON"])] * 2)
    assert constrain_tags(["la", "que", "zz"], ["_", "_", "_"], ev) == ["DET", "_", "_"]
    # a type seen fewer times than min_count is left alone
    assert constrain_tags(["la"], ["_"], ev, min_count=4) == ["_"]


def test_a_lowercase_word_is_not_a_proper_noun():
    ev = _evidence(*[(["en", "octubre"], ["ADP", "PROPN"])] * 3)
    assert constrain_tags(["en", "octubre"], ["ADP", "PROPN"], ev) == ["ADP", "NOUN"]
    assert constrain_tags(["en", "octubre"], ["ADP", "PROPN"], ev, casing=False)[1] == "PROPN"
    ev = _evidence(*[(["en", "Madrid"], ["ADP", "PROPN"])] * 3, (["el", "verde"], ["DET", "ADJ"]))
    assert constrain_tags(["en", "Madrid"], ["ADP", "PROPN"], ev)[1] == "PROPN"
    # the first word is capitalised anyway: its type's casing elsewhere decides
    ev.add(["X", "verde"], ["PROPN", "PROPN"])
    assert constrain_tags(["Verde", "x"], ["PROPN", "_"], ev)[0] == "ADJ"
    assert not is_lowercase_word("北京") and not is_lowercase_word("2016")
    assert is_lowercase_word("écoles") and not is_lowercase_word("Écoles")


def _record(k, src, tags, tgt, links, heads=None, rels=None):
    rec = {"id": f"s{k}", "lang": "en", "tokens": src, "tags": tags,
           "translation": {"lang": "es", "text": " ".join(tgt), "tokens": tgt},
           "alignment": [[i, j, 0.9] for i, j in links]}
    if heads is not None:
        rec.update(heads=heads, deprels=rels)
    return rec


def _corpus():
    # "the house" -> "la casa" three times with both words linked; once "la" has no link
    recs = [_record(k, ["the", "house"], ["DET", "NOUN"], ["la", "casa"], [(0, 0), (1, 1)],
                    [2, 0], ["det", "root"]) for k in range(3)]
    recs.append(_record(3, ["the", "house"], ["DET", "NOUN"], ["la", "casa"], [(1, 1)],
                        [2, 0], ["det", "root"]))
    return recs


def test_project_fills_an_unlinked_word_from_the_whole_corpus():
    recs = _corpus()
    out = project(recs).sentences
    assert out[3].tags == ["DET", "NOUN"]
    assert out[3].heads == [2, 0] and out[3].deprels == ["det", "root"]
    bare = project(recs, pos_types=False, dep_types=False).sentences
    assert bare[3].tags == ["_", "NOUN"] and bare[3].heads == [None, 0]
    # the seed's rule stays the seed's rule
    assert project(recs, method="heuristic").sentences[3].tags == ["_", "NOUN"]


def test_a_batch_sees_the_whole_corpus_through_shared_evidence():
    recs = _corpus()
    opts = make_options({})
    ev = evidence_of_records(lambda: iter(recs), opts)
    alone = project(recs[3:]).sentences[0]
    batch = project(recs[3:], evidence=ev).sentences[0]
    assert alone.tags == ["_", "NOUN"]  # one sentence is too little evidence
    assert batch.tags == project(recs).sentences[3].tags == ["DET", "NOUN"]
    assert batch.heads == [2, 0]


def test_tree_fill_attaches_to_the_nearest_word_with_the_usual_head_tag_and_stays_a_tree():
    ev = ArcEvidence()
    for _ in range(3):
        ev.add(["de", "la", "casa"], ["ADP", "DET", "NOUN"], [3, 3, 0], ["case", "det", "root"])
    # target "casa de la ciudad": source "house of the city", "de" unlinked
    links = Links.from_triples([(0, 0, 0.9), (2, 2, 0.9), (3, 3, 0.9)], 4, 4)
    src_heads, src_rels = [0, 4, 4, 1], ["root", "case", "det", "nmod"]
    tgt = ["casa", "de", "la", "ciudad"]
    tags = ["NOUN", "ADP", "DET", "NOUN"]
    plain = project_tree_mst(src_heads, src_rels, links, tgt)
    filled = project_tree_mst(src_heads, src_rels, links, tgt, types=ArcTypes(ev, tags))
    assert plain.heads[1] is None
    assert filled.heads == [0, 4, 4, 1] and filled.deprels[1] == "case"
    assert is_tree(filled.heads)
    # evidence under the fill share attaches nothing
    assert project_tree_mst(src_heads, src_rels, links, tgt,
                            types=ArcTypes(ev, tags, fill_share=1.01)).heads[1] is None


def test_relations_agree_with_target_tags_and_order():
    tags = ["NOUN", "ADP", "DET", "NOUN", "ADJ", "DET", "NOUN"]
    heads = [0, 4, 4, 1, 4, 7, 1]
    rels = ["root", "case", "nmod:poss", "compound", "compound", "det", "conj"]
    got = agree_relations(tags, heads, rels)
    assert got == ["root", "case", "det", "nmod", "amod", "det", "conj"]
    # a compound before its head stays one (English and German order)
    assert agree_relations(["NOUN", "NOUN"], [2, 0], ["compound", "root"])[0] == "compound"
    assert agree_relations(["DET", "NOUN"], [None, 0], ["nmod", "root"])[0] == "nmod"
    # a numeral under a nominal is nummod, whatever the source word was (一 for "a": det)
    assert agree_relations(["NUM", "NOUN", "NOUN"], [3, 3, 0], ["det", "amod", "root"]) == [
        "nummod", "amod", "root"]
    assert agree_relations(["NUM", "VERB"], [2, 0], ["det", "root"])[0] == "det"


def test_evidence_passes_over_unreadable_records():
    recs = _corpus() + [{"id": "bad", "tokens": ["a"], "tags": ["DET"],
                         "translation": {"text": "x"}, "alignment": [[5, 0, 1.0]]}]
    ev = evidence_of_records(lambda: iter(recs), make_options({}))
    assert ev.tags["la"]["DET"] == 3 and "x" not in ev.tags
    assert np.isclose(sum(ev.arcs.attach["la"].values()), 3)


def test_type_evidence_counts_phrase_heads_even_without_relations():
    # "would help" -> one word: the source tree's head (help, VERB) is what its type counts
    rec = {"id": "w", "tokens": ["would", "help"], "tags": ["AUX", "VERB"], "heads": [2, 0],
           "translation": {"text": "ayudaría"}, "alignment": [[0, 0, 0.9], [1, 0, 0.5]]}
    ev = evidence_of_records(lambda: iter([rec]), make_options({}))
    assert dict(ev.tags["ayudaría"]) == {"VERB": 1} and ev.arcs is None
    flat = evidence_of_records(lambda: iter([rec]), make_options({"pos_phrase_heads": False}))
    assert dict(flat.tags["ayudaría"]) == {"AUX": 1}
    bad = evidence_of_records(lambda: iter([{**rec, "heads": [2, 7]}]), make_options({}))
    assert dict(bad.tags["ayudaría"]) == {"AUX": 1}  # heads out of range: links vote alone


def test_the_pipeline_project_stage_projects_each_batch_with_the_whole_corpus(tmp_path):
    import json

    import yaml

    from xlie.pipeline import load_config, run_pipeline
    recs = _corpus()
    corpus = tmp_path / "aligned.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in recs))
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"run_dir": str(tmp_path / "run"), "shard_size": 2,
                                   "input": {"corpus": str(corpus), "tgt_lang": "es"},
                                   "project": {"batch_size": 1}}))
    result = run_pipeline(load_config(cfg))
    silver = [json.loads(x) for x in (tmp_path / "run/03-project/silver.jsonl").open()]
    whole = project(recs, lang="es").sentences
    assert [s["tags"] for s in silver] == [s.tags for s in whole]
    assert silver[3]["tags"] == ["DET", "NOUN"] and silver[3]["heads"] == [2, 0]
    counts = result.stages[0].counts
    assert counts["pos_labeled"] == counts["pos_tokens"] == 8
    assert counts["tree_arcs"] == counts["tree_words"] == 8
