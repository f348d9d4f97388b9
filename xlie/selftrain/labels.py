"""Label maps for token classification: IOB2 tags from spans (NER) or tags as given (POS).

A tagger predicts one label per word. For NER the labels are ``O`` plus ``B-X``/``I-X`` for
each entity type X; spans and tags convert through ``xlie.formats.iob`` (its lenient decoder
reads a stray ``I-X`` as the start of an entity, as conlleval and seqeval do).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Task = Literal["ner", "pos", "event"]
OUTSIDE = "O"


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
        return label[2:] if self.task != "pos" and label != OUTSIDE else label
