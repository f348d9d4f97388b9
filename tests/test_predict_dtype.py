"""`xlie selftrain predict --dtype bf16|int8` on tiny models: the same sentences and tags out,
probabilities close to fp32's, the model really converted, fp32 after one warning line
where a dtype cannot be had."""
from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from test_selftrain_train import cfg, toy_corpus
from xlie.cli import cli
from xlie.formats.jsonl import read_corpus, write_jsonl
from xlie.models.quantize import for_inference
from xlie.selftrain import Tagger, train


@pytest.fixture(scope="module")
def tagger_dir(tiny_xlmr, tmp_path_factory):
    d = tmp_path_factory.mktemp("dtype-tagger")
    write_jsonl(d / "train.jsonl", toy_corpus(48, 0))
    write_jsonl(d / "dev.jsonl", toy_corpus(12, 1))
    train([d / "train.jsonl"], d / "run", cfg(tiny_xlmr, epochs=3), dev=d / "dev.jsonl")
    return d


def _predict(d, name, *extra):
    out = d / f"{name}.jsonl"
    r = CliRunner().invoke(cli, ["selftrain", "predict", str(d / "dev.jsonl"), "-o", str(out),
                                 "--model", str(d / "run" / "model"), "--score", *extra])
    assert r.exit_code == 0, r.output
    return list(read_corpus(out)), r.stderr


@pytest.mark.parametrize("dtype", ["int8", "bf16"])
def test_tagger_predict_with_dtype_keeps_sentences_and_is_close(tagger_dir, dtype):
    ref, _ = _predict(tagger_dir, "fp32")
    got, err = _predict(tagger_dir, dtype, "--dtype", dtype)
    assert "warning" not in err and '"f1"' in err
    assert [s.id for s in got] == [s.id for s in ref]
    assert all(len(a.tag_scores) == len(b.tag_scores) == len(a.tokens) for a, b in zip(ref, got))
    diff = max(abs(x - y) for a, b in zip(ref, got) for x, y in zip(a.tag_scores, b.tag_scores))
    assert diff < 0.15
    assert diff > 0        # the model did run in another precision


def test_int8_tagger_has_quantized_linears_and_bf16_weights(tagger_dir):
    int8 = Tagger.load(tagger_dir / "run" / "model", device="cpu", dtype="int8")
    kinds = {type(m).__module__ for m in int8.model.modules()}
    assert any("quantized" in k for k in kinds)
    assert not any(type(m) is torch.nn.Linear for m in int8.model.modules())
    bf16 = Tagger.load(tagger_dir / "run" / "model", device="cpu", dtype="bf16")
    assert next(bf16.model.parameters()).dtype == torch.bfloat16


def test_fp16_on_cpu_runs_fp32_after_one_warning(tagger_dir):
    ref, _ = _predict(tagger_dir, "fp32")
    got, err = _predict(tagger_dir, "fp16", "--dtype", "fp16")
    assert [line for line in err.splitlines() if line.startswith("warning")] == [
        "warning: fp16 runs on a GPU only; running in fp32 (on a CPU use --dtype bf16 or int8)"]
    assert [s.tag_scores for s in got] == [s.tag_scores for s in ref]


def test_a_model_that_does_not_quantize_stays_fp32(monkeypatch):
    seen = []
    model = torch.nn.Sequential(torch.nn.Linear(4, 4))

    def broken(_model):
        raise RuntimeError("no int8 kernel here")
    monkeypatch.setattr("xlie.models.quantize.quantize_linear_int8", broken)
    assert for_inference(model, "int8", "cpu", warn=seen.append) is model
    assert len(seen) == 1 and "no int8 kernel here" in seen[0] and "fp32" in seen[0]


@pytest.mark.parametrize("dtype", ["int8", "bf16"])
def test_parser_and_relation_classifier_load_with_dtype(tiny_bert, tiny_xlmr, test_data,
                                                        tmp_path, dtype):
    from xlie.formats.conllu import read_conllu
    from xlie.formats.relx import read_relx
    from test_selftrain_relation import toy_relx
    from xlie.selftrain.parser import Parser, relations_of
    from xlie.selftrain.relation import RelationClassifier
    from xlie.trees import is_tree

    gold = sorted(list(read_conllu(test_data / "pud" / "en.conllu"))[:24],
                  key=lambda s: len(s.tokens))[:6]
    torch.manual_seed(0)
    Parser.from_encoder(tiny_bert, relations_of(gold), arc_dim=32, rel_dim=8).save(tmp_path / "p")
    ref = Parser.load(tmp_path / "p").predict(gold)
    got = Parser.load(tmp_path / "p", dtype).predict(gold)
    assert all(is_tree(p.heads) for p in got)
    assert [len(p.arc_scores) for p in got] == [len(p.arc_scores) for p in ref]
    assert max(abs(x - y) for a, b in zip(ref, got) for x, y in zip(a.arc_scores, b.arc_scores)) < 0.1

    toy_relx(tmp_path / "t.txt", 6, 0)
    sents = list(read_relx(tmp_path / "t.txt"))
    clf = RelationClassifier.new(str(tiny_xlmr), ["no_relation", "r(e1,e2)", "r(e2,e1)"], 64)
    torch.nn.init.normal_(clf.model.head.weight, std=1.0)
    clf.save(tmp_path / "r")
    before = torch.stack(RelationClassifier.load(tmp_path / "r").probabilities(sents))
    after = torch.stack(RelationClassifier.load(tmp_path / "r", dtype).probabilities(sents))
    assert after.dtype == torch.float32 and torch.allclose(before, after, atol=0.1)
    assert json.dumps([len(s.relations) for s in RelationClassifier.load(
        tmp_path / "r", dtype).predict(sents)]) == json.dumps([1] * len(sents))
