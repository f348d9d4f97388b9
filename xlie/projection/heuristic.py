"""The seed pipeline's projection (Yarmohammadi et al. 2021), kept as the baseline.

A source span goes to the target words from the first to the last one linked to any of its
words. It is dropped when none is linked, or when that hull is far longer than the linked
words (more than ``max_hull_ratio`` times their number). Overlaps are not looked at when
projecting; to give taggable output the later of two overlapping spans is dropped.
"""
from __future__ import annotations

from ..corpus import Span
from .links import Links
from .options import ProjectionOptions
from .result import OVERLAP, TOO_LONG, UNALIGNED, Projected


def project_heuristic(spans: list[Span], links: Links, tgt_tokens: list[str],
                      opts: ProjectionOptions, **_) -> list[Projected]:
    out: list[Projected] = []
    for span in spans:
        linked = links.targets(span.start, span.end)
        if not linked:
            out.append(Projected(span, reason=UNALIGNED))
            continue
        a, b = min(linked), max(linked) + 1
        if b - a > opts.max_hull_ratio * len(linked):
            out.append(Projected(span, reason=TOO_LONG))
            continue
        score = sum(linked.values()) / len(linked)
        out.append(Projected(span, a, b, score, split=b - a > len(linked)))
    taken: list[Projected] = []
    for p in sorted((p for p in out if p.ok), key=lambda p: (p.source.start, p.source.end)):
        if any(p.start < q.end and q.start < p.end for q in taken):
            p.reason = OVERLAP
        else:
            taken.append(p)
    return out
