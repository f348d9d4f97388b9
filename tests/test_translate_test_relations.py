"""Translate-test for relations: the marked pair goes onto the translation through the
links, the source classifier predicts there, and the relation comes back onto the input's
own arguments (a fake MT backend that keeps or reverses the word order and an aligner that
knows it, so where every argument must land is known)."""
from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from test_selftrain_relation import toy_relx
from test_selftrain_teachers import MatchAligner, reverse
from translate_helpers import EchoBackend, one_thread  # noqa: F401 (a fixture)

from xlie.cli import cli
from xlie.corpus import Sentence, Span
from xlie.formats.jsonl import read_corpus, write_jsonl
from xlie.formats.relx import read_relx
from xlie.scoring import directed_label
from xlie.selftrain import translate_test as tt
from xlie.selftrain.relation import RelationClassifier
from xlie.selftrain.tasks import get_task
from xlie.selftrain.translate_test import TranslateTestPredictor, TranslateTestSpec

LABELS = ["no_relation", "per:employee_of(e1,e2)", "per:employee_of(e2,e1)", "org:x(e1,e2)",
          "org:x(e2,e1)"]


@pytest.fixture(scope="module")
def relation_model(tiny_xlmr, tmp_path_factory):
    """A classifier with a random head: its outputs depend on the words and on where the
    markers stand, which is all these tests need."""
    torch.manual_seed(2)   # a head that gives several labels on the toy pairs
    clf = RelationClassifier.new(str(tiny_xlmr), LABELS, 64)
    torch.nn.init.normal_(clf.model.head.weight, std=0.15)
    path = tmp_path_factory.mktemp("rel") / "model"
    clf.save(path)
    return path


def spec(rewrite=reverse, drop_last: bool = False) -> TranslateTestSpec:
    return TranslateTestSpec(backend=EchoBackend(rewrite), src_lang="xx", tgt_lang="en",
                             aligner=MatchAligner(drop_last), cache=False)


def pairs(tmp_path, n: int = 9) -> list[Sentence]:
    toy_relx(tmp_path / "in.txt", n, 4)
    return list(read_relx(tmp_path / "in.txt"))


def test_identity_translation_gives_the_direct_prediction(relation_model, tmp_path, one_thread):
    sents = pairs(tmp_path)
    got = TranslateTestPredictor(relation_model, spec(lambda s: s)).predict(sents)
    direct = get_task("relation").load(relation_model).predict(
        [s.model_copy(update={"relations": []}) for s in sents])
    assert [g.relations for g in got] == [d.relations for d in direct]
    assert [g.spans for g in got] == [s.spans for s in sents]   # the input's own arguments
    assert len({directed_label(d) for d in direct}) > 1


def test_reversed_translation_marks_the_moved_words_and_brings_the_relation_home(
        relation_model, tmp_path, one_thread):
    sents = pairs(tmp_path)
    teacher = TranslateTestPredictor(relation_model, spec())
    got = teacher.predict(sents)
    clf = get_task("relation").load(relation_model)
    flipped = 0
    for s, g, w in zip(sents, got, teacher.translate(sents)):
        # by hand: word i of the input stands at n-2-i of the reversed translation ("." last)
        n = len(s.tokens)
        pos = {i: (n - 2 - i if i < n - 1 else n - 1) for i in range(n)}
        moved = sorted((Span(start=pos[sp.end - 1], end=pos[sp.start] + 1, label=sp.label,
                             id=sp.id) for sp in s.spans), key=lambda x: x.start)
        # E1 comes first on the translation again (the classifier's convention), ids kept
        moved = [m.model_copy(update={"label": lab}) for m, lab in zip(moved, ("E1", "E2"))]
        on_translation = Sentence(id=s.id, tokens=w, spans=moved)
        want = clf.predict([on_translation])[0].relations
        assert g.relations == want and g.spans == s.spans
        rel = g.relations[0]
        assert {rel["head"], rel["tail"]} == {sp.id for sp in s.spans}
        # the translation turned E1 and E2 round; the ids keep the direction, so what the
        # classifier read as (e1,e2) there is (e2,e1) on the input
        there = directed_label(on_translation.model_copy(update={"relations": want}))
        swap = {"(e1,e2)": "(e2,e1)", "(e2,e1)": "(e1,e2)"}
        cut = there.find("(")
        assert directed_label(g) == (there[:cut] + swap[there[cut:]] if cut > 0 else there)
        flipped += cut > 0
    assert flipped
    rep = teacher.report.to_dict()["relations"]
    assert rep["pairs"] == rep["carried"] == rep["projected"] == len(sents)
    assert rep["lost"] == 0 and sum(rep["arguments_lost"].values()) == 0


