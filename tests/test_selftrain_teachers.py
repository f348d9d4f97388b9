"""Teachers other than the model itself: translate-test (a fake MT backend that reverses
the word order and an aligner that knows it, so where every label must land is known),
ensembles of taggers (the mean of the members' distributions), and a self-training round
whose pseudo-labels come from the translate-test teacher."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from test_selftrain_train import cfg, toy_corpus
from translate_helpers import EchoBackend, one_thread  # noqa: F401 (a fixture)

from xlie.aligners.core import PairAlignment
from xlie.cli import cli
from xlie.corpus import UNLABELED, Sentence
from xlie.formats.jsonl import read_corpus, write_jsonl
from xlie.selftrain import SelfTrainConfig, train
from xlie.selftrain import translate_test as tt
from xlie.selftrain.ensemble import EnsemblePredictor
from xlie.selftrain.rounds import self_train
from xlie.selftrain.tasks import get_task
from xlie.selftrain.translate_test import TranslateTestPredictor, TranslateTestSpec


def reverse(text: str) -> str:
    """The words in reverse order, a final full stop kept last."""
    stop = text.endswith(".")
    words = text.rstrip(".").split()
    return " ".join(reversed(words)) + (" ." if stop else "")


class MatchAligner:
    """Links each word of the translation to the first unused identical word of the input
    (the echo backend only reorders words); ``drop_last`` leaves the input's last word
    unlinked. An empty side is an unusable pair, as with the real aligner."""

    def __init__(self, drop_last: bool = False):
        self.drop_last = drop_last

    def align_pairs(self, pairs):
        out = []
        for src, tgt in pairs:
            if not src or not tgt:
                out.append(PairAlignment(error="a non-empty source and target side"))
                continue
            out.append(PairAlignment(match(src, tgt, self.drop_last), 1.0))
        return out


def match(src, tgt, drop_last: bool = False) -> list[tuple[int, int, float]]:
    used, links = set(), []
    for i, w in enumerate(src):
        j = next((j for j, v in enumerate(tgt) if v == w and j not in used), None)
        if j is not None and not (drop_last and j == len(tgt) - 1):
            used.add(j)
            links.append((i, j, 1.0))
    return links


def spec(drop_last: bool = False) -> TranslateTestSpec:
    return TranslateTestSpec(backend=EchoBackend(reverse), src_lang="xx", tgt_lang="en",
                             aligner=MatchAligner(drop_last), cache=False)


def pos_corpus(n: int, seed: int = 0) -> list[dict]:
    tags = {"John": "PROPN", "Maria": "PROPN", "Peter": "PROPN", "Anna": "PROPN",
            "Havel": "PROPN", "lives": "VERB", "met": "VERB", "said": "VERB", "thank": "VERB",
            "in": "ADP", "for": "ADP", "on": "ADP", ".": "PUNCT", "The": "DET", "the": "DET",
            "I": "PRON", "that": "SCONJ", "is": "AUX", "report": "NOUN"}
    out = []
    for rec in toy_corpus(n, seed):
        rec = dict(rec, spans=[], tags=[tags.get(w, "NOUN") for w in rec["tokens"]])
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("teach")
    write_jsonl(d / "train.jsonl", toy_corpus(48, 0))
    write_jsonl(d / "dev.jsonl", toy_corpus(12, 1))
    write_jsonl(d / "pool.jsonl", toy_corpus(10, 2, labeled=False))
    write_jsonl(d / "pos-train.jsonl", pos_corpus(48, 0))
    write_jsonl(d / "pos-dev.jsonl", pos_corpus(12, 1))
    return d


@pytest.fixture(scope="module")
def ner_models(tiny_xlmr, data, tmp_path_factory):
    one = train([data / "train.jsonl"], tmp_path_factory.mktemp("ner1"),
                cfg(tiny_xlmr, epochs=8), dev=data / "dev.jsonl").model_dir
    two = train([data / "train.jsonl"], tmp_path_factory.mktemp("ner2"),
                cfg(tiny_xlmr, epochs=6, seed=3), dev=data / "dev.jsonl").model_dir
    return one, two


@pytest.fixture(scope="module")
def pos_model(tiny_xlmr, data, tmp_path_factory):
    return train([data / "pos-train.jsonl"], tmp_path_factory.mktemp("pos"),
                 cfg(tiny_xlmr, task="pos", epochs=6), dev=data / "pos-dev.jsonl").model_dir


def inputs(n: int = 6) -> list[Sentence]:
    return [Sentence.model_validate(r) for r in toy_corpus(n, 5)]


def through_translation(model, teacher, sents, task):
    """What the source model says on the teacher's translations, and where each word of a
    translation went in its input (the fake aligner's links)."""
    words = teacher.translate(sents)
    direct = get_task(task).load(model).predict(
        [Sentence(id=s.id, tokens=w) for s, w in zip(sents, words)])
    where = [{i: j for i, j, _ in match(w, s.tokens, teacher.spec.aligner.drop_last)}
             for s, w in zip(sents, words)]
    return direct, where


def test_translate_test_projects_spans_back_onto_the_input_words(ner_models, one_thread):
    sents = inputs() + [Sentence(id="empty", tokens=[])]
    teacher = TranslateTestPredictor(ner_models[0], spec())
    got = teacher.predict(sents)
    direct, where = through_translation(ner_models[0], teacher, sents, "ner")
    assert [g.tokens for g in got] == [s.tokens for s in sents]   # the input's own words
    n_spans = 0
    for g, d, w in zip(got, direct, where):
        assert [g.tokens[w[i]] for i in range(len(d.tokens))] == d.tokens
        moved = sorted((w[sp.start], w[sp.end - 1] + 1, sp.label) for sp in d.spans)
        assert sorted((sp.start, sp.end, sp.label) for sp in g.spans) == moved
        by_start = {w[sp.start]: sp.score for sp in d.spans}
        for sp in g.spans:   # the teacher's own confidence
            assert sp.score == pytest.approx(by_start[sp.start], abs=1e-3)
        n_spans += len(d.spans)
    assert n_spans > 0
    rep = teacher.report.to_dict()
    assert rep["sentences"] == 7 and rep["empty"] == 1 and rep["untranslated"] == 0
    assert rep["spans"]["predicted"] == n_spans and rep["spans"]["lost"] == 0


def test_translate_test_projects_tags_and_counts_unreached_words(pos_model, one_thread):
    sents = inputs()
    sents[1:] = [Sentence(id=s.id, tokens=s.tokens[:-1]) for s in sents[1:]]  # no final "."
    teacher = TranslateTestPredictor(pos_model, spec(drop_last=True))
    got = teacher.predict(sents)
    direct, where = through_translation(pos_model, teacher, sents, "pos")
    for g, d, w in zip(got, direct, where):
        back = {j: i for i, j in w.items()}
        for j in range(len(g.tokens)):
            if j in back:      # a linked word gets its translation's tag and confidence
                assert g.tags[j] == d.tags[back[j]]
                assert g.tag_scores[j] == pytest.approx(d.tag_scores[back[j]], abs=1e-3)
            else:              # the unlinked last word: only the punctuation rule reaches it
                assert g.tags[j] == ("PUNCT" if g.tokens[j] == "." else UNLABELED)
    rep = teacher.report.to_dict()
    assert rep["tags"]["words"] == sum(len(s.tokens) for s in sents)
    assert rep["tags"]["tagged"] == sum(t != UNLABELED for g in got for t in g.tags)
    from xlie.selftrain import SelectConfig
    from xlie.selftrain.pseudo import select_pseudo_labels
    kept, stats = select_pseudo_labels(got, "pos", SelectConfig(mode="top", top_fraction=1.0))
    assert UNLABELED not in stats["per_label"]     # no evidence is no pseudo-label
    assert any(UNLABELED in g.tags for g in got)
    for k in kept:
        assert all(not m for m, t in zip(k.label_mask, k.tags) if t == UNLABELED)


def test_an_untranslated_sentence_keeps_no_labels_and_is_counted(ner_models, one_thread):
    s = spec()
    s.backend = EchoBackend(lambda text: "" if "lives" in text else reverse(text))
    sents = inputs(8)
    got = TranslateTestPredictor(ner_models[0], s)
    out = got.predict(sents)
    lost = [o for o, x in zip(out, sents) if "lives" in x.tokens]
    assert lost and all(not o.spans for o in lost)
    assert got.report.untranslated == len(lost)


def test_ensemble_of_two_taggers_gives_the_mean_distribution(ner_models, one_thread):
    task = get_task("ner")
    a, b = (task.load(m) for m in ner_models)
    ens = EnsemblePredictor([a, b], "ner")
    sents = inputs()
    got = ens.predict_distributions(sents)
    pa = a.model.predict_words([s.tokens for s in sents])
    pb = b.model.predict_words([s.tokens for s in sents])
    assert ens.labels == a.model.labels.labels
    for (p, given), x, y in zip(got, pa, pb):
        assert given.all()
        np.testing.assert_allclose(p, (x.probs + y.probs) / 2, atol=1e-6)
    out = ens.predict(sents)
    for o, (p, _) in zip(out, got):   # confidences as one tagger's: the mean's max
        assert o.tag_scores == pytest.approx(p.max(-1).tolist(), abs=1e-5)
        for sp in o.spans:
            assert sp.score == pytest.approx(float(np.mean(p.max(-1)[sp.start:sp.end])),
                                             abs=1e-5)


def test_ensemble_with_translate_test_leaves_unreached_words_to_the_others(pos_model,
                                                                          one_thread):
    task = get_task("pos")
    direct = task.load(pos_model)
    teacher = TranslateTestPredictor(pos_model, spec(drop_last=True))
    ens = EnsemblePredictor([direct, teacher], "pos", weights=[1.0, 3.0])
    sents = [s for s in inputs() if s.tokens[-1] != "."] or inputs()
    sents = [Sentence(id=s.id, tokens=s.tokens + ["Havel"]) for s in sents]  # last: unlinked
    got = ens.predict_distributions(sents)
    alone = direct.model.predict_words([s.tokens for s in sents])
    for (p, given), d in zip(got, alone):
        assert given.all()
        np.testing.assert_allclose(p[-1], d.probs[-1], atol=1e-6)   # only the direct member
        assert not np.allclose(p[0], d.probs[0])                    # both members
    assert "member_1" in ens.report


@pytest.fixture
def fake_mt(monkeypatch):
    """Named backends and the default aligner replaced by the fakes (no MT, no e5)."""
    monkeypatch.setattr(tt, "_open_translator", _session)
    monkeypatch.setattr(tt, "_aligner", lambda s: MatchAligner())


def _session(s):
    from xlie.translation import open_session
    return open_session(None, s.src_lang, s.tgt_lang, backend=EchoBackend(reverse), cache=False)


def test_selftrain_predict_translate_test_and_ensemble_cli(ner_models, data, tmp_path, fake_mt,
                                                           one_thread):
    write_jsonl(tmp_path / "in.jsonl", [s.to_json() for s in inputs()])
    res = CliRunner().invoke(cli, [
        "selftrain", "predict", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "tt.jsonl"),
        "--model", str(ner_models[0]), "--translate-test", "apertium", "-s", "xx", "-t", "en"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert report["translate_test"]["sentences"] == 6
    assert report["translate_test"]["untranslated"] == 0
    res = CliRunner().invoke(cli, [
        "selftrain", "predict", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "ens.jsonl"),
        "--model", str(ner_models[0]), "--model", str(ner_models[1]),
        "--translate-test", "apertium", "-s", "xx", "-t", "en",
        "--translate-test-model", str(ner_models[0]), "--score"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert "f1" in json.dumps(report["scores"])
    assert len(list(read_corpus(tmp_path / "ens.jsonl"))) == 6
    res = CliRunner().invoke(cli, [
        "selftrain", "predict", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "x.jsonl"),
        "--model", str(ner_models[0]), "--model", str(ner_models[1]),
        "--translate-test", "apertium", "-s", "xx", "-t", "en"])
    assert res.exit_code == 2 and "--translate-test-model" in res.output


def test_a_round_with_the_translate_test_teacher_writes_its_pseudo_labels(
        ner_models, data, tmp_path, fake_mt, tiny_xlmr, one_thread):
    rc = SelfTrainConfig(train=cfg(tiny_xlmr, epochs=1), rounds=1, teacher="translate-test",
                         select={"mode": "threshold", "threshold": 0.0},
                         translate_test={"source_model": str(ner_models[1]),
                                         "src_lang": "xx"})
    summary = self_train([data / "train.jsonl"], [data / "pool.jsonl"], tmp_path / "run", rc)
    pred = list(read_corpus(tmp_path / "run" / "round-1" / "predictions.jsonl"))
    pool = [Sentence.model_validate(r) for r in toy_corpus(10, 2, labeled=False)]
    expect = TranslateTestPredictor(ner_models[1], spec()).predict(pool)
    assert [[(s.start, s.end, s.label) for s in p.spans] for p in pred] == \
        [[(s.start, s.end, s.label) for s in e.spans] for e in expect]
    assert any(p.spans for p in pred)
    sel = json.loads((tmp_path / "run" / "round-1" / "selection.json").read_text())
    assert sel["teacher"] == "translate-test" and sel["translate_test"]["sentences"] == 10
    assert summary["rounds"][1]["pseudo_sentences"] == sel["kept_sentences"] > 0


def test_the_ensemble_teacher_votes_with_the_weights_it_is_given(
        ner_models, data, tmp_path, fake_mt, tiny_xlmr, one_thread):
    # weight 0 for the round's own model: in a vote per span only translate-test's spans win
    r = CliRunner().invoke(cli, [
        "selftrain", "run", str(tmp_path / "run"), "--source", str(data / "train.jsonl"),
        "--unlabeled", str(data / "pool.jsonl"), "--model", str(tiny_xlmr), "--epochs", "8",
        "--rounds", "1", "--threshold", "0.0", "--teacher", "ensemble",
        "--translate-test-model", str(ner_models[1]), "--src-lang", "xx",
        "--weight", "0", "--weight", "1", "--combine", "span"])
    assert r.exit_code == 0, r.output
    pred = list(read_corpus(tmp_path / "run" / "round-1" / "predictions.jsonl"))
    pool = [Sentence.model_validate(x) for x in toy_corpus(10, 2, labeled=False)]
    spans = lambda sents: [[(s.start, s.end, s.label) for s in x.spans] for x in sents]  # noqa
    members = [get_task("ner").load(tmp_path / "run" / "round-0" / "model"),
               TranslateTestPredictor(ner_models[1], spec())]
    alone = spans(members[1].predict(pool))
    assert spans(pred) == alone and any(alone)
    # the same members with equal weights vote otherwise: the weights were used
    assert spans(EnsemblePredictor(members, "ner", combine="span").predict(pool)) != alone
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["config"]["ensemble"] == {"weights": [0.0, 1.0], "combine": "span"}


@pytest.mark.parametrize("settings, message", [
    ({"ensemble": {"weights": [1, 2]}}, "teacher: ensemble"),       # set but unused
    ({"teacher": "ensemble", "ensemble": {"weights": [1]}}, "at least 2"),
    ({"teacher": "ensemble", "ensemble": {"weights": [0, 0]}}, "not all 0"),
    ({"teacher": "ensemble", "train": {"task": "pos"}, "ensemble": {"combine": "span"}},
     "combine: word"),
])
def test_ensemble_teacher_settings_that_cannot_work_are_refused(settings, message):
    from pydantic import ValidationError
    tt_model = {"translate_test": {"source_model": "x", "src_lang": "es"}}
    with pytest.raises(ValidationError, match=message):
        SelfTrainConfig(**settings, **tt_model)


def test_a_teacher_other_than_self_needs_its_model():
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="translate_test"):
        SelfTrainConfig(teacher="ensemble")
    with pytest.raises(ValidationError, match="taggers"):
        SelfTrainConfig(train={"task": "dep"}, teacher="ensemble",
                        translate_test={"source_model": "x", "src_lang": "es"})


@pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium is not installed")
def test_translate_test_through_apertium_spa_eng(ner_models, tiny_xlmr, one_thread):
    from xlie.aligners import Aligner
    s = TranslateTestSpec(backend="apertium", src_lang="es", tgt_lang="en",
                          aligner=Aligner(str(tiny_xlmr), layer=2), cache=False)
    try:
        teacher = TranslateTestPredictor(ner_models[0], s)
        sents = [Sentence(id="a", tokens="Maria vive en Berlin .".split()),
                 Sentence(id="b", tokens="Peter dijo que la Comisión está en París .".split())]
        got = teacher.predict(sents)
    except Exception as e:   # an Apertium without spa-eng
        if "spa" in str(e) or "mode" in str(e).lower():
            pytest.skip(f"apertium spa-eng is not usable here: {e}")
        raise
    assert [g.tokens for g in got] == [x.tokens for x in sents]
    assert teacher.report.untranslated == 0 and teacher.report.words == 14


def test_translate_test_projects_a_parser_s_trees_back(tiny_bert, test_data, tmp_path,
                                                        one_thread):
    import torch

    from xlie.formats.conllu import read_conllu
    from xlie.selftrain.parser_train import train_parser
    gold = sorted(list(read_conllu(test_data / "pud" / "en.conllu"))[:60],
                  key=lambda s: len(s.tokens))[:6]
    torch.manual_seed(0)
    train_parser(gold, tmp_path / "parser", tiny_bert, epochs=2, batch_size=6, lr=1e-3,
                 head_lr=5e-3, arc_dim=16, rel_dim=8)
    s = TranslateTestSpec(backend=EchoBackend(), src_lang="xx", tgt_lang="en",
                          aligner=MatchAligner(), cache=False)
    teacher = TranslateTestPredictor(tmp_path / "parser", s)
    plain = [Sentence(id=g.id, tokens=g.tokens) for g in gold]
    got = teacher.predict(plain)
    words = teacher.translate(plain)
    direct = get_task("dep").load(tmp_path / "parser").predict(
        [Sentence(id=p.id, tokens=w) for p, w in zip(plain, words)])
    same = [k for k, (p, w) in enumerate(zip(plain, words)) if p.tokens == w]
    assert same   # the echo 'translation' keeps most sentences' words as they were
    import unicodedata

    def punct(w):
        return all(unicodedata.category(c)[0] == "P" for c in w)
    for k in same:   # one-to-one links: the tree comes back as the parser gave it (tree
        # projection re-attaches punctuation by its own rule)
        words_ = [j for j, w in enumerate(got[k].tokens) if not punct(w)]
        assert [got[k].heads[j] for j in words_] == [direct[k].heads[j] for j in words_]
        assert [got[k].deprels[j] for j in words_] == [direct[k].deprels[j] for j in words_]
    rep = teacher.report.to_dict()
    assert rep["trees"]["sentences"] == len(plain)
    assert rep["trees"]["arcs"] == sum(h is not None for g in got for h in g.heads)


def test_cli_run_teacher_options_reach_the_settings(data, tmp_path, ner_models, monkeypatch):
    seen = {}

    def fake_self_train(source, unlabeled, run_dir, cfg, **kw):
        seen["cfg"] = cfg
        return {"rounds": [], "final_model": "round-0/model"}
    monkeypatch.setattr("xlie.selftrain.rounds.self_train", fake_self_train)
    args = ["selftrain", "run", str(tmp_path / "run"), "--source", str(data / "train.jsonl"),
            "--unlabeled", str(data / "pool.jsonl"), "--rounds", "1"]
    res = CliRunner().invoke(cli, args + ["--teacher", "ensemble"])
    assert res.exit_code == 2 and "translate_test" in res.output
    res = CliRunner().invoke(cli, args + ["--teacher", "ensemble", "--translate-test-model",
                                          str(ner_models[0]), "-s", "es"])
    assert res.exit_code == 0, res.output
    tt_cfg = seen["cfg"].translate_test
    assert seen["cfg"].teacher == "ensemble" and tt_cfg.source_model == str(ner_models[0])
    assert (tt_cfg.backend, tt_cfg.src_lang, tt_cfg.tgt_lang) == ("apertium", "es", "en")
