"""Word links of one sentence pair, indexed both ways, with their probabilities."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable


@dataclass
class Links:
    """Source word i -> target word j with probability p (1.0 when the aligner gave none)."""

    n_src: int
    n_tgt: int
    fwd: dict[int, dict[int, float]] = field(default_factory=dict)  # i -> {j: p}
    bwd: dict[int, dict[int, float]] = field(default_factory=dict)  # j -> {i: p}

    @classmethod
    def from_triples(cls, triples: Iterable, n_src: int, n_tgt: int) -> "Links":
        """Build from ``(i, j)`` or ``(i, j, p)``; an index out of range raises ValueError."""
        links = cls(n_src, n_tgt)
        for t in triples:
            i, j = int(t[0]), int(t[1])
            p = float(t[2]) if len(t) > 2 and t[2] is not None else 1.0
            if not (0 <= i < n_src and 0 <= j < n_tgt):
                raise ValueError(f"link {i}-{j} is outside the {n_src} source and {n_tgt} "
                                 "target words")
            if not -1e-6 <= p <= 1 + 1e-6:   # nan fails too; float rounding is let through
                raise ValueError(f"link {i}-{j} has probability {p}, not between 0 and 1")
            p = max(0.0, min(1.0, p))
            if p > links.fwd.get(i, {}).get(j, -1.0):
                links.fwd.setdefault(i, {})[j] = p
                links.bwd.setdefault(j, {})[i] = p
        return links

    def targets(self, start: int, end: int) -> dict[int, float]:
        """Target words linked to source words ``start:end``, with their best probability."""
        out: dict[int, float] = {}
        for i in range(start, end):
            for j, p in self.fwd.get(i, {}).items():
                out[j] = max(out.get(j, 0.0), p)
        return out

    def outside(self, j: int, start: int, end: int, weights: dict[int, float] | None = None) -> float:
        """Best probability of a link from target word j to a source word outside ``start:end``;
        ``weights`` scales the links of some source words (function words count less)."""
        w = weights or {}
        return max((p * w.get(i, 1.0) for i, p in self.bwd.get(j, {}).items()
                    if not start <= i < end), default=0.0)

    def aligned_target(self, j: int) -> bool:
        return j in self.bwd
