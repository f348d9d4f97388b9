"""Spans read from marker-based translation (EasyProject style): the translate stage wrapped
each source span in markers, translated, and wrote where the markers landed as
``translation.spans`` (offsets on ``translation.tokens``, each with its source span ``id``);
spans whose markers did not survive are listed in ``translation.markers_lost``. Those are
projected through the alignment instead when there is one (``marker_fallback``)."""
from __future__ import annotations

from typing import Any

from ..corpus import Span
from .links import Links
from .options import ProjectionOptions
from .result import MARKER_LOST, Projected
from .spans import project_spans


def marker_spans(translation: Any) -> dict[str, tuple[int, int]]:
    """``source span id -> (start, end)`` on the translation tokens, from ``translation.spans``."""
    found: dict[str, tuple[int, int]] = {}
    n = len(getattr(translation, "tokens", None) or [])
    for rec in getattr(translation, "spans", None) or []:
        rec = rec if isinstance(rec, dict) else dict(rec)
        sid, a, b = rec.get("id"), rec.get("start"), rec.get("end")
        if sid is None or not isinstance(a, int) or not isinstance(b, int) or not 0 <= a < b <= n:
            continue
        found[str(sid)] = (a, b)
    return found


def project_markers(spans: list[Span], links: Links | None, tgt_tokens: list[str],
                    opts: ProjectionOptions, translation: Any = None, **kw) -> list[Projected]:
    found = marker_spans(translation)
    results: list[Projected] = []
    lost: list[int] = []
    for k, span in enumerate(spans):
        if span.id is not None and span.id in found:
            a, b = found[span.id]
            results.append(Projected(span, a, b, 1.0, how="marker"))
        else:
            results.append(Projected(span, reason=MARKER_LOST))
            lost.append(k)
    if lost and opts.marker_fallback and links is not None:
        taken = [(r.start, r.end) for r in results if r.ok]
        again = project_spans([spans[k] for k in lost], links, tgt_tokens, opts, **kw)
        for k, res in zip(lost, again):
            if res.ok and not any(res.start < b and a < res.end for a, b in taken):
                results[k] = res
                taken.append((res.start, res.end))
    return results
