"""Ensembles by weighted votes per span: hand-built member outputs where the winner is known
(weights that flip it, an outside vote, a member that abstains, overlaps), the confidences
that come out, and `selftrain predict --combine span --weight ...` end to end."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_selftrain_teachers import (data, fake_mt, inputs, ner_models,  # noqa: F401 (fixtures)
                                     spec)
from translate_helpers import one_thread  # noqa: F401 (a fixture)

from xlie.cli import cli
from xlie.corpus import Sentence
from xlie.errors import XlieError
from xlie.formats.jsonl import read_corpus, write_jsonl
from xlie.selftrain.ensemble import EnsemblePredictor
from xlie.selftrain.span_vote import vote_spans
from xlie.selftrain.tasks import get_task
from xlie.selftrain.translate_test import TranslateTestPredictor

WORDS = "Maria met Peter in Berlin".split()


def out(spans=(), scores=None) -> Sentence:
    """A member's output: spans (start, end, label, score) and per-word confidences."""
    return Sentence(id="s", tokens=WORDS, tag_scores=scores or [0.9] * len(WORDS),
                    spans=[{"start": a, "end": b, "label": lab, "score": c}
                           for a, b, lab, c in spans])


class Fixed:
    """A member that answers with hand-built outputs."""

    def __init__(self, *outputs):
        self.outputs = outputs

    def predict(self, sents):
        return [o.model_copy(update={"id": s.id}) for s, o in zip(sents, self.outputs)]


def test_weights_flip_the_winner_of_a_disputed_span():
    a, b = out([(0, 1, "PER", 0.9)]), out([(0, 1, "ORG", 0.6)])
    kept, _ = vote_spans([a, b], [1, 1])     # one vote each: the surer member wins the tie
    assert kept == [(0, 1, "PER", pytest.approx(0.9 / 2))]
    kept, word = vote_spans([a, b], [1, 2])  # two votes for ORG
    assert kept == [(0, 1, "ORG", pytest.approx(2 * 0.6 / 3))]
    assert word[0] == pytest.approx(0.4)     # a span's words carry its score


def test_members_that_say_outside_vote_against_and_silent_ones_do_not():
    found = out([(4, 5, "LOC", 0.8)])
    sure_o = out([], [0.95] * 5)
    assert vote_spans([found, sure_o], [1, 1])[0] == []     # tie, the O side is surer
    kept, word = vote_spans([found, sure_o], [2, 1])       # the span's member outweighs
    assert kept == [(4, 5, "LOC", pytest.approx(1.6 / 3))]
    assert word[:4] == pytest.approx([(2 * 0.9 + 0.95) / 3] * 4)   # outside: mean O confidence
    silent = out([], [0.95, 0.95, 0.95, 0.95, 0.0])   # no link reached Berlin (translate-test)
    kept, word = vote_spans([found, silent], [1, 1])
    assert kept == [(4, 5, "LOC", pytest.approx(0.8))]   # only the finder spoke there
    nobody = out([], [0.0] * 5)
    assert vote_spans([nobody, nobody], [1, 1])[1] == [0.0] * 5   # no evidence, no confidence


def test_a_majority_beats_a_longer_span_and_an_overlap_is_not_kept_twice():
    long_ = out([(0, 3, "PER", 0.99)])
    short = out([(0, 1, "PER", 0.7), (2, 3, "PER", 0.6)])
    kept, _ = vote_spans([long_, short, short], [1, 1, 1])
    assert [k[:3] for k in kept] == [(0, 1, "PER"), (2, 3, "PER")]
    assert kept[0][3] == pytest.approx(1.4 / 3)
    kept, _ = vote_spans([long_, short, short], [3, 1, 1])   # weights flip it again
    assert [k[:3] for k in kept] == [(0, 3, "PER")]


