"""Cut a long pair into smaller pairs by aligning its sentences first.

Contextual vectors of a word change when the encoder sees a whole paragraph instead of its
sentence, and repeated words ('.', 'the', numbers) compete across sentences: a paragraph
aligned as one pair loses ~10 AER points against the same text aligned sentence by sentence.
So a long pair is split into sentences on both sides, each sentence is encoded on its own,
and the sentences are aligned to each other (a Gale-Church-style dynamic programme over
1-1, 1-2, 2-1, 2-2, 1-3, 3-1, 1-0 and 0-1 beads). Each bead is then word-aligned alone.

A bead's score is BERTScore-like: every word adds how much better its best match inside the
bead is than its typical best match in an unrelated sentence (the median over all sentences
of the other side), and each bead with words on both sides earns a small bonus, since
merging sentences can only raise the words' best matches.

Sentence ends come from ``boundaries`` (Unicode's, in every script). Punctuation is
unreliable in real text (a headline without a stop, a list, a side with no stops at all,
'čl . 17'), so it is evidence, not a precondition: after the sentence alignment, ``refine``
cuts a piece again wherever one side ends a sentence and the similarity finds where the
other side's words fall apart, even with no punctuation there.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .band import path_distance

from .boundaries import sentence_ends, sentence_spans  # noqa: F401  (re-exported)

Span = tuple[int, int]
Bead = tuple[Span, Span]          # ((first src sentence, end), (first tgt sentence, end))
Cut = tuple[Span, Span]           # ((src word a, b), (tgt word c, d))

BEADS = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (1, 0), (0, 1))


def _block_max(excess: np.ndarray, size: int) -> np.ndarray:
    """excess: (words, S) -> (words, S): best of ``size`` consecutive sentences from each."""
    out = excess.copy()
    for k in range(1, size):
        out[:, :-k] = np.maximum(out[:, :-k], excess[:, k:])
        out[:, -k:] = -np.inf          # a block running past the last sentence
    return out


class _BeadScorer:
    """Scores of every bead from the (n, m) word similarity of the whole pair."""

    def __init__(self, sim: np.ndarray, src: list[Span], tgt: list[Span]):
        src_starts = [a for a, _ in src]
        tgt_starts = [c for c, _ in tgt]
        row = np.maximum.reduceat(sim, tgt_starts, axis=1)          # (n, T) best per tgt sentence
        col = np.maximum.reduceat(sim, src_starts, axis=0).T        # (m, S) best per src sentence
        row -= np.median(row, axis=1, keepdims=True)                 # excess over unrelated ones
        col -= np.median(col, axis=1, keepdims=True)
        # [size][s, t]: summed over the words of sentence s (t) of their best in a block of
        # `size` sentences starting at t (s)
        self.src_part = {k: np.add.reduceat(_block_max(row, k), src_starts, axis=0) for k in (1, 2, 3)}
        self.tgt_part = {k: np.add.reduceat(_block_max(col, k), tgt_starts, axis=0).T for k in (1, 2, 3)}

    def __call__(self, s: int, t: int, a: int, b: int) -> float:
        """Bead of src sentences s..s+a-1 and tgt sentences t..t+b-1 (a, b >= 1)."""
        return float(self.src_part[b][s:s + a, t].sum() + self.tgt_part[a][s, t:t + b].sum())


def align_sentences(sim: np.ndarray, src: list[Span], tgt: list[Span],
                    bonus: float = 4.0) -> list[Bead]:
    """sim: (n, m) word similarity -> the best monotone bead sequence covering all sentences.
    ``bonus`` is what one more bead with words on both sides is worth, in units of summed
    word excess; a deleted sentence (1-0, 0-1) earns nothing. Only cells near the diagonal
    (in word position) are searched first, so a long document costs O(S * band), not O(S * T)."""
    S, T = len(src), len(tgt)
    score = _BeadScorer(sim, src, tgt)
    n, m = src[-1][1], tgt[-1][1]
    tgt_starts = np.array([c for c, _ in tgt])
    # target sentence where each source sentence boundary falls on the word diagonal
    centre = np.searchsorted(tgt_starts, np.array([0] + [b for _, b in src]) * m / max(n, 1))
    width = max(16, T // 8)
    beads = _search(score, S, T, bonus, [(max(0, c - width), min(T, c + width)) for c in centre])
    if beads is None:    # the band missed the corner: search every cell (deletions reach it)
        beads = _search(score, S, T, bonus, [(0, T)] * (S + 1))
    return beads


def _search(score: _BeadScorer, S: int, T: int, bonus: float,
            rows: list[tuple[int, int]]) -> list[Bead] | None:
    """Dynamic programme over the cells (i, j), j in rows[i]; None if (S, T) is unreachable."""
    best = np.full((S + 1, T + 1), -np.inf)
    back = np.zeros((S + 1, T + 1, 2), dtype=int)
    best[0, 0] = 0.0
    for i, (lo, hi) in enumerate(rows):
        for j in range(lo, hi + 1):
            for a, b in BEADS:
                if i < a or j < b or not np.isfinite(best[i - a, j - b]):
                    continue
                gain = bonus + score(i - a, j - b, a, b) if a and b else 0.0
                if best[i - a, j - b] + gain > best[i, j]:
                    best[i, j] = best[i - a, j - b] + gain
                    back[i, j] = a, b
    if not np.isfinite(best[S, T]):
        return None
    beads: list[Bead] = []
    i, j = S, T
    while i or j:
        a, b = back[i, j]
        beads.append(((i - a, i), (j - b, j)))
        i, j = i - a, j - b
    return beads[::-1]


def merge_deletions(beads: list[Bead]) -> list[Bead]:
    """Join each deleted sentence (a 1-0 or 0-1 bead) to the bead before it (the first
    bead, at the start), so every piece has words on both sides."""
    merged: list[list[int]] = []          # [s0, s1, t0, t1]
    for (s0, s1), (t0, t1) in beads:
        if s1 > s0 and t1 > t0:           # the first full bead also takes what was deleted before it
            merged.append([s0, s1, t0, t1] if merged else [0, s1, 0, t1])
        elif merged:
            merged[-1][1], merged[-1][3] = s1, t1
    return [((s0, s1), (t0, t1)) for s0, s1, t0, t1 in merged]


def word_cuts(beads: list[Bead], src: list[Span], tgt: list[Span]) -> list[Cut]:
    """Sentence ranges of (merged) beads -> word spans of the pieces."""
    return [((src[s0][0], src[s1 - 1][1]), (tgt[t0][0], tgt[t1 - 1][1]))
            for (s0, s1), (t0, t1) in beads]


# What a cut costs by the punctuation at it (boundaries.STRONG, ALT, WEAK, CLAUSE, NONE), in
# units of summed word similarity; a cut needs a sentence end (ALT or better) on one side.
CUT_COSTS = (0.0, 0.5, 1.5, 2.75, 3.0)
EVIDENCE = 1    # boundaries.ALT
FLOOR_QUANTILE = 0.9   # a word's best match in unrelated text: this quantile of its similarities


def split_losses(sim: np.ndarray, src_floor: np.ndarray | None = None,
                 tgt_floor: np.ndarray | None = None) -> np.ndarray:
    """sim: (n, m) of one piece -> (n - 1, m - 1): [i - 1, j - 1] is what its words lose
    when the piece is cut in two before source word i and target word j: each word's best
    match in the whole piece minus its best match in its own half, summed over both sides.
    A word's matches count only above its ``*_floor`` (what it finds in unrelated text), so
    a word with no counterpart loses nothing wherever the cut falls."""
    def side(s: np.ndarray) -> np.ndarray:          # (n, m) -> (n + 1, m - 1), i = 0..n
        best = s.max(axis=1, keepdims=True)
        first = best - np.maximum.accumulate(s, axis=1)[:, :-1]         # j: keeps v < j
        second = best - np.maximum.accumulate(s[:, ::-1], axis=1)[:, ::-1][:, 1:]   # v >= j
        up = np.vstack([np.zeros((1, s.shape[1] - 1)), np.cumsum(first, axis=0)])
        down = np.vstack([np.cumsum(second[::-1], axis=0)[::-1], np.zeros((1, s.shape[1] - 1))])
        return up + down
    n, m = sim.shape
    rows = sim if src_floor is None else np.maximum(sim, src_floor[:, None])
    cols = sim.T if tgt_floor is None else np.maximum(sim.T, tgt_floor[:, None])
    return side(rows)[1:n] + side(cols)[1:m].T


def best_split(sim: np.ndarray, src_ev: np.ndarray, tgt_ev: np.ndarray,
               src_content: np.ndarray, tgt_content: np.ndarray,
               src_floor: np.ndarray | None = None, tgt_floor: np.ndarray | None = None
               ) -> tuple[float, int, int] | None:
    """The cheapest cut of a piece (loss + cost of its punctuation) as (cost, i, j), or None
    where no cut has a sentence end on one side and words on both sides of both halves.
    ``*_ev``: (n + 1,) evidence levels; ``*_content``: (n,) not punctuation only."""
    n, m = sim.shape
    if n < 2 or m < 2:
        return None
    cost = split_losses(sim, src_floor, tgt_floor)
    cs, ct = np.asarray(CUT_COSTS)[src_ev[1:n]], np.asarray(CUT_COSTS)[tgt_ev[1:m]]
    cost = cost + cs[:, None] + ct[None, :]
    allowed = (src_ev[1:n, None] <= EVIDENCE) | (tgt_ev[None, 1:m] <= EVIDENCE)
    for content, axis in ((src_content, 0), (tgt_content, 1)):
        before = np.cumsum(content)[:-1] > 0                # words before i (i = 1..n-1)
        after = np.cumsum(content[::-1])[::-1][1:] > 0      # words from i on
        ok = before & after
        allowed &= ok[:, None] if axis == 0 else ok[None, :]
    if not allowed.any():
        return None
    cost = np.where(allowed, cost, np.inf)
    i, j = np.unravel_index(np.argmin(cost), cost.shape)
    return float(cost[i, j]), int(i) + 1, int(j) + 1


def refine(sim: np.ndarray, cuts: list[Cut], src_ev: Sequence[int], tgt_ev: Sequence[int],
           src_content: Sequence[bool], tgt_content: Sequence[bool], bonus: float = 4.0,
           band: int = 24) -> list[Cut]:
    """Cut pieces further where the punctuation of one side and the similarity agree.

    The sentence alignment cuts only where both sides end a sentence. A headline, a list or
    a side without stops leaves a piece of several sentences on one side against one run of
    words on the other; a piece is cut in two wherever one side ends a sentence and the
    words lose less than ``bonus`` of their best matches plus the cost of the punctuation
    at the cut (``CUT_COSTS``: none on the other side costs most), and the halves are tried
    again. Then each cut between two pieces is moved to the best
    cut of the two together (a quote mark that closes one sentence or opens the next).

    A word's best match is sought only within ``band`` words of the pair's anchor path
    (``band.path_distance``): in a long piece many words have a look-alike far away, which
    every cut would lose and which would drown the loss of the words a cut separates."""
    src_floor = np.quantile(sim, FLOOR_QUANTILE, axis=1).astype(sim.dtype)
    tgt_floor = np.quantile(sim, FLOOR_QUANTILE, axis=0).astype(sim.dtype)
    dist = path_distance(torch.from_numpy(sim))
    if dist is not None:
        sim = np.where(dist.numpy() <= band, sim, sim.min())
    sev, tev = np.asarray(src_ev), np.asarray(tgt_ev)
    scont, tcont = np.asarray(src_content, bool), np.asarray(tgt_content, bool)

    def best(a, b, c, d):
        return best_split(sim[a:b, c:d], sev[a:b + 1], tev[c:d + 1], scont[a:b], tcont[c:d],
                          src_floor[a:b], tgt_floor[c:d])

    def split(cut: Cut) -> list[Cut]:
        (a, b), (c, d) = cut
        found = best(a, b, c, d)
        if found is None or found[0] >= bonus:
            return [cut]
        _, i, j = found
        return split(((a, a + i), (c, c + j))) + split(((a + i, b), (c + j, d)))

    pieces = [p for cut in cuts for p in split(cut)]
    for k in range(len(pieces) - 1):
        ((a, _), (c, _)), ((_, b), (_, d)) = pieces[k], pieces[k + 1]
        found = best(a, b, c, d)
        if found is not None:
            _, i, j = found
            pieces[k], pieces[k + 1] = ((a, a + i), (c, c + j)), ((a + i, b), (c + j, d))
    return pieces
