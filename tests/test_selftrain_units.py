"""Self-training stage, the parts without training: labels, windows, data checks, selection."""
from __future__ import annotations

import json

import pytest

from xlie.corpus import Sentence
from xlie.errors import ConfigError, InputFormatError
from xlie.config import load_settings
from xlie.selftrain import LabelMap, SelectConfig, SelfTrainConfig, train_settings
from xlie.selftrain.data import DataReport, ExampleBuilder, load_examples
from xlie.selftrain.encode import WindowEncoder, model_limit
from xlie.formats.iob import spans_to_tags, tags_to_spans
from xlie.selftrain.pseudo import select_pseudo_labels


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_spans_iob2_round_trip():
    spans = [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "LOC")]
    tags = spans_to_tags(6, spans, overlaps="first")
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "O"]
    assert tags_to_spans(tags) == spans
    # a stray I- starts an entity, as conlleval reads it
    assert tags_to_spans(["O", "I-ORG", "I-ORG"]) == [(1, 3, "ORG")]


def test_label_map_round_trips_through_id2label():
    lm = LabelMap.build("ner", ["PER", "LOC"])
    assert lm.labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    back = LabelMap.from_id2label("ner", {str(k): v for k, v in lm.id2label.items()})
    assert back == lm
    assert LabelMap.build("pos", ["NOUN", "ADP"]).labels == ["ADP", "NOUN"]


def test_windows_cover_every_word_once_under_the_limit(tiny_xlmr):
    from transformers import AutoConfig, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tiny_xlmr)
    limit = model_limit(tok, AutoConfig.from_pretrained(tiny_xlmr))
    assert limit == 62  # 64 positions minus the XLM-R padding offset
    words = [f"Parliament{i % 7}" if i % 3 else "the" for i in range(200)]
    for context in (True, False):
        enc = WindowEncoder(tok, limit, context=context)
        wins = enc.windows(words)
        assert len(wins) > 3
        assert all(len(w.input_ids) <= limit for w in wins)
        owned = [i for w in wins for i in w.first_of if i is not None]
        assert sorted(owned) == list(range(200))  # each word predicted exactly once
        # the first subword of each owned word is the word's first piece
        pieces = enc.pieces(words)
        for w in wins:
            for pos, i in enumerate(w.first_of):
                if i is not None:
                    assert w.input_ids[pos] == pieces[i][0]


def test_word_without_subwords_still_gets_a_position(tiny_xlmr):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tiny_xlmr)
    enc = WindowEncoder(tok, 62)
    (win,) = enc.windows(["a", "\u200b", "b"])
    assert [i for i in win.first_of if i is not None] == [0, 1, 2]


def _builder(task="ner", types=("LOC", "PER"), **cfg):
    report = DataReport()
    builder = ExampleBuilder(LabelMap.build(task, types), train_settings(task=task, **cfg), report)
    return builder, report


def test_unknown_silver_label_is_an_error_with_file_and_line(tmp_path):
    path = write(tmp_path / "silver.jsonl", [
        {"id": "a", "tokens": ["Anna", "lives"], "spans": [{"start": 0, "end": 1, "label": "PER"}]},
        {"id": "b", "tokens": ["EU", "says"], "spans": [{"start": 0, "end": 1, "label": "ORG"}]}])
    builder, _ = _builder()
    with pytest.raises(InputFormatError) as e:
        load_examples([path], "silver", builder)
    assert f"{path}:2" in str(e.value) and "ORG" in str(e.value)
    assert "unknown_labels=skip" in e.value.hint


def test_unknown_labels_skipped_and_empty_sentences_counted(tmp_path):
    path = write(tmp_path / "silver.jsonl", [
        {"id": "a", "tokens": ["Anna", "lives"], "spans": [{"start": 0, "end": 1, "label": "PER"}]},
        {"id": "b", "tokens": ["EU", "says"], "spans": [{"start": 0, "end": 1, "label": "ORG"}]},
        {"id": "c", "tokens": []}])
    builder, report = _builder(unknown_labels="skip")
    out = load_examples([path], "silver", builder)
    assert [e.id for e in out] == ["a"]
    assert report.to_json()["silver"] == {"read": 3, "kept": 1, "skipped_unknown_label": 1,
                                          "skipped_empty": 1}


def test_low_score_silver_spans_masked_or_dropped(tmp_path):
    rec = {"id": "a", "tokens": ["Anna", "met", "Bob", "in", "Rome"],
           "spans": [{"start": 0, "end": 1, "label": "PER", "score": 0.9},
                     {"start": 2, "end": 3, "label": "PER", "score": 0.2},
                     {"start": 4, "end": 5, "label": "LOC"}]}
    path = write(tmp_path / "silver.jsonl", [rec])
    builder, report = _builder(min_silver_score=0.5)
    (ex,) = load_examples([path], "silver", builder)
    assert ex.labels == ["B-PER", "O", None, "O", "B-LOC"]  # Bob is neither PER nor O
    assert report.to_json()["silver"]["low_score_spans"] == 1
    # gold source data is never filtered by score
    (src,) = load_examples([path], "source", builder)
    assert src.labels == ["B-PER", "O", "B-PER", "O", "B-LOC"]
    builder, report = _builder(min_silver_score=0.5, low_score="drop")
    assert load_examples([path], "silver", builder) == []
    assert report.to_json()["silver"]["dropped_low_score"] == 1