def test_the_ensemble_predictor_votes_and_scores_like_one_tagger():
    sents = [Sentence(id="x", tokens=WORDS), Sentence(id="y", tokens=WORDS)]
    a = Fixed(out([(0, 1, "PER", 0.9), (4, 5, "LOC", 0.5)]), out([]))
    b = Fixed(out([(0, 1, "PER", 0.7)]), out([(2, 3, "PER", 0.8)]))
    c = Fixed(out([(4, 5, "LOC", 0.9)], [0.0] * 4 + [0.9]), out([], [0.0] * 5))
    got = EnsemblePredictor([a, b, c], "ner", [1, 1, 2], combine="span").predict(sents)
    # x: c is silent on Maria (its mass left out); on Berlin b says O, outvoted 3 to 1
    assert [(s.start, s.end, s.label, s.score) for s in got[0].spans] == \
        [(0, 1, "PER", pytest.approx(1.6 / 2)), (4, 5, "LOC", pytest.approx(2.3 / 4))]
    assert [s.id for s in got[0].spans] == ["x-0", "x-1"]
    # y: b alone found a span; a says O there (0.9), c is silent: a tie, the O side surer;
    # the word's confidence that it is outside: a's 0.9 and b's 0 (it put it in a span)
    assert got[1].spans == [] and got[1].tag_scores[2] == pytest.approx(0.9 / 2)
    assert got[1].tag_scores[0] == pytest.approx(0.9)
    with pytest.raises(XlieError, match="needs spans"):
        EnsemblePredictor([a, b], "pos", combine="span")


def test_span_vote_of_real_taggers_and_translate_test(ner_models, one_thread):
    task = get_task("ner")
    a, b = (task.load(m) for m in ner_models)
    teacher = TranslateTestPredictor(ner_models[0], spec())
    sents = inputs()
    ens = EnsemblePredictor([a, b, teacher], "ner", [1, 1, 2], combine="span")
    got = ens.predict(sents)
    outs = [a.predict(sents), b.predict(sents), teacher.predict(sents)]
    for k, g in enumerate(got):
        kept, word = vote_spans([o[k] for o in outs], [1, 1, 2])
        assert [(s.start, s.end, s.label) for s in g.spans] == [x[:3] for x in kept]
        assert g.tag_scores == pytest.approx(word, abs=1e-5)
    assert "member_2" in ens.report
    assert any(g.spans for g in got)


def test_cli_weights_and_combine(ner_models, tmp_path, fake_mt, one_thread):
    write_jsonl(tmp_path / "in.jsonl", [s.to_json() for s in inputs()])
    base = ["selftrain", "predict", str(tmp_path / "in.jsonl"),
            "--model", str(ner_models[0]), "--model", str(ner_models[1]),
            "--translate-test", "apertium", "-s", "xx", "-t", "en",
            "--translate-test-model", str(ner_models[0])]
    res = CliRunner().invoke(cli, base + ["-o", str(tmp_path / "a.jsonl"), "--combine", "span",
                                          "--weight", "1", "--weight", "1", "--weight", "2"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert "member_2" in report["translate_test"]
    task = get_task("ner")
    members = [task.load(ner_models[0]), task.load(ner_models[1]),
               TranslateTestPredictor(ner_models[0], spec())]
    want = EnsemblePredictor(members, "ner", [1, 1, 2], combine="span").predict(inputs())
    got = list(read_corpus(tmp_path / "a.jsonl"))
    assert [[(s.start, s.end, s.label) for s in g.spans] for g in got] == \
        [[(s.start, s.end, s.label) for s in w.spans] for w in want]
    res = CliRunner().invoke(cli, base + ["-o", str(tmp_path / "b.jsonl"),
                                          "--weight", "1", "--weight", "2"])
    assert res.exit_code == 2 and "2 weights given for 3 ensemble members" in res.output
    assert "--translate-test-model" in res.output and not (tmp_path / "b.jsonl").exists()
    res = CliRunner().invoke(cli, ["selftrain", "predict", str(tmp_path / "in.jsonl"), "-o",
                                   str(tmp_path / "c.jsonl"), "--model", str(ner_models[0]),
                                   "--combine", "span"])
    assert res.exit_code == 2 and "one model was given" in res.output
