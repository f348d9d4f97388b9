"""Scorers for projected data against target-language gold.

NER: entity-level precision, recall and F1, strict (an entity counts only when start, end
and type all match, as seqeval's strict mode and conlleval), per type and micro-averaged.
POS: UPOS accuracy on the tokens that received a tag, and coverage (the share that did).
Sentences are paired by id when every predicted id is a gold id (a gold sentence with no
prediction then counts as all missed), else by position.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from ..corpus import UNLABELED, Sentence, has_tag
from ..errors import XlieError
from ..formats.detect import read_any


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold, "predicted": n_pred}


def pair_sentences(gold: list[Sentence], pred: list[Sentence]) -> list[tuple[Sentence, Sentence | None]]:
    by_id = {s.id: s for s in gold}
    if len(by_id) == len(gold) and all(p.id in by_id for p in pred):
        found = {p.id: p for p in pred}
        pairs = [(g, found.get(g.id)) for g in gold]
    elif len(gold) == len(pred):
        pairs = list(zip(gold, pred))
    else:
        raise XlieError(f"cannot pair {len(pred)} predicted sentences with {len(gold)} gold "
                        "ones: the ids differ and so do the counts",
                        "score files made from the same sentences, in the same order")
    for g, p in pairs:
        if p is not None and len(p.tokens) != len(g.tokens):
            raise XlieError(f"sentence {g.id}: {len(p.tokens)} predicted tokens but "
                            f"{len(g.tokens)} gold tokens",
                            "project onto the gold tokenization to score")
    return pairs


def score_ner(pairs: Iterable[tuple[Sentence, Sentence | None]]) -> dict[str, Any]:
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for g, p in pairs:
        gold = {(s.start, s.end, s.label) for s in g.spans}
        pred = {(s.start, s.end, s.label) for s in (p.spans if p else [])}
        for s in gold:
            n_gold[s[2]] += 1
        for s in pred:
            n_pred[s[2]] += 1
            tp[s[2]] += s in gold
    per_type = {t: _prf(tp[t], n_pred[t], n_gold[t]) for t in sorted(set(n_gold) | set(n_pred))}
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return {"micro": micro, "per_type": per_type}


def score_pos(pairs: Iterable[tuple[Sentence, Sentence | None]]) -> dict[str, Any]:
    total = labeled = correct = 0
    for g, p in pairs:
        gold = g.tags or []
        pred = (p.tags if p is not None else None) or [UNLABELED] * len(gold)
        for gt, pt in zip(gold, pred):
            total += 1
            if has_tag(pt):
                labeled += 1
                correct += pt == gt
    return {"accuracy": correct / labeled if labeled else 0.0,
            "coverage": labeled / total if total else 0.0,
            "accuracy_all_tokens": correct / total if total else 0.0,
            "tokens": total, "labeled": labeled}


def evaluate(gold: str | Path | list[Sentence], pred: str | Path | list[Sentence],
             task: str = "auto", gold_format: str | None = None,
             pred_format: str | None = None) -> dict[str, Any]:
    """Score ``pred`` against ``gold``; ``task`` is ner, pos or auto (what gold has)."""
    gold = list(read_any(gold, gold_format)) if isinstance(gold, (str, Path)) else list(gold)
    pred = list(read_any(pred, pred_format)) if isinstance(pred, (str, Path)) else list(pred)
    pairs = pair_sentences(gold, pred)
    out: dict[str, Any] = {"sentences": len(pairs),
                           "sentences_missing": sum(p is None for _, p in pairs)}
    has_tags = any(g.tags for g in gold)
    if task in ("ner", "auto") and (task == "ner" or not has_tags or any(g.spans for g in gold)):
        out["ner"] = score_ner(pairs)
    if task in ("pos", "auto") and has_tags:
        out["pos"] = score_pos(pairs)
    if task not in ("ner", "pos", "auto"):
        raise XlieError(f"unknown task {task!r}", "choose ner, pos or auto")
    return out


def format_scores(scores: dict[str, Any]) -> str:
    """A small table for the terminal."""
    lines = [f"{scores['sentences']} sentences"
             + (f" ({scores['sentences_missing']} without prediction)"
                if scores.get("sentences_missing") else "")]
    if "ner" in scores:
        lines.append(f"{'type':<8} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'pred':>6}")
        rows = list(scores["ner"]["per_type"].items()) + [("micro", scores["ner"]["micro"])]
        for t, s in rows:
            lines.append(f"{t:<8} {100 * s['precision']:6.2f} {100 * s['recall']:6.2f} "
                         f"{100 * s['f1']:6.2f} {s['support']:6d} {s['predicted']:6d}")
    if "pos" in scores:
        s = scores["pos"]
        lines.append(f"UPOS accuracy {100 * s['accuracy']:.2f} on {s['labeled']} labeled tokens, "
                     f"coverage {100 * s['coverage']:.2f} of {s['tokens']}")
    return "\n".join(lines)