def test_pos_unaligned_tags_are_ignored(tmp_path):
    path = write(tmp_path / "pos.jsonl", [{"id": "a", "tokens": ["Die", "Katze", "."],
                                           "tags": ["DET", "_", "PUNCT"]}])
    builder, _ = _builder("pos", ("DET", "NOUN", "PUNCT"))
    (ex,) = load_examples([path], "silver", builder)
    assert ex.labels == ["DET", None, "PUNCT"]


def test_config_errors_name_the_key(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("train:\n  epochs: 2\n  epoch: 3\n")
    with pytest.raises(ConfigError) as e:
        load_settings(SelfTrainConfig, cfg)
    assert "train.epoch" in str(e.value) and str(cfg) in str(e.value)
    ok = load_settings(SelfTrainConfig, None, ["train.epochs=4", "select.mode=top", "rounds=3"])
    assert (ok.train.epochs, ok.select.mode, ok.rounds) == (4, "top", 3)
    sched = SelfTrainConfig(schedule=[SelectConfig(threshold=0.95), SelectConfig(threshold=0.8)])
    assert [sched.select_for(k).threshold for k in (1, 2, 3)] == [0.95, 0.8, 0.8]


def _predicted():
    """Tagger output for three sentences: spans with scores, tag_scores per word."""
    return [
        Sentence(id="0", tokens=["Anna", "visited", "Rome"], tag_scores=[0.97, 0.99, 0.6],
                 spans=[{"start": 0, "end": 1, "label": "PER", "score": 0.97},
                        {"start": 2, "end": 3, "label": "LOC", "score": 0.6}]),
        Sentence(id="1", tokens=["the", "Union", "Bank"], tag_scores=[0.95, 0.7, 0.8],
                 spans=[{"start": 1, "end": 3, "label": "ORG", "score": 0.75}]),
        Sentence(id="2", tokens=["so", "it", "goes"], tag_scores=[0.5, 0.4, 0.3]),
    ]


def test_threshold_selection_keeps_exactly_the_confident_units():
    kept, stats = select_pseudo_labels(_predicted(), "ner", SelectConfig(threshold=0.9))
    assert [s.id for s in kept] == ["0", "1"]  # sentence 2 has nothing confident
    a, b = kept
    assert [(x.start, x.end, x.label) for x in a.spans] == [(0, 1, "PER")]
    assert a.label_mask == [True, True, False]       # Rome (0.6) left out, not made O
    assert b.spans == [] and b.label_mask == [True, False, False]
    assert stats["per_label"]["LOC"] == {"candidates": 1, "kept": 0}
    assert stats["kept_units"] == 3 and stats["dropped_sentences"] == 1


def test_top_fraction_per_label_does_not_starve_rare_labels():
    kept, stats = select_pseudo_labels(_predicted(), "ner", SelectConfig(mode="top", top_fraction=0.5))
    # every label keeps ceil(half) of its units: LOC and ORG keep their single low-score span
    assert {k: v["kept"] for k, v in stats["per_label"].items()} == {"LOC": 1, "O": 3, "ORG": 1, "PER": 1}
    spans = {(s.id, x.label) for s in kept for x in s.spans}
    assert spans == {("0", "PER"), ("0", "LOC"), ("1", "ORG")}
    # O keeps its three best words of six: visited .99, the .95, so .5
    masks = {s.id: s.label_mask for s in kept}
    assert masks["2"] == [True, False, False]


def test_pos_selection_and_min_labeled():
    sents = [Sentence(id="0", tokens=["a", "b"], tags=["DET", "NOUN"], tag_scores=[0.99, 0.5])]
    kept, _ = select_pseudo_labels(sents, "pos", SelectConfig(threshold=0.9))
    assert kept[0].label_mask == [True, False] and kept[0].tags == ["DET", "NOUN"]
    kept, stats = select_pseudo_labels(sents, "pos", SelectConfig(threshold=0.9, min_labeled=0.6))
    assert kept == [] and stats["dropped_sentences"] == 1


def test_freeze_layers_fixes_embeddings_and_the_lowest_layers(tiny_bert):
    from transformers import AutoModelForTokenClassification
    from xlie.selftrain.trainer import freeze
    model = AutoModelForTokenClassification.from_pretrained(tiny_bert, num_labels=3)
    freeze(model, train_settings(model=str(tiny_bert), freeze_layers=2))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any(".embeddings." in n or ".layer.0." in n or ".layer.1." in n for n in trainable)
    assert any(".layer.2." in n for n in trainable) and "classifier.weight" in trainable


def test_head_learning_rate_applies_to_the_new_head_only(tiny_bert):
    from transformers import AutoModelForTokenClassification
    from xlie.selftrain.trainer import param_groups
    model = AutoModelForTokenClassification.from_pretrained(tiny_bert, num_labels=3)
    groups = param_groups(model, train_settings(model=str(tiny_bert), lr=1e-4, head_lr=1e-2))
    head = {id(model.classifier.weight), id(model.classifier.bias)}
    for g in groups:
        ids = {id(p) for p in g["params"]}
        assert ids <= head if g["lr"] == 1e-2 else not ids & head
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_nothing_usable_to_train_on_is_a_clear_error(tmp_path):
    from xlie.errors import XlieError
    from xlie.selftrain import train
    path = write(tmp_path / "empty.jsonl", [{"id": "a", "tokens": []}, {"id": "b", "tokens": []}])
    with pytest.raises(XlieError) as e:
        train([path], tmp_path / "out", train_settings(model="unused", labels=["PER"]))
    assert "no usable training sentence" in str(e.value) and '"skipped_empty": 2' in e.value.hint
    with pytest.raises(XlieError, match="no such file"):
        train([tmp_path / "missing.jsonl"], tmp_path / "out", train_settings(model="unused"))
