"""Scorers: strict entity-level P/R/F1 (checked against seqeval) and UPOS accuracy/coverage."""
from __future__ import annotations

import random

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

from xlie.corpus import Sentence, Span
from xlie.errors import XlieError
from xlie.formats.iob import spans_to_tags
from xlie.scoring import evaluate, pair_sentences, score_ner, score_pos


def sent(sid, n, spans, tags=None):
    return Sentence(id=sid, tokens=["w"] * n, tags=tags,
                    spans=[Span(start=a, end=b, label=l) for a, b, l in spans])


def _random_spans(rng, n):
    spans, i = [], 0
    while i < n:
        if rng.random() < 0.3:
            j = min(n, i + rng.randint(1, 3))
            spans.append((i, j, rng.choice(["PER", "LOC", "ORG"])))
            i = j
        i += 1
    return spans


def test_ner_scores_match_seqeval_strict():
    rng = random.Random(7)
    gold, pred = [], []
    for k in range(60):
        n = rng.randint(3, 15)
        g = _random_spans(rng, n)
        p = [s for s in g if rng.random() < 0.7] + [s for s in _random_spans(rng, n)
                                                   if rng.random() < 0.3]
        p = sorted(set(p))
        clean = []
        for s in p:  # keep predictions taggable (no overlaps)
            if all(s[1] <= c[0] or c[1] <= s[0] for c in clean):
                clean.append(s)
        gold.append(sent(str(k), n, g))
        pred.append(sent(str(k), n, clean))
    ours = score_ner(pair_sentences(gold, pred))["micro"]
    y_true = [spans_to_tags(len(s.tokens), [(x.start, x.end, x.label) for x in s.spans]) for s in gold]
    y_pred = [spans_to_tags(len(s.tokens), [(x.start, x.end, x.label) for x in s.spans]) for s in pred]
    assert ours["f1"] == pytest.approx(f1_score(y_true, y_pred, mode="strict", scheme=IOB2))
    assert ours["precision"] == pytest.approx(precision_score(y_true, y_pred, mode="strict",
                                                              scheme=IOB2))
    assert ours["recall"] == pytest.approx(recall_score(y_true, y_pred, mode="strict", scheme=IOB2))
    assert 0.3 < ours["f1"] < 0.95


def test_ner_per_type_and_partial_matches_count_as_wrong():
    gold = [sent("a", 5, [(0, 2, "PER"), (3, 4, "LOC")])]
    pred = [sent("a", 5, [(0, 1, "PER"), (3, 4, "LOC")])]
    s = score_ner(pair_sentences(gold, pred))
    assert s["per_type"]["LOC"]["f1"] == 1.0 and s["per_type"]["PER"]["f1"] == 0.0
    assert s["micro"]["precision"] == 0.5 and s["micro"]["recall"] == 0.5


def test_missing_predictions_count_as_missed_when_paired_by_id():
    gold = [sent("a", 2, [(0, 1, "PER")]), sent("b", 2, [(1, 2, "LOC")])]
    pred = [sent("b", 2, [(1, 2, "LOC")])]
    s = evaluate(gold, pred)
    assert s["sentences_missing"] == 1 and s["ner"]["micro"]["recall"] == 0.5
    assert s["ner"]["micro"]["precision"] == 1.0


def test_pairing_errors_are_clear():
    with pytest.raises(XlieError, match="tokens"):
        pair_sentences([sent("a", 2, [])], [sent("a", 3, [])])
    with pytest.raises(XlieError, match="cannot pair"):
        pair_sentences([sent("a", 2, [])], [sent("x", 2, []), sent("y", 2, [])])


def test_pos_accuracy_on_labeled_tokens_and_coverage():
    gold = [sent("a", 4, [], ["DET", "NOUN", "VERB", "PUNCT"])]
    pred = [sent("a", 4, [], ["DET", "VERB", "VERB", "_"])]
    s = score_pos(pair_sentences(gold, pred))
    assert s["accuracy"] == pytest.approx(2 / 3) and s["coverage"] == 0.75
    assert s["accuracy_all_tokens"] == 0.5
    assert "pos" in evaluate(gold, pred) and "ner" not in evaluate(gold, pred)
