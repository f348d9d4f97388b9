"""xlie's span projection: score candidate target spans for every source span of a sentence,
then give out target spans best-first so projected spans never overlap (unless their source
spans do) and two mentions of one name go to two different places."""
from __future__ import annotations

from ..corpus import Span
from .candidates import candidates
from .links import Links
from .options import ProjectionOptions
from .result import LENGTH_RATIO, OVERLAP, UNALIGNED, WEAK, Projected

MAX_CANDIDATES = 6


def _overlap(a: int, b: int, c: int, d: int) -> bool:
    return a < d and c < b


def _groups(js: list[int]) -> int:
    js = sorted(js)
    return 1 + sum(1 for x, y in zip(js, js[1:]) if y > x + 1)


def project_spans(spans: list[Span], links: Links, tgt_tokens: list[str],
                  opts: ProjectionOptions, src_tokens: list[str] = (),
                  src_fw: frozenset[str] = frozenset(), tgt_fw: frozenset[str] = frozenset(),
                  **_) -> list[Projected]:
    results = [Projected(s) for s in spans]
    pool = []  # (score, span index, candidate)
    for k, span in enumerate(spans):
        cands, rejected = candidates(span, list(src_tokens), tgt_tokens, links, opts,
                                     src_fw, tgt_fw)
        if not cands:
            linked = links.targets(span.start, span.end)
            results[k].reason = UNALIGNED if not linked else (LENGTH_RATIO if rejected else WEAK)
            continue
        pool += [(c.score, k, c) for c in cands[:MAX_CANDIDATES]]
    pool.sort(key=lambda x: (-x[0], x[1], x[2].start))
    taken: list[tuple[int, int, Span]] = []
    for _, k, c in pool:
        res = results[k]
        if res.start is not None:
            continue
        src = spans[k]
        if any(_overlap(c.start, c.end, a, b) and not _overlap(src.start, src.end, s.start, s.end)
               for a, b, s in taken):
            continue
        res.start, res.end, res.score, res.how = c.start, c.end, c.confidence, c.how
        linked = links.targets(src.start, src.end)
        res.split = bool(linked) and _groups(list(linked)) > 1
        taken.append((c.start, c.end, src))
    for k, res in enumerate(results):
        if res.start is None and res.reason is None:
            res.reason = OVERLAP
    return results
