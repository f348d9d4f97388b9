"""Dependency trees: the one-root maximum spanning tree, tree checks, projection of heads and
relations through links (the seed heuristic and xlie's MST), UAS/LAS and CoNLL-U columns."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from xlie.cli import cli
from xlie.corpus import Sentence
from xlie.formats.conllu import format_conllu, read_conllu
from xlie.projection.api import project
from xlie.projection.links import Links
from xlie.scoring import evaluate, pair_sentences, score_dep
from xlie.projection.trees import (NO_EVIDENCE, UNALIGNED, project_tree_heuristic,
                                   project_tree_mst, punct_heads)
from xlie.trees import (is_partial_tree, is_tree, max_spanning_tree, tree_problems,
                        universal)


def _value(scores, heads):
    return sum(scores[h, d] for d, h in enumerate(heads, 1))


def test_tree_problems_name_what_is_wrong():
    assert is_tree([2, 0, 2])
    assert tree_problems([0, 0, 2]) == ["multiple_roots"]
    assert tree_problems([2, 1, 0]) == ["cycle"]
    assert tree_problems([2, 3, 1]) == ["no_root", "cycle"]
    assert tree_problems([None, 0, 2]) == ["partial"]
    assert is_partial_tree([None, 0, 2]) and not is_partial_tree([None, 0, 0])
    assert tree_problems([4, 0, 2]) == ["head_out_of_range"]
    assert tree_problems([]) == ["empty"] and not is_tree([])   # issue 33 #4


def test_mst_breaks_the_cycle_that_greedy_heads_make():
    # 1 and 2 prefer each other (a cycle); the root prefers 3 a little
    s = np.full((4, 4), -5.0)
    s[2, 1], s[1, 2] = 10.0, 9.0
    s[0, 3], s[3, 1], s[0, 1], s[3, 2] = 1.0, 2.0, 0.5, 1.0
    greedy = [int(np.argmax(np.where(np.eye(4, dtype=bool), -np.inf, s)[:, d])) for d in (1, 2, 3)]
    assert "cycle" in tree_problems(greedy)
    heads = max_spanning_tree(s)
    assert is_tree(heads)
    assert heads == [3, 1, 0]  # keeps 1 -> 2, breaks the cycle where it costs least


def test_mst_is_the_best_one_root_tree_on_random_scores():
    rng = np.random.default_rng(0)
    for _ in range(150):
        n = int(rng.integers(1, 6))
        s = rng.normal(size=(n + 1, n + 1))
        s[0] += 3.0  # the root is attractive: several roots would win without the constraint
        heads = max_spanning_tree(s)
        trees = [list(h) for h in itertools.product(range(n + 1), repeat=n) if is_tree(list(h))]
        assert is_tree(heads)
        assert _value(s, heads) == pytest.approx(max(_value(s, t) for t in trees))


def test_mst_avoids_forbidden_arcs():
    s = np.ones((4, 4))
    s[2, 1] = s[3, 1] = -np.inf
    heads = max_spanning_tree(s)
    assert is_tree(heads) and heads[0] == 0


# source: "He went home ." ; target: "Er ging nach Hause ." ("nach" has no link)
SRC_HEADS, SRC_RELS = [2, 0, 2, 2], ["nsubj", "root", "obl:dir", "punct"]
TGT = ["Er", "ging", "nach", "Hause", "."]


def _links(triples, n_src=4, n_tgt=5):
    return Links.from_triples(triples, n_src, n_tgt)


def test_heuristic_leaves_unaligned_words_and_can_make_several_roots():
    # "went" is linked to both "ging" and "Hause" (a slip): both hang from the root
    links = _links([(0, 0, 1.0), (1, 1, 0.9), (1, 3, 0.4), (2, 3, 0.8), (3, 4, 1.0)])
    tree = project_tree_heuristic(SRC_HEADS, SRC_RELS, links, TGT)
    assert tree.heads[2] is None and tree.dropped[UNALIGNED] == 1
    assert tree.heads[0] == 4  # rightmost target word linked to the head "went"
    assert tree.heads[1] == 0 and tree.heads[3] == 0
    assert "multiple_roots" in tree_problems(tree.heads)


def test_mst_projection_is_a_tree_with_scores_and_reasons():
    links = _links([(0, 0, 1.0), (1, 1, 0.9), (1, 3, 0.4), (2, 3, 0.8), (3, 4, 1.0)])
    tree = project_tree_mst(SRC_HEADS, SRC_RELS, links, TGT)
    assert tree.full_tree
    assert is_partial_tree(tree.heads)
    assert tree.heads[1] == 0 and tree.deprels[1] == "root"
    assert tree.heads[0] == 2 and tree.deprels[0] == "nsubj"
    assert tree.heads[3] == 2 and tree.deprels[3] == "obl:dir"
    assert tree.heads[4] == 2 and tree.deprels[4] == "punct"
    assert tree.heads[2] is None and tree.dropped[UNALIGNED] == 1
    assert all((s is None) == (h is None) for s, h in zip(tree.scores, tree.heads))
    # the arc backed by the weak link is the least sure; a threshold drops it
    assert tree.scores[3] < tree.scores[0]
    strict = project_tree_mst(SRC_HEADS, SRC_RELS, links, TGT, threshold=tree.scores[3] + 1e-3)
    assert strict.heads[3] is None and strict.dropped["low_confidence"] >= 1
    assert is_partial_tree(strict.heads)


def test_mst_climbs_past_an_unlinked_source_head_only_with_decay():
    # source "the big house": the -> house, big -> house, house root; "house" has no link
    links = Links.from_triples([(0, 0, 1.0), (1, 1, 1.0)], 3, 2)
    args = ([3, 3, 0], ["det", "amod", "root"], links, ["das", "große"])
    climbed = project_tree_mst(*args, decay=0.5)
    assert is_partial_tree(climbed.heads)
    assert sum(h == 0 for h in climbed.heads) == 1  # both climb to the root; one may have it
    assert climbed.dropped[NO_EVIDENCE] == 1
    assert project_tree_mst(*args, decay=0.0).dropped[NO_EVIDENCE] == 2  # the default


def test_fallback_climbs_only_for_words_nothing_else_attaches():
    # source "saw house the red car": house -> saw, the -> house, red -> car, car -> saw;
    # "house" has no link. Target word 1 is linked strongly to "the" (whose head has no
    # link) and weakly to "red" (whose head "car" is target word 2).
    src_heads, rels = [0, 1, 2, 5, 1], ["root", "obj", "det", "amod", "obj"]
    links = Links.from_triples([(0, 0, 1.0), (2, 1, 1.0), (3, 1, 0.3), (4, 2, 1.0)], 5, 3)
    toks = ["vio", "la", "coche"]
    assert project_tree_mst(src_heads, rels, links, toks, decay=1.0).heads == [0, 1, 1]
    assert project_tree_mst(src_heads, rels, links, toks, fallback=1.0).heads == [0, 3, 1]
    # a word with no other evidence climbs with the fallback as with decay
    bare = Links.from_triples([(0, 0, 1.0), (2, 1, 1.0), (4, 2, 1.0)], 5, 3)
    assert project_tree_mst(src_heads, rels, bare, toks).heads[1] is None
    climbed = project_tree_mst(src_heads, rels, bare, toks, fallback=0.5)
    assert climbed.heads == [0, 1, 1] and climbed.deprels[1] == "det"
    assert is_tree(climbed.heads)


def test_punctuation_attaches_to_the_phrase_after_it():
    # "Er sagte , dass er kommt ." ; the comma goes to "kommt", the full stop to "sagte"
    heads = [2, 0, 2, 6, 6, 2, 6]
    toks = ["Er", "sagte", ",", "dass", "er", "kommt", "."]
    assert punct_heads(heads, toks) == {3: 6, 7: 2}
    # where a phrase ends before the comma and another as high begins after it, the rule
    # prefers the one after; PUD Chinese's convention is the one before
    zh = ["雖然", "貴", "，", "他", "買", "了", "。"]
    zh_heads = [2, 5, 5, 5, 0, 5, 5]
    assert punct_heads(zh_heads, zh) == {3: 4, 7: 5}
    assert punct_heads(zh_heads, zh, prefer_after=False) == {3: 2, 7: 5}


def test_universal_relation():
    assert universal("nmod:poss") == "nmod" and universal("punct") == "punct"
    assert universal(None) == "_"


def _sent(heads, rels, n=None):
    n = n or len(heads)
    return Sentence(id="s", tokens=[f"w{k}" for k in range(n)], heads=heads, deprels=rels)


def test_uas_las_use_universal_relations_and_count_punctuation():
    gold = _sent([2, 0, 2, 2], ["nmod:poss", "root", "obj", "punct"])
    pred = _sent([2, 0, 1, None], ["nmod", "root", "obj", "_"])
    s = score_dep(pair_sentences([gold], [pred]))
    assert s["covered"] == 3 and s["words"] == 4
    assert s["uas"] == pytest.approx(2 / 3) and s["las"] == pytest.approx(2 / 3)
    assert s["las_all_words"] == pytest.approx(2 / 4)
    wrong_label = _sent([2, 0, 2, 2], ["nsubj", "root", "obj", "punct"])
    s = score_dep(pair_sentences([gold], [wrong_label]))
    assert s["uas"] == 1.0 and s["las"] == pytest.approx(3 / 4)


CONLLU = """# sent_id = a
# text = He went home.
1\tHe\the\tPRON\t_\t_\t2\tnsubj\t_\t_
2\twent\tgo\tVERB\t_\t_\t0\troot\t_\t_
3\thome\thome\tADV\t_\t_\t2\tadvmod\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

