"""The default training settings learn, say which tagger they kept, and never collapse
silently (issue #27); on tiny random encoders, so these run in seconds."""
from __future__ import annotations

import json
import logging

import pytest

from test_selftrain_train import toy_corpus
from tiny_models import build_tiny_encoder
from xlie.config import load_settings
from xlie.errors import ConfigError
from xlie.formats.jsonl import write_jsonl
from xlie.selftrain import SelfTrainConfig, train_settings, train
from xlie.selftrain.health import collapse_report, collapsed, label_shares


@pytest.fixture(scope="module")
def small_xlmr(tmp_path_factory):
    """Wider and shallower than ``tiny_xlmr``: random, but its frozen embeddings still give
    the head features to learn from in a few dozen steps."""
    return build_tiny_encoder(tmp_path_factory.mktemp("small-xlmr"), kind="xlmr", hidden=128,
                              layers=2)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("defaults")
    write_jsonl(d / "source.jsonl", toy_corpus(48, 0))
    write_jsonl(d / "silver.jsonl", toy_corpus(120, 7))   # >= 100: a dev slice is held out
    return d


def test_the_defaults_learn_and_report_the_held_out_dev_choice(small_xlmr, data, tmp_path,
                                                               capfd):
    # everything default but the encoder and a short budget (tiny model, few seconds)
    config = train_settings(model=str(small_xlmr), max_steps=30)
    m = train([data / "source.jsonl"], tmp_path / "t", config,
              silver=[data / "silver.jsonl"]).metrics
    losses = m["losses"]
    assert len(losses) == m["step"] >= 10   # the budget, or early stopping after its first quarter
    assert sum(losses[-5:]) / 5 < 0.75 * sum(losses[:5]) / 5
    # no dev set given: 30 silver sentences held out of training, used to choose the tagger
    assert m["dev_set"] == {"kind": "held-out", "from": "silver", "sentences": 30, "of": 120}
    assert m["data"]["silver"]["held_out_for_dev"] == 30
    assert m["data"]["silver"]["kept"] == 90
    best = max(m["dev"], key=lambda d: d["micro"]["f1"])
    assert m["model_choice"]["step"] == best["step"] and m["model_choice"]["dev_score"] > 0.3
    assert not m["collapse"]["collapsed"] and not best["collapsed"]
    err = capfd.readouterr().err
    assert f"kept the tagger of step {best['step']}" in err
    # progress lines without a terminal: step, loss, dev score, elapsed and remaining time
    lines = [ln for ln in err.splitlines() if ln.startswith("train: step")]
    assert len(lines) >= 3
    dev_line = next(ln for ln in lines if "dev F1" in ln)
    assert "loss" in dev_line and "elapsed" in dev_line and "left" in dev_line


def test_a_collapsed_tagger_is_reported_loudly(tiny_xlmr, data, tmp_path, caplog):
    # training sentences that are all O (a silver file without projected spans, say): the
    # tagger learns to say O, and the gold dev set has entities
    write_jsonl(tmp_path / "all-o.jsonl", toy_corpus(48, 3, labeled=False))
    config = train_settings(model=str(tiny_xlmr), max_steps=6, labels=["PER", "LOC", "ORG"])
    with caplog.at_level(logging.WARNING, logger="xlie.selftrain.trainer"):
        m = train([tmp_path / "all-o.jsonl"], tmp_path / "t", config,
                  dev=data / "source.jsonl").metrics
    c = m["collapse"]
    assert c["collapsed"] and c["label"] == "O" and c["predicted_share"] >= 0.98
    assert c["on"] == "dev" and c["gold_share"] < 0.8
    assert "100.0% of its words 'O'" in c["cause"] and "training labels" in c["fix"]
    assert "COLLAPSED TAGGER" in caplog.text and "Setting to change" in caplog.text
    saved = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert saved["collapse"]["collapsed"] and saved["collapse"]["warning"]


def test_collapse_rule_on_label_shares():
    gold = [["O", "B-PER", "O", "B-LOC", "I-LOC", "O"]] * 10
    all_o = [["O"] * 6] * 10
    shares = label_shares(gold, all_o)
    assert shares["label"] == "O" and shares["predicted_share"] == 1.0
    assert shares["gold_share"] == 0.5 and collapsed(shares)
    assert not collapsed(label_shares(gold, gold))
    # gold that is itself all O: predicting O is right, not a collapse
    assert not collapsed(label_shares(all_o, all_o))
    report = collapse_report(shares, "dev", [2.0, 1.5, 1.0, 0.5], train_settings())
    assert "still falling" in report["cause"] and "train.max_steps" in report["fix"]
    report = collapse_report(shares, "dev", [1.0, 1.0, 1.0, 1.0], train_settings())
    assert "stalled" in report["cause"] and "train.head_lr" in report["fix"]
    report = collapse_report(shares, "dev", [1.0, 0.5], train_settings(), train_share=0.99)
    assert "99.0% of its words 'O'" in report["cause"]


def test_defaults_have_an_end_and_no_rounds(tmp_path):
    assert SelfTrainConfig().rounds == 0
    c = train_settings()
    assert c.head_lr > c.lr and c.freeze_embeddings and c.max_steps and c.epochs is None
    with pytest.raises(ConfigError, match="train"):
        load_settings(SelfTrainConfig, overrides=["train.max_steps=null"])