def test_an_argument_that_does_not_reach_the_translation_loses_the_pair_and_is_counted(relation_model, one_thread):
    sents = [Sentence(id="a", tokens="Anna works for Acme".split(),
                      spans=[Span(start=0, end=1, label="E1", id="a-1"),
                             Span(start=3, end=4, label="E2", id="a-2")]),
             Sentence(id="b", tokens="Boris met Hooli .".split(),
                      spans=[Span(start=0, end=1, label="E1", id="b-1"),
                             Span(start=2, end=3, label="E2", id="b-2")]),
             Sentence(id="c", tokens="no pair here .".split())]
    # the 'MT' renders Acme as Zeta: no link and no same word reaches it
    teacher = TranslateTestPredictor(relation_model,
                                     spec(lambda t: reverse(t).replace("Acme", "Zeta")))
    got = teacher.predict(sents)
    assert got[0].relations == [] and got[2].relations == []
    assert len(got[1].relations) == 1
    rep = teacher.report.to_dict()["relations"]
    assert rep == {"pairs": 2, "carried": 1, "predicted": 1, "projected": 1, "lost": 1,
                   "arguments_lost": {"not_carried": 1, "not_back": 0, "elsewhere": 0}}
    whole = teacher.report.to_dict()   # every word but Acme has its twin in the 'translation'
    assert whole["words"] == 12 and whole["words_reached"] == 11


def test_an_untranslated_pair_is_lost_not_guessed(relation_model, tmp_path, one_thread):
    sents = pairs(tmp_path, 6)
    s = spec(lambda text: "" if "works" in text else reverse(text))
    teacher = TranslateTestPredictor(relation_model, s)
    got = teacher.predict(sents)
    gone = [g for g, x in zip(got, sents) if "works" in x.tokens]
    assert gone and all(g.relations == [] for g in gone)
    assert all(g.relations for g, x in zip(got, sents) if "works" not in x.tokens)
    rep = teacher.report.to_dict()
    assert rep["untranslated"] == len(gone) and rep["relations"]["lost"] == len(gone)


