"""Keep a tagger's confident predictions as training labels (pseudo-labels).

The unit of selection is what the tagger asserts: for NER each predicted span (its label is
the entity type, its confidence the span score) and each word predicted ``O``; for POS each
word with its tag. ``threshold`` keeps units with confidence >= the threshold; ``top`` keeps,
for every label separately, the most confident ``top_fraction`` of its units (at least one),
so that rare labels keep examples even when their confidences are lower than ``O``'s.

A word a teacher gave no evidence for (translate-test: nothing reached it through a link,
so its tag is ``_`` or its confidence 0) is no unit. Words of units that are not kept are left out of the loss (``label_mask`` false), not
relabeled ``O``; a sentence with no kept word (or fewer than ``min_labeled``) is dropped.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from ..corpus import UNLABELED, Sentence
from .config import SelectConfig
from .labels import OUTSIDE


@dataclass(frozen=True)
class Unit:
    sentence: int
    start: int
    end: int
    label: str
    score: float


def _labels(sent: Sentence, task: str) -> list:
    """The spans that are predictions: all (NER); the triggers (event: the mentions the
    argument head read are input, kept as they are and never pseudo-labels)."""
    if task == "event":
        from ..scoring_events import triggers
        return triggers(sent)
    return list(sent.spans)


def units(sentences: list[Sentence], task: str) -> list[Unit]:
    """Every prediction a pseudo-label could be made of (sentences come from ``Tagger``)."""
    out = []
    for k, s in enumerate(sentences):
        scores = getattr(s, "tag_scores", None) or [1.0] * len(s.tokens)
        if task == "pos":
            out += [Unit(k, i, i + 1, t, scores[i]) for i, t in enumerate(s.tags or [])
                    if t != UNLABELED]
            continue
        covered = set()
        for sp in _labels(s, task):
            out.append(Unit(k, sp.start, sp.end, sp.label,
                            sp.score if sp.score is not None else 1.0))
            covered.update(range(sp.start, sp.end))
        out += [Unit(k, i, i + 1, OUTSIDE, scores[i])
                for i in range(len(s.tokens)) if i not in covered and scores[i] > 0]
    return out


def choose(all_units: list[Unit], select: SelectConfig) -> set[Unit]:
    """The units ``select`` keeps."""
    if select.mode == "threshold":
        return {u for u in all_units if u.score >= select.threshold}
    by_label: dict[str, list[Unit]] = defaultdict(list)
    for u in all_units:
        by_label[u.label].append(u)
    kept: set[Unit] = set()
    for group in by_label.values():
        n = max(1, math.ceil(select.top_fraction * len(group)))
        kept.update(sorted(group, key=lambda u: -u.score)[:n])  # stable: ties keep order
    return kept


def select_pseudo_labels(predicted: list[Sentence], task: str,
                         select: SelectConfig) -> tuple[list[Sentence], dict]:
    """Sentences with only the kept labels (and ``label_mask``), and counts per label."""
    all_units = units(predicted, task)
    kept = choose(all_units, select)
    cand, took = Counter(u.label for u in all_units), Counter(u.label for u in kept)
    per_sentence: dict[int, list[Unit]] = defaultdict(list)
    for u in kept:
        per_sentence[u.sentence].append(u)
    out, dropped = [], 0
    for k, s in enumerate(predicted):
        mine = per_sentence.get(k, [])
        mask = [False] * len(s.tokens)
        for u in mine:
            mask[u.start:u.end] = [True] * (u.end - u.start)
        if not any(mask) or sum(mask) < select.min_labeled * len(mask):
            dropped += 1
            continue
        data = s.to_json()
        data["label_mask"] = mask
        if task in ("ner", "event"):
            keep = {(u.start, u.end, u.label) for u in mine}
            labels = {id(sp) for sp in _labels(s, task)}   # an event's mentions are input
            data["spans"] = [sp.model_dump(exclude_none=True) for sp in s.spans
                             if (sp.start, sp.end, sp.label) in keep or id(sp) not in labels]
            if task == "event" and data.get("events") is not None:   # those of kept triggers
                ids = {str(sp.get("id")) for sp in data["spans"]}
                data["events"] = [e for e in data["events"] if str(e.get("trigger")) in ids]
        out.append(Sentence.model_validate(data))
    stats = {"units": sum(cand.values()), "kept_units": len(kept),
             "per_label": {lab: {"candidates": cand[lab], "kept": took[lab]} for lab in sorted(cand)},
             "sentences": len(predicted), "kept_sentences": len(out), "dropped_sentences": dropped,
             "select": select.model_dump()}
    return out, stats