"""
TGT_CONLLU = """# sent_id = a
# text = Er ging nach Hause.
1\tEr\ter\tPRON\t_\t_\t2\tnsubj\t_\t_
2\tging\tgehen\tVERB\t_\t_\t0\troot\t_\t_
3\tnach\tnach\tADP\t_\t_\t4\tcase\t_\t_
4\tHause\tHaus\tNOUN\t_\t_\t2\tobl\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

"""


def test_conllu_reads_and_writes_trees_with_arc_scores(tmp_path):
    p = tmp_path / "a.conllu"
    p.write_text(CONLLU)
    sent = next(read_conllu(p))
    assert sent.heads == [2, 0, 2, 2] and sent.deprels[2] == "advmod"
    assert format_conllu(sent) == CONLLU
    partial = sent.model_copy(update={"heads": [2, 0, None, 2],
                                      "arc_scores": [0.9, 1.0, None, 0.5]})
    p2 = tmp_path / "b.conllu"
    p2.write_text(format_conllu(partial))
    back = next(read_conllu(p2))
    assert back.heads == [2, 0, None, 2] and back.deprels[2] == "_"
    assert back.arc_scores == [0.9, 1.0, None, 0.5]
    assert "SpaceAfter=No" in p2.read_text()


def test_conllu_bad_head_names_file_and_line(tmp_path):
    p = tmp_path / "bad.conllu"
    p.write_text(CONLLU.replace("\t2\tnsubj", "\t9\tnsubj"))
    with pytest.raises(Exception) as e:
        list(read_conllu(p))
    assert "bad.conllu" in str(e.value) and "HEAD" in str(e.value)


@pytest.mark.parametrize("method", ["xlie", "heuristic"])
def test_project_cli_trees_conllu_to_conllu_and_eval(tmp_path, method):
    src, tgt, al = tmp_path / "en.conllu", tmp_path / "de.conllu", tmp_path / "a.pharaoh"
    src.write_text(CONLLU)
    tgt.write_text(TGT_CONLLU)
    al.write_text("0-0 1-1 2-3 3-4\n")
    out = tmp_path / "out.conllu"
    r = CliRunner().invoke(cli, ["project", str(src), str(out), "--target", str(tgt),
                                  "--alignment", str(al), "--method", method])
    assert r.exit_code == 0, r.output
    assert "trees:" in r.output
    got = next(read_conllu(out))
    assert got.tokens == ["Er", "ging", "nach", "Hause", "."]
    assert got.heads[2] is None  # "nach" has no link; the target's gold "4 case" is not kept
    assert got.heads[0] == 2 and got.heads[1] == 0 and got.heads[3] == 2
    report = json.loads((tmp_path / "out.conllu.report.json").read_text())
    assert report["trees"]["arcs_dropped"]["unaligned"] == 1
    assert report["trees"]["coverage"] == pytest.approx(4 / 5)
    scores = evaluate(tgt, out, task="dep")
    assert scores["dep"]["covered"] == 4
    assert scores["dep"]["uas"] == 1.0
    assert scores["dep"]["las"] == pytest.approx(3 / 4)  # advmod projected, obl in German
    r = CliRunner().invoke(cli, ["project", "eval", str(tgt), str(out)])
    assert r.exit_code == 0 and "LAS" in r.output


def test_project_in_memory_trees_are_well_formed_on_pud_slice(test_data):
    """150 PUD en/de sentences with word-identity links where forms match, else by position
    in a window: crude links, yet every MST output's arcs belong to one tree."""
    en = list(read_conllu(test_data / "pud" / "en.conllu"))
    de = {s.id: s for s in read_conllu(test_data / "pud" / "de.conllu")}
    recs = []
    for e in en[:60]:
        d = de[e.id]
        links = [[i, j, 0.9] for i, a in enumerate(e.tokens) for j, b in enumerate(d.tokens)
                 if a.lower() == b.lower() or (abs(i - j) <= 0 and len(a) > 3)]
        recs.append(Sentence.model_validate({**e.to_json(), "alignment": links, "translation": {
            "lang": "de", "text": " ".join(d.tokens), "tokens": d.tokens}}))
    mst = project(recs, method="xlie")
    assert mst.report.trees["decoded_trees"] == 60
    assert all(is_partial_tree(s.heads) for s in mst.sentences)
    heur = project(recs, method="heuristic")
    assert heur.report.trees["sentences"] == 60
    assert mst.report.trees["not_trees"] == 0
