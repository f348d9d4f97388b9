"""The typed summary of a run that the report page shows (filled by collect.py and
predictions.py, drawn by page.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

LIMIT = 50_000          # records read of each corpus for the distributions


@dataclass
class StageInfo:
    """One stage folder: done or not, its manifest's figures."""
    name: str
    folder: str
    done: bool
    seconds: Optional[float] = None
    cpu_seconds: Optional[float] = None
    finished: Optional[str] = None
    counts: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    version: Optional[str] = None


@dataclass
class TrainingRun:
    """One trained model's record (``metrics.json``): the curve and the step kept."""
    name: str
    task: str
    losses: list[float]
    dev: list[tuple[int, float]]            # (step, main dev score, a fraction)
    kept_step: Optional[int]
    choice: str
    test_score: Optional[float]             # a fraction
    per_label: dict[str, dict[str, float]]  # NER test scores per entity type
    seconds: Optional[float] = None


@dataclass
class SentenceCase:
    """A sentence drawn on the page: why it was picked, and what the views need."""
    id: str
    why: str
    source: dict[str, Any]                  # a corpus record (tokens, spans, tags, ...)
    target: Optional[dict[str, Any]] = None
    links: list[tuple[int, int, float]] = field(default_factory=list)
    target_tokens: list[str] = field(default_factory=list)
    gold: Optional[dict[str, Any]] = None


@dataclass
class RunSummary:
    """Everything the page shows; each part is empty where the run has none of it."""
    run_dir: Path
    config_text: str
    versions: dict[str, str]
    stages: list[StageInfo]
    task: Optional[str] = None
    mt: dict[str, Any] = field(default_factory=dict)          # tokens, unknown, by_mark, top
    link_probs: list[float] = field(default_factory=list)
    pair_scores: list[float] = field(default_factory=list)
    span_scores: list[float] = field(default_factory=list)
    pseudo_confidence: list[float] = field(default_factory=list)
    loss_reasons: dict[str, int] = field(default_factory=dict)
    loss_by_label: dict[str, dict[str, int]] = field(default_factory=dict)
    trainings: list[TrainingRun] = field(default_factory=list)
    comparison: list[tuple[str, float]] = field(default_factory=list)   # (model, percent)
    label_scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    confusion: Optional[tuple[list[str], list[list[int]]]] = None
    las_by_relation: dict[str, tuple[float, int]] = field(default_factory=dict)
    worst_test: list[SentenceCase] = field(default_factory=list)
    worst_aligned: list[SentenceCase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    limit: int = LIMIT

    def stage(self, name: str) -> Optional[StageInfo]:
        return next((s for s in self.stages if s.name == name), None)

    def folder(self, name: str) -> Optional[Path]:
        st = self.stage(name)
        return self.run_dir / st.folder if st is not None and st.done else None
