"""Candidate target spans for one source span, and their scores (xlie's method).

A candidate starts and ends on target words linked to the span (or is a string match of
it). Its score rewards source words covered and target words linked to the span, and
charges target words whose links belong to words outside the span and unlinked gaps::

    score = sum_i max_j p(i, j) + sum_j (p_in(j) - weak) - 2 sum_j out(j) - 2 gap * unlinked

with i over the source span, j over the candidate, out(j) = how much more strongly j is
linked outside the span than inside. A link to a source function word or punctuation
counts at ``function_link_weight`` there: in a head-initial phrase the internal function
word is often linked to an article or preposition just outside the span (``politica della
concorrenza`` with "della" - "the" in "the competition policy"), which says little about
where the span ends. A small distortion term breaks ties between copies (a name mentioned
twice) in favour of the one at the matching relative position.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..corpus import Span
from .edges import trim, trimmable
from .links import Links
from .options import ProjectionOptions


@dataclass
class Candidate:
    start: int
    end: int
    score: float
    confidence: float
    how: str = "alignment"


def _evaluate(span: Span, a: int, b: int, links: Links, linked: dict[int, float],
              opts: ProjectionOptions, n_tgt: int, n_src: int,
              weights: dict[int, float] | None = None) -> tuple[float, float]:
    src_cov = sum(max((p for j, p in links.fwd.get(i, {}).items() if a <= j < b), default=0.0)
                  for i in range(span.start, span.end))
    tgt_in = sum(linked[j] - opts.weak_link for j in range(a, b) if j in linked)
    out = sum(max(0.0, links.outside(j, span.start, span.end, weights) - linked.get(j, 0.0))
              for j in range(a, b))
    gaps = sum(1 for j in range(a, b) if not links.aligned_target(j))
    centre_src = (span.start + span.end) / 2 / max(n_src, 1)
    centre_tgt = (a + b) / 2 / max(n_tgt, 1)
    score = src_cov + tgt_in - 2 * out - 2 * opts.gap_cost * gaps - 0.1 * abs(centre_src - centre_tgt)
    confidence = (src_cov / (span.end - span.start)) * (1 - min(1.0, out / (b - a)))
    return score, confidence


def plausible_length(src_len: int, tgt_len: int, ratio: float) -> bool:
    """Too long a target is implausible; a short one is not (compounds: "Committee on
    Industry, ..." is one German word, "Industrieausschuss")."""
    return tgt_len <= ratio * src_len + 1


def string_matches(span: Span, src_tokens: list[str], tgt_tokens: list[str]) -> list[tuple[int, int]]:
    """Where the span's words occur verbatim (case-insensitive) in the target."""
    words = [t.lower() for t in src_tokens[span.start:span.end]]
    if sum(len(w) for w in words) < 2:
        return []
    low = [t.lower() for t in tgt_tokens]
    n = len(words)
    return [(a, a + n) for a in range(len(low) - n + 1) if low[a:a + n] == words]


def between_neighbours(span: Span, links: Links, n_tgt: int) -> tuple[int, int] | None:
    """For a span with no links: the unlinked target words between where its nearest linked
    neighbours went (``the X met`` -> ``der Y traf``), if they are in order."""
    left = next((i for i in range(span.start - 1, -1, -1) if i in links.fwd), None)
    right = next((i for i in range(span.end, links.n_src) if i in links.fwd), None)
    a = max(links.fwd[left], key=links.fwd[left].get) + 1 if left is not None else 0
    b = min(links.fwd[right], key=links.fwd[right].get) if right is not None else n_tgt
    if left is None and right is None or a >= b:
        return None
    if any(links.aligned_target(j) for j in range(a, b)):
        return None
    return a, b


def function_positions(tokens: list[str], words: frozenset[str]) -> set[int]:
    """Positions of punctuation and function words (a sentence-initial one is capitalised)."""
    return {i for i, t in enumerate(tokens) if trimmable(t, words) or (i == 0 and t.lower() in words)}


def content_linked(span: Span, links: Links, src_function: set[int], weak: float) -> set[int]:
    """For each content word of the span, the target word it is best linked to (above
    ``weak``, and linked to nothing outside the span): trimming that word would leave part
    of the entity untranslated, so it stays even when it is frequent (Italian ``paesi`` for
    "States" in "Member States" -> "paesi membri"). A function word that is only a second
    link of a name still goes."""
    keep = set()
    for i in range(span.start, span.end):
        targets = links.fwd.get(i, {})
        if i not in src_function and targets:
            j = max(targets, key=lambda t: (targets[t], -t))
            if targets[j] > weak and links.outside(j, span.start, span.end) == 0.0:
                keep.add(j)
    return keep


def candidates(span: Span, src_tokens: list[str], tgt_tokens: list[str], links: Links,
               opts: ProjectionOptions, src_fw: frozenset[str], tgt_fw: frozenset[str]
               ) -> tuple[list[Candidate], int]:
    """All plausible candidates, best first, and how many were rejected on length."""
    linked = links.targets(span.start, span.end)
    src_function = function_positions(src_tokens, src_fw)
    weights = {i: opts.function_link_weight for i in src_function}
    keep = content_linked(span, links, src_function, opts.weak_link) if opts.keep_linked else set()
    src_len = span.end - span.start
    keep_l = trimmable(src_tokens[span.start], src_fw)
    keep_r = trimmable(src_tokens[span.end - 1], src_fw)
    bounds: set[tuple[int, int]] = set()
    anchors = sorted(linked)
    for x, a in enumerate(anchors):
        for b in anchors[x:]:
            if b - a + 1 <= opts.max_len_ratio * src_len + 1 + 4:  # trimming may shorten it
                bounds.add((a, b + 1))
    matches = set(string_matches(span, src_tokens, tgt_tokens)) if opts.string_match else set()
    out: dict[tuple[int, int], Candidate] = {}
    rejected = 0
    gap = between_neighbours(span, links, len(tgt_tokens)) if opts.neighbours and not linked else None
    if gap is not None:
        a, b = trim(tgt_tokens, *gap, tgt_fw, keep_l, keep_r, keep) if opts.trim else gap
        if plausible_length(src_len, b - a, opts.max_len_ratio) and not (
                opts.trim and all(trimmable(t, tgt_fw) for t in tgt_tokens[a:b])):
            out[(a, b)] = Candidate(a, b, 0.25 * src_len, 0.3, "neighbours")
    for a, b in bounds | matches:
        if opts.trim and (a, b) not in matches:
            a, b = trim(tgt_tokens, a, b, tgt_fw, keep_l, keep_r, keep)
        if opts.trim and not (keep_l or keep_r) and all(
                trimmable(tgt_tokens[j], tgt_fw) and j not in keep for j in range(a, b)):
            continue  # only function words or punctuation left: not a name
        if not plausible_length(src_len, b - a, opts.max_len_ratio):
            rejected += 1
            continue
        score, conf = _evaluate(span, a, b, links, linked, opts, len(tgt_tokens), len(src_tokens),
                                weights)
        how = "alignment"
        if (a, b) in matches:
            score += opts.string_bonus * src_len
            how = "string" if conf == 0 else "alignment+string"
            conf = max(conf, 0.6)
        if score > 0 and ((a, b) not in out or out[(a, b)].score < score):
            out[(a, b)] = Candidate(a, b, score, conf, how)
    return sorted(out.values(), key=lambda c: -c.score), rejected
