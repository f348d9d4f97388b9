"""Scores of a tagger against gold sentences: seqeval entity F1 (NER), accuracy (POS)."""
from __future__ import annotations

from typing import Sequence

from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from ..corpus import Sentence, has_tag
from ..formats.iob import spans_to_tags
from .health import label_shares
from .predict import Tagger


def ner_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Entity-level precision/recall/F1 (seqeval, conlleval-style) in percent."""
    gold, pred = [list(g) for g in gold], [list(p) for p in pred]
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    pct = lambda x: round(100 * float(x), 2)
    per_type = {k: {"f1": pct(v["f1-score"]), "support": int(v["support"])}
                for k, v in report.items() if not k.endswith(" avg")}
    return {"f1": pct(f1_score(gold, pred, zero_division=0)),
            "precision": pct(precision_score(gold, pred, zero_division=0)),
            "recall": pct(recall_score(gold, pred, zero_division=0)),
            "per_type": per_type, "sentences": len(gold)}


def pos_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Accuracy in percent over words with a gold tag."""
    pairs = [(g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps) if has_tag(g)]
    acc = 100 * sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0
    return {"accuracy": round(acc, 2), "words": len(pairs), "sentences": len(gold)}


def evaluate(tagger: Tagger, sentences: Sequence[Sentence]) -> dict:
    """Score the tagger on gold sentences (empty ones are left out); ``top_label`` says how
    much of the predictions the most predicted label takes (see :mod:`.health`)."""
    sents = [s for s in sentences if s.tokens]
    preds = tagger.predict_words([s.tokens for s in sents])
    if tagger.labels.task == "pos":
        gold = [s.tags or [] for s in sents]
        scores = pos_scores(gold, [p.labels for p in preds])
    else:
        gold = [spans_to_tags(len(s.tokens), [(x.start, x.end, x.label) for x in s.spans],
                              overlaps="first") for s in sents]
        scores = ner_scores(gold, [p.labels for p in preds])
    scores["top_label"] = label_shares(gold, [p.labels for p in preds])
    return scores


def main_score(task: str, scores: dict) -> float:
    """The figure early stopping maximises."""
    return scores["accuracy"] if task == "pos" else scores["f1"]
