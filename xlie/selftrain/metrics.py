"""Scores of a tagger against gold sentences, through ``xlie.scoring`` (fractions, as every
scorer of xlie returns): seqeval entity P/R/F1 (NER), accuracy (POS), trigger and
trigger + class P/R/F1 (event, ``scoring_events``)."""
from __future__ import annotations

from typing import Sequence

from ..corpus import Sentence
from ..formats.iob import spans_to_tags
from ..scoring import main_score, ner_scores, pos_scores
from .health import label_shares
from .predict import Tagger

__all__ = ["evaluate", "main_score"]


def evaluate(tagger: Tagger, sentences: Sequence[Sentence]) -> dict:
    """Score the tagger on gold sentences (empty ones are left out); ``top_label`` says how
    much of the predictions the most predicted label takes (see :mod:`.health`)."""
    sents = [s for s in sentences if s.tokens]
    preds = tagger.predict_words([s.tokens for s in sents])
    if tagger.labels.task == "pos":
        gold = [s.tags or [] for s in sents]
        scores = pos_scores(gold, [p.labels for p in preds])
    elif tagger.labels.task == "event":
        from ..formats.iob import tags_to_spans
        from ..scoring_events import trigger_scores, triggers
        gold = [spans_to_tags(len(s.tokens), [(x.start, x.end, x.label) for x in triggers(s)],
                              overlaps="first") for s in sents]
        scores = trigger_scores({(k, x.start, x.end, x.label) for k, s in enumerate(sents)
                                 for x in triggers(s)},
                                {(k, a, b, lab) for k, p in enumerate(preds)
                                 for a, b, lab in tags_to_spans(p.labels)})
    else:
        gold = [spans_to_tags(len(s.tokens), [(x.start, x.end, x.label) for x in s.spans],
                              overlaps="first") for s in sents]
        scores = ner_scores(gold, [p.labels for p in preds])
    return {**scores, "sentences": len(sents),
            "top_label": label_shares(gold, [p.labels for p in preds])}
