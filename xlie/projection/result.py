"""What projecting one source span gave: a target span with a score, or a reason to drop it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..corpus import Span

# reasons a span is dropped, as written in the report
UNALIGNED = "unaligned"            # no word of the span is linked, and no string match
TOO_LONG = "hull_too_long"         # heuristic: first-to-last hull far longer than the links
LENGTH_RATIO = "length_ratio"      # target/source length ratio implausible
WEAK = "weak_links"                # links mostly belong to words outside the span
OVERLAP = "overlap"                # every candidate overlaps a better projected span
LOW_CONFIDENCE = "low_confidence"  # score under the threshold
MARKER_LOST = "marker_lost"        # markers method: the translation lost the span's markers


@dataclass
class Projected:
    """One source span's outcome. ``how``: alignment | string | marker."""

    source: Span
    start: Optional[int] = None
    end: Optional[int] = None
    score: float = 0.0
    how: str = "alignment"
    reason: Optional[str] = None
    split: bool = False  # the span's links fell into separate target groups

    @property
    def ok(self) -> bool:
        return self.reason is None and self.start is not None

    def to_span(self) -> Span:
        extra = {k: v for k, v in self.source.model_dump().items()
                 if k not in ("start", "end", "label", "id", "score")}
        return Span(start=self.start, end=self.end, label=self.source.label, id=self.source.id,
                    score=round(self.score, 4), **extra)
