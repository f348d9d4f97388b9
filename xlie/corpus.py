"""The corpus record passed between stages (DESIGN.md, "Data between stages").

One sentence per JSON line::

    {"id": "s1", "lang": "en", "tokens": ["John", "lives", "in", "Berlin"],
     "spans": [{"start": 0, "end": 1, "label": "PER", "id": "s1-0"},
               {"start": 3, "end": 4, "label": "LOC", "id": "s1-1"}],
     "tags": ["PROPN", "VERB", "ADP", "PROPN"],
     "translation": {"lang": "de", "text": "John wohnt in Berlin",
                     "tokens": ["John", "wohnt", "in", "Berlin"]},
     "alignment": [[0, 0, 0.98], [1, 1, 0.91], [2, 2, 0.95], [3, 3, 0.99]]}

Spans use token offsets with ``end`` exclusive. Stages add keys; unknown keys are kept.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

UNLABELED = "_"   # the tag of a word that has none (CoNLL-U's empty column); losses skip it


def has_tag(tag: Optional[str]) -> bool:
    """Whether a word's tag says something (not missing, empty or ``_``)."""
    return tag not in (None, "", UNLABELED)


class Span(BaseModel):
    model_config = ConfigDict(extra="allow")
    start: int = Field(ge=0)
    end: int
    label: str
    id: Optional[str] = None
    score: Optional[float] = None

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(f"span end {self.end} must be greater than start {self.start}")
        return self


class Translation(BaseModel):
    model_config = ConfigDict(extra="allow")
    lang: Optional[str] = None
    text: str
    tokens: list[str] = Field(default_factory=list)


class Sentence(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    lang: Optional[str] = None
    tokens: list[str]
    spans: list[Span] = Field(default_factory=list)
    tags: Optional[list[str]] = None
    relations: Optional[list[dict[str, Any]]] = None
    translation: Optional[Translation] = None
    alignment: Optional[list[tuple[int, int, float]]] = None
    # a dependency tree (xlie.trees): 1-indexed head per word, 0 = root, None = unknown arc;
    # the relation per word ("_" = unknown) and, for silver trees, a confidence per arc
    heads: Optional[list[Optional[int]]] = None
    deprels: Optional[list[str]] = None
    arc_scores: Optional[list[Optional[float]]] = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_to_str(cls, v):
        return str(v) if isinstance(v, int) else v

    @model_validator(mode="after")
    def _within_tokens(self):
        n = len(self.tokens)
        for s in self.spans:
            if s.end > n:
                raise ValueError(f"span {s.start}:{s.end} runs past the {n} tokens")
        if self.tags is not None and len(self.tags) != n:
            raise ValueError(f"{len(self.tags)} tags for {n} tokens")
        for name in ("heads", "deprels", "arc_scores"):
            got = getattr(self, name)
            if got is not None and len(got) != n:
                raise ValueError(f"{len(got)} {name} for {n} tokens")
        if self.heads is not None and any(h is not None and not 0 <= h <= n for h in self.heads):
            raise ValueError(f"heads must be 0 (root) to {n}, or null")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
