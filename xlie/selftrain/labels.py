"""Label maps for token classification: IOB2 tags from spans (NER) or tags as given (POS).

A tagger predicts one label per word. For NER the labels are ``O`` plus ``B-X``/``I-X`` for
each entity type X; spans come back out of a tag sequence through seqeval's own entity
decoder, which reads a stray ``I-X`` as the start of an entity, as conlleval does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from seqeval.metrics.sequence_labeling import get_entities

Task = Literal["ner", "pos"]
OUTSIDE = "O"


def spans_to_iob2(n_tokens: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """``[(start, end, label)]`` (end exclusive) -> IOB2 tags. Overlapping spans: the first
    one wins (a tagger cannot represent nesting); callers count such conflicts beforehand."""
    tags = [OUTSIDE] * n_tokens
    for start, end, label in spans:
        if any(t != OUTSIDE for t in tags[start:end]):
            continue
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def iob2_to_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """IOB2 tags -> ``[(start, end, label)]`` with ``end`` exclusive (seqeval's decoder)."""
    return [(s, e + 1, label) for label, s, e in get_entities(list(tags))]


def overlapping(spans: Sequence[tuple[int, int, str]]) -> bool:
    """True when two spans share a token."""
    ordered = sorted(spans)
    return any(b[0] < a[1] for a, b in zip(ordered, ordered[1:]))


@dataclass(frozen=True)
class LabelMap:
    """The label inventory of a tagger: ``types`` are entity types (NER) or tags (POS)."""

    task: Task
    types: tuple[str, ...]

    @classmethod
    def build(cls, task: Task, types: Iterable[str]) -> "LabelMap":
        return cls(task, tuple(sorted(set(types))))

    @property
    def labels(self) -> list[str]:
        """The classifier's classes, in id order."""
        if self.task == "pos":
            return list(self.types)
        return [OUTSIDE] + [f"{p}-{t}" for t in self.types for p in ("B", "I")]

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    @classmethod
    def from_id2label(cls, task: Task, id2label: dict) -> "LabelMap":
        """Rebuild from a saved model config (``id2label`` keys may be strings)."""
        labels = [id2label[k] for k in sorted(id2label, key=int)]
        if task == "pos":
            return cls(task, tuple(labels))
        return cls(task, tuple(sorted({lab[2:] for lab in labels if lab != OUTSIDE})))

    def selection_label(self, label: str) -> str:
        """The class a predicted label belongs to for per-label selection (``B-PER`` -> PER)."""
        return label[2:] if self.task == "ner" and label != OUTSIDE else label
