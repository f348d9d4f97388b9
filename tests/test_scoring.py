"""xlie.scoring: one NER/POS scorer for projection, the tagger and the pipeline, in fractions."""
import random

import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from xlie.corpus import Sentence, Span
from xlie.formats.iob import spans_to_tags
from xlie.scoring import main_score, ner_scores, percent, pos_scores, score_ner


def test_tag_sequences_score_as_seqeval_reads_them():
    """Stray I- tags (a tagger's output) start entities, as seqeval's default mode says."""
    rng = random.Random(3)
    tags = ["O", "O", "B-PER", "I-PER", "I-LOC", "B-LOC", "B-ORG", "I-ORG"]
    gold = [[rng.choice(tags) for _ in range(rng.randint(1, 12))] for _ in range(80)]
    pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in g] for g in gold]
    ours = ner_scores(gold, pred)
    assert ours["micro"]["f1"] == pytest.approx(f1_score(gold, pred))
    assert ours["micro"]["precision"] == pytest.approx(precision_score(gold, pred))
    assert ours["micro"]["recall"] == pytest.approx(recall_score(gold, pred))
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    for t, s in ours["per_type"].items():
        assert s["f1"] == pytest.approx(report[t]["f1-score"])
        assert s["support"] == report[t]["support"]
    assert 0 < ours["micro"]["f1"] < 1 and main_score("ner", ours) == ours["micro"]["f1"]


def test_spans_and_their_tags_score_the_same():
    gold = [Sentence(id="a", tokens=["w"] * 6, spans=[Span(start=0, end=2, label="PER"),
                                                       Span(start=3, end=4, label="LOC")])]
    pred = [Sentence(id="a", tokens=["w"] * 6, spans=[Span(start=0, end=2, label="PER"),
                                                       Span(start=4, end=6, label="LOC")])]
    as_tags = [spans_to_tags(6, [(s.start, s.end, s.label) for s in x.spans])
               for x in (gold[0], pred[0])]
    assert score_ner(zip(gold, pred)) == ner_scores([as_tags[0]], [as_tags[1]])
    assert percent(score_ner(zip(gold, pred))["micro"]["f1"]) == 50.0


def test_pos_counts_only_gold_tagged_words():
    s = pos_scores([["DET", "_", "NOUN", "VERB"]], [["DET", "X", "VERB", None]])
    assert (s["tokens"], s["labeled"]) == (3, 2)
    assert s["accuracy"] == 0.5 and s["coverage"] == pytest.approx(2 / 3)
    assert main_score("pos", s) == 0.5
