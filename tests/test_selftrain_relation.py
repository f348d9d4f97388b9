"""Relation classifier of marked pairs on a tiny random encoder: labels, metric, training,
saving and loading, CLI."""
from __future__ import annotations

import json
import random

import pytest
import torch
from click.testing import CliRunner

from xlie.cli import cli as main
from xlie.corpus import Sentence, Span
from xlie.formats.relx import read_relx
from xlie.selftrain.config import train_settings
from xlie.selftrain.relation import RelationClassifier, directed_label, marked_words, relx_f1
from xlie.selftrain.relation_train import train_relation

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
    cfg = train_settings(model=str(tiny_xlmr), task="relation", epochs=6, batch_size=8,
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


def test_select_pairs_by_threshold_and_by_share_of_each_label():
    from xlie.selftrain.config import SelectConfig
    from xlie.selftrain.relation_train import select_pairs
    def scored(label, score, head_is_e2=False):
        s = sent(label, head_is_e2)
        return s.model_copy(update={"relations": [{**s.relations[0], "score": score}]})
    pred = [scored("emp", 0.95), scored("emp", 0.5), scored("emp", 0.7, True),
            scored("founded", 0.2), scored("founded", 0.3), sent("emp")]   # the last: no score
    kept, stats = select_pairs(pred, SelectConfig(mode="threshold", threshold=0.6))
    assert [s.relations[0]["score"] for s in kept] == [0.95, 0.7] and stats["candidates"] == 5
    kept, stats = select_pairs(pred, SelectConfig(mode="top", top_fraction=0.5))
    assert sorted(s.relations[0]["score"] for s in kept) == [0.3, 0.7, 0.95]
    assert stats["per_label"] == {"emp(e1,e2)": 1, "emp(e2,e1)": 1, "founded(e1,e2)": 1}


def test_a_self_training_round_trains_on_confident_pseudo_pairs(tiny_xlmr, tmp_path):
    from xlie.selftrain.config import SelfTrainConfig
    from xlie.selftrain.rounds import self_train
    toy_relx(tmp_path / "train.txt", 24, 0)
    toy_relx(tmp_path / "text.txt", 12, 2)
    cfg = SelfTrainConfig.model_validate({
        "train": {"task": "relation", "model": str(tiny_xlmr), "epochs": 2, "batch_size": 8,
                  "lr": 2e-3, "max_length": 64},
        "rounds": 1, "select": {"mode": "threshold", "threshold": 0.0}, "init": "previous"})
    summary = self_train([tmp_path / "train.txt"], [tmp_path / "text.txt"], tmp_path / "run",
                         cfg, test=tmp_path / "train.txt")
    assert [r["round"] for r in summary["rounds"]] == [0, 1]
    assert summary["rounds"][1]["selection"]["kept"] == 12
    assert summary["rounds"][1]["data"] == {"source": 24, "silver": 12}
    pseudo = [json.loads(x) for x in (tmp_path / "run/round-1/pseudo.jsonl").read_text().splitlines()]
    assert all(0 < p["relations"][0]["score"] <= 1 for p in pseudo)
    assert (tmp_path / "run" / summary["final_model"] / "xlie-relation.json").is_file()


def test_split_encoder_equals_the_whole_encoder_and_computes_each_input_once(tiny_xlmr):
    from transformers import AutoModel, AutoTokenizer
    from xlie.selftrain.frozen import SplitEncoder
    enc, tok = AutoModel.from_pretrained(tiny_xlmr).eval(), AutoTokenizer.from_pretrained(tiny_xlmr)
    batch = tok(["Anna works", "Boris met Clara at Acme ."], padding=True, return_tensors="pt")
    whole = enc(**batch).last_hidden_state
    real = batch["attention_mask"].bool()
    for k in (1, 3, 4):
        split = SplitEncoder(enc, k, tok.pad_token_id)
        assert torch.allclose(split(batch["input_ids"], batch["attention_mask"])[real],
                              whole[real], atol=1e-5)
    calls = []
    split = SplitEncoder(AutoModel.from_pretrained(tiny_xlmr).eval(), 2, tok.pad_token_id)
    split._compute = lambda ids, mask, f=split._compute: calls.append(len(ids)) or f(ids, mask)
    split.lower(batch["input_ids"], batch["attention_mask"])
    split.lower(batch["input_ids"][:1], batch["attention_mask"][:1])   # a padded copy: cached
    assert calls == [2] and len(split.cache) == 2
    assert not any(p.requires_grad for p in split.layers[1].parameters())
    assert all(p.requires_grad for p in split.layers[2].parameters())


def test_freeze_layers_default_and_explicit(tiny_xlmr):
    assert train_settings(task="relation").frozen_layers(12) == 6      # all but the top 6
    assert train_settings(task="relation", freeze_layers=0).frozen_layers(12) == 0
    assert train_settings(task="relation", freeze_layers=30).frozen_layers(12) == 12
    assert train_settings(task="relation").frozen_layers(2) == 0
    # the relation task's own learning rate unless the user gives one
    assert train_settings(task="relation").lr == 3e-4
    assert train_settings(task="relation", lr=1e-5).lr == 1e-5


def test_frozen_training_learns_and_leaves_the_lower_layers_as_they_were(tiny_xlmr, tmp_path):
    from transformers import AutoModel
    toy_relx(tmp_path / "train.txt", 48, 0)
    toy_relx(tmp_path / "dev.txt", 12, 1)
    cache: dict = {}
    # no epochs: the step budget sets them (the default settings have max_steps only)
    cfg = train_settings(model=str(tiny_xlmr), task="relation", max_steps=36, batch_size=8,
                            lr=2e-3, warmup_ratio=0.0, max_length=64, freeze_layers=3)
    model_dir, m = train_relation([tmp_path / "train.txt"], tmp_path / "out", cfg,
                                  test=tmp_path / "dev.txt", feature_cache=cache)
    assert m["frozen_layers"] == 3 and m["epochs"] == 6 and m["step"] == 36
    texts = {tuple(marked_words(s)) for f in ("train.txt", "dev.txt")
             for s in read_relx(tmp_path / f)}
    assert len(cache) == len(texts)      # states of each distinct sentence, computed once
    assert m["test"]["macro_f1"] > 0.5
    base, trained = AutoModel.from_pretrained(tiny_xlmr), AutoModel.from_pretrained(model_dir)
    same = lambda name: torch.equal(base.state_dict()[name], trained.state_dict()[name])
    assert same("encoder.layer.2.output.dense.weight")
    assert same("embeddings.word_embeddings.weight")
    assert not same("encoder.layer.3.output.dense.weight")


def test_cli_freeze_layers_reaches_the_relation_trainer(tiny_xlmr, tmp_path):
    toy_relx(tmp_path / "train.txt", 16, 0)
    r = CliRunner().invoke(main, ["selftrain", "train", str(tmp_path / "train.txt"), "-o",
                                  str(tmp_path / "out"), "--model", str(tiny_xlmr), "--task",
                                  "relation", "--freeze-layers", "1", "--max-steps", "2"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["frozen_layers"] == 1


@pytest.mark.slow   # the default budget is 800 steps: ~30 s on a tiny model
def test_the_default_command_learns(tiny_xlmr, tmp_path):
    """`xlie selftrain train --task relation` with data, model and output only: the step
    budget sets the epochs, and the classifier learns more than the majority label."""
    toy_relx(tmp_path / "train.txt", 48, 0)
    toy_relx(tmp_path / "dev.txt", 12, 1)
    r = CliRunner().invoke(main, ["selftrain", "train", str(tmp_path / "train.txt"), "-o",
                                  str(tmp_path / "out"), "--model", str(tiny_xlmr), "--task",
                                  "relation"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["selftrain", "predict", str(tmp_path / "dev.txt"), "-o",
                                  str(tmp_path / "pred.jsonl"), "--model",
                                  str(tmp_path / "out" / "model")])
    assert r.exit_code == 0, r.output
    pred = [json.loads(x) for x in (tmp_path / "pred.jsonl").read_text().splitlines()]
    gold = list(read_relx(tmp_path / "dev.txt"))
    from xlie.corpus import Sentence as S
    m = relx_f1(gold, [S.model_validate(p) for p in pred])
    assert m["macro_f1"] > 0.5
    assert len({directed_label(S.model_validate(p)) for p in pred}) == 3   # every label


def test_without_dev_a_slice_of_the_source_chooses_the_epoch(tiny_bert, tmp_path):
    from xlie.selftrain.config import train_settings
    from xlie.selftrain.relation_train import train_relation
    toy_relx(tmp_path / "train.txt", 120, 0)
    cfg = train_settings(model=str(tiny_bert), task="relation", epochs=2, batch_size=16)
    _, m = train_relation([tmp_path / "train.txt"], tmp_path / "out", cfg)
    assert m["dev_set"] == {"kind": "held-out", "from": "source", "sentences": 30, "of": 120}
    assert m["data"]["source"] == 90
    assert all(h["dev_macro_f1"] is not None for h in m["history"])
    assert m["best"] == max(h["dev_macro_f1"] for h in m["history"])
