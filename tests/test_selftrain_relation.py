"""Relation classifier of marked pairs on a tiny random encoder: labels, metric, training,
saving and loading, CLI."""
from __future__ import annotations

import json
import random

import torch
from click.testing import CliRunner

from xlie.cli import cli as main
from xlie.corpus import Sentence, Span
from xlie.formats.relx import read_relx
from xlie.selftrain.config import TaggerTrainConfig
from xlie.selftrain.relation import (RelationClassifier, directed_label, marked_words,
                                     relx_f1, train_relation)

NAMES = ["Anna", "Boris", "Clara", "David", "Erik", "Fiona"]
ORGS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay"]


def toy_relx(path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for k in range(n):
        p, o = rng.choice(NAMES), rng.choice(ORGS)
        kind = k % 3
        if kind == 0:
            text, label = f"<e1> {p} </e1> works for <e2> {o} </e2> .", "per:employee_of(e1,e2)"
        elif kind == 1:
            text, label = f"<e1> {o} </e1> employs <e2> {p} </e2> .", "per:employee_of(e2,e1)"
        else:
            text, label = f"<e1> {p} </e1> met <e2> {o} </e2> .", "no_relation"
        lines.append(f'{k}\t"{text}"\n{label}\n\n\n')
    path.write_text("".join(lines))


def sent(label: str, head_is_e2: bool = False, directed: bool = True) -> Sentence:
    rel = {"label": label, "head": "b" if head_is_e2 else "a", "tail": "a" if head_is_e2 else "b"}
    if not directed:
        rel["directed"] = False
    return Sentence(id="s", tokens=["x", "y", "z"], relations=[rel],
                    spans=[Span(start=0, end=1, label="E1", id="a"),
                           Span(start=2, end=3, label="E2", id="b")])


def test_labels_markers_and_the_relx_metric():
    assert directed_label(sent("org:founded_by", head_is_e2=True)) == "org:founded_by(e2,e1)"
    assert directed_label(sent("no_relation", directed=False)) == "no_relation"
    assert marked_words(sent("r")) == ["<e1>", "x", "</e1>", "y", "<e2>", "z", "</e2>"]
    gold = [sent("emp"), sent("emp", True), sent("founded"), sent("no_relation", directed=False)]
    pred = [sent("emp"), sent("emp"), sent("no_relation", directed=False), sent("founded")]
    m = relx_f1(gold, pred)
    # emp: 1 right of 2 predicted and 2 gold (the direction counts) -> 0.5; founded -> 0
    assert m["per_relation"] == {"emp": 0.5, "founded": 0.0} and m["macro_f1"] == 0.25


def test_saved_classifier_loads_to_the_same_outputs(tiny_xlmr, tmp_path):
    toy_relx(tmp_path / "t.txt", 6, 0)
    sents = list(read_relx(tmp_path / "t.txt"))
    clf = RelationClassifier.new(str(tiny_xlmr), ["no_relation", "r(e1,e2)", "r(e2,e1)"], 64)
    torch.nn.init.normal_(clf.model.head.weight, std=1.0)
    before = torch.stack(clf.probabilities(sents))
    clf.save(tmp_path / "m")
    after = torch.stack(RelationClassifier.load(tmp_path / "m").probabilities(sents))
    assert torch.allclose(before, after, atol=1e-5)
    assert before.std(0).sum() > 0   # the outputs depend on the sentence


def test_training_learns_and_predict_adds_a_scored_relation(tiny_xlmr, tmp_path):
    toy_relx(tmp_path / "train.txt", 48, 0)
    toy_relx(tmp_path / "dev.txt", 12, 1)
    cfg = TaggerTrainConfig(model=str(tiny_xlmr), task="relation", epochs=6, batch_size=8,
                            lr=2e-3, warmup_ratio=0.0, max_length=64)
    model_dir, m = train_relation([tmp_path / "train.txt"], tmp_path / "out", cfg,
                                  dev=tmp_path / "dev.txt", test=tmp_path / "dev.txt")
    assert m["data"]["source"] == 48 and len(m["labels"]) == 3
    assert sum(m["loss_last"]) / len(m["loss_last"]) < sum(m["loss_first"]) / len(m["loss_first"])
    assert m["test"]["macro_f1"] > 0.5   # keyword relations: learnable from the words
    r = CliRunner().invoke(main, ["selftrain", "predict", str(tmp_path / "dev.txt"), "-o",
                                  str(tmp_path / "pred.jsonl"), "--model", str(model_dir),
                                  "--score"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert all(len(x["relations"]) == 1 and 0 < x["relations"][0]["score"] <= 1 for x in recs)
    r = CliRunner().invoke(main, ["selftrain", "predict", str(tmp_path / "dev.txt"), "-o",
                                  str(tmp_path / "pred.out"), "--format", "relx", "--model",
                                  str(model_dir)])
    assert r.exit_code == 0, r.output
    assert len(list(read_relx(tmp_path / "pred.out"))) == 12


def test_rounds_for_relations_say_they_are_not_there_yet(tmp_path):
    import pytest
    from xlie.errors import XlieError
    from xlie.selftrain.config import SelfTrainConfig
    from xlie.selftrain.rounds import self_train
    cfg = SelfTrainConfig.model_validate({"train": {"task": "relation"}, "rounds": 1})
    with pytest.raises(XlieError, match="not there yet for relations"):
        self_train([], [], tmp_path / "run", cfg)
