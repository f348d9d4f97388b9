"""xlie's span projection: score candidate target spans for every source span of a sentence,
then give out target spans best-first so projected spans never overlap (unless their source
spans do) and two mentions of one name go to two different places."""
from __future__ import annotations

from ..corpus import Span
from .candidates import candidates, plausible_length
from .edges import grow
from .links import Links
from .options import ProjectionOptions
from .phrases import grow_pair
from .result import LENGTH_RATIO, OVERLAP, UNALIGNED, WEAK, Projected

MAX_CANDIDATES = 10


def _overlap(a: int, b: int, c: int, d: int) -> bool:
    return a < d and c < b


def _free(x: int, y: int, src: Span, taken: list[tuple[int, int, Span]]) -> bool:
    """Target words ``x:y`` overlap no span given out so far, except ones whose source spans
    overlap ``src`` too (nested event arguments may nest in the target as well)."""
    return not any(_overlap(x, y, a, b) and not _overlap(src.start, src.end, s.start, s.end)
                   for a, b, s in taken)


def _fits(g: tuple[int, int], src: Span, taken: list[tuple[int, int, Span]],
          opts: ProjectionOptions) -> bool:
    """A grown span still overlaps nothing given out and has a plausible length."""
    return _free(*g, src, taken) and plausible_length(src.end - src.start, g[1] - g[0],
                                                      opts.max_len_ratio)


def _unlinked_edge(links: Links, tokens: list[str], first: int, stop: int, step: int) -> list[str]:
    """The source words from ``first`` (towards ``stop``) that in a row have no link."""
    out = []
    for i in range(first, stop, step):
        if i in links.fwd:
            break
        out.append(tokens[i])
    return out


def _groups(js: list[int]) -> int:
    js = sorted(js)
    return 1 + sum(1 for x, y in zip(js, js[1:]) if y > x + 1)


def project_spans(spans: list[Span], links: Links, tgt_tokens: list[str],
                  opts: ProjectionOptions, src_tokens: list[str] = (),
                  src_fw: frozenset[str] = frozenset(), tgt_fw: frozenset[str] = frozenset(),
                  pairs: frozenset[tuple[str, str]] = frozenset(), **_) -> list[Projected]:
    results = [Projected(s) for s in spans]
    pool = []  # (score per source word, span index, candidate): strong short claims first
    for k, span in enumerate(spans):
        cands, rejected = candidates(span, list(src_tokens), tgt_tokens, links, opts,
                                     src_fw, tgt_fw)
        if not cands:
            linked = links.targets(span.start, span.end)
            results[k].reason = UNALIGNED if not linked else (LENGTH_RATIO if rejected else WEAK)
            continue
        n = span.end - span.start
        pool += [(c.score / n, k, c) for c in cands[:MAX_CANDIDATES]]
    pool.sort(key=lambda x: (-x[0], x[1], x[2].start))
    taken: list[tuple[int, int, Span]] = []
    for _, k, c in pool:
        res = results[k]
        if res.start is not None:
            continue
        src = spans[k]
        if not _free(c.start, c.end, src, taken):
            continue
        start, end = c.start, c.end
        if opts.grow:
            toks = list(src_tokens)
            g = grow(tgt_tokens, start, end, _unlinked_edge(links, toks, src.start, src.end, 1),
                     _unlinked_edge(links, toks, src.end - 1, src.start - 1, -1),
                     lambda j: not links.aligned_target(j), tgt_fw,
                     inside=lambda j: links.outside(j, src.start, src.end) == 0.0)
            if _fits(g, src, taken, opts):
                start, end = g
        if opts.grow_pairs and pairs:
            g = grow_pair(tgt_tokens, start, end, lambda j: not links.aligned_target(j), pairs)
            if _fits(g, src, taken, opts):
                start, end = g
        res.start, res.end, res.score, res.how = start, end, c.confidence, c.how
        linked = links.targets(src.start, src.end)
        res.split = bool(linked) and _groups(list(linked)) > 1
        taken.append((start, end, src))
    for k, res in enumerate(results):
        if res.start is None and res.reason is None:
            res.reason = OVERLAP
    return results