def test_selftrain_predict_translate_test_relation_cli(relation_model, tmp_path, monkeypatch,
                                                       one_thread):
    from xlie.translation import open_session
    monkeypatch.setattr(tt, "_open_translator", lambda s: open_session(
        None, s.src_lang, s.tgt_lang, backend=EchoBackend(reverse), cache=False))
    monkeypatch.setattr(tt, "_aligner", lambda s: MatchAligner())
    sents = pairs(tmp_path)
    write_jsonl(tmp_path / "in.jsonl", [s.to_json() for s in sents])
    res = CliRunner().invoke(cli, [
        "selftrain", "predict", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"),
        "--model", str(relation_model), "--translate-test", "apertium", "-s", "xx", "-t", "en",
        "--score"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert report["task"] == "relation" and report["with_pair"] == len(sents)
    assert report["translate_test"]["relations"]["projected"] == len(sents)
    assert "macro_f1" in report["scores"]
    out = list(read_corpus(tmp_path / "out.jsonl"))
    assert [o.tokens for o in out] == [s.tokens for s in sents]
    assert all(len(o.relations) == 1 for o in out)


def test_a_relation_round_with_the_translate_test_teacher(relation_model, tiny_xlmr, tmp_path,
                                                          monkeypatch, one_thread):
    from xlie.selftrain.config import SelfTrainConfig
    from xlie.selftrain.rounds import self_train
    from xlie.translation import open_session
    monkeypatch.setattr(tt, "_open_translator", lambda s: open_session(
        None, s.src_lang, s.tgt_lang, backend=EchoBackend(reverse), cache=False))
    monkeypatch.setattr(tt, "_aligner", lambda s: MatchAligner())
    toy_relx(tmp_path / "train.txt", 16, 0)
    toy_relx(tmp_path / "text.txt", 8, 2)
    cfg = SelfTrainConfig.model_validate({
        "train": {"task": "relation", "model": str(tiny_xlmr), "epochs": 1, "batch_size": 8,
                  "lr": 2e-3, "max_length": 64},
        "rounds": 1, "select": {"mode": "threshold", "threshold": 0.0},
        "teacher": "translate-test",
        "translate_test": {"source_model": str(relation_model), "src_lang": "xx"}})
    self_train([tmp_path / "train.txt"], [tmp_path / "text.txt"], tmp_path / "run", cfg)
    pred = list(read_corpus(tmp_path / "run" / "round-1" / "predictions.jsonl"))
    text = [s.model_copy(update={"relations": []}) for s in read_relx(tmp_path / "text.txt")]
    expect = TranslateTestPredictor(relation_model, spec()).predict(text)
    assert [p.relations for p in pred] == [e.relations for e in expect]
    sel = json.loads((tmp_path / "run" / "round-1" / "selection.json").read_text())
    assert sel["teacher"] == "translate-test"
    assert sel["translate_test"]["relations"]["projected"] == 8


def test_a_relation_ensemble_of_one_model_twice_is_that_model(relation_model, tmp_path,
                                                               one_thread):
    from xlie.selftrain.teachers import build_predictor
    sents = [s.model_copy(update={"relations": []}) for s in pairs(tmp_path)]
    direct = get_task("relation").load(relation_model).predict(sents)
    task, ens = build_predictor([relation_model, relation_model])
    assert task.name == "relation"
    got = ens.predict(sents)
    assert [directed_label(g) for g in got] == [directed_label(d) for d in direct]
    assert [g.relations[0]["score"] for g in got] == \
        pytest.approx([d.relations[0]["score"] for d in direct], abs=1e-3)


def test_a_relation_ensemble_weighs_its_members_and_skips_a_lost_pair(relation_model,
                                                                      tmp_path, one_thread):
    """The translate-test member (reversed word order, so its labels differ from the direct
    model's) decides where it is weighted far above the other, and the direct model decides
    where the translate-test member lost the pair; a weight of 0 leaves a member out."""
    from xlie.selftrain.relation_ensemble import RelationEnsemble
    sents = [s.model_copy(update={"relations": []}) for s in pairs(tmp_path)]
    direct = get_task("relation").load(relation_model)
    teacher = TranslateTestPredictor(relation_model,
                                     spec(lambda t: "" if "works" in t else reverse(t)))
    via_tt = teacher.predict(sents)
    mostly_tt = RelationEnsemble([direct, teacher], weights=[0.01, 1.0]).predict(sents)
    only_tt = RelationEnsemble([direct, teacher], weights=[0.0, 1.0]).predict(sents)
    only_direct = RelationEnsemble([direct, teacher], weights=[1.0, 0.0]).predict(sents)
    d = [directed_label(x) for x in direct.predict(sents)]
    t = [directed_label(x) for x in via_tt]
    assert any(a != b for a, b in zip(d, t) if b is not None)     # the members disagree
    assert [directed_label(x) for x in only_direct] == d
    assert [directed_label(x) for x in mostly_tt] == \
        [b if b is not None else a for a, b in zip(d, t)]       # lost pairs: the direct one
    assert [directed_label(x) for x in only_tt] == t            # lost pairs: no relation
    assert any(b is None for b in t)
