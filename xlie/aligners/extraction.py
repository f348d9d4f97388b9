"""Alignment extraction from batched similarity matrices.

Every method takes ``sim`` (B, n, m) and a validity ``mask`` (B, n, m) and returns an
:class:`Extraction`: a forward (source->target) and backward (target->source) link matrix
and a link probability for every cell. Symmetrisation happens afterwards
(:mod:`xlie.aligners.symmetrize`), so every method supports every heuristic.

- ``softmax``: awesome-align's: softmax over each direction, keep cells above a threshold.
- ``entmax``: α-entmax instead of softmax (sparse; threshold 0).
- ``ot``: entropic optimal transport (batched log-domain Sinkhorn; balanced or unbalanced),
  the plan normalised per row and per column, then thresholded like softmax.
- ``argmax``, ``itermax``, ``match``: SimAlign's methods on cosine similarity.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import UnknownNameError

NEG = -1e9


@dataclass
class Extraction:
    forward: torch.Tensor    # (B, n, m) bool: source i links to target j (row-wise decision)
    backward: torch.Tensor   # (B, n, m) bool: target j links to source i (column-wise)
    prob: torch.Tensor       # (B, n, m) float in [0, 1]


def directional_softmax(sim: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    s = sim.masked_fill(~mask, NEG)
    p_xy = torch.softmax(s, dim=-1) * mask   # each source row: distribution over targets
    p_yx = torch.softmax(s, dim=-2) * mask   # each target column: distribution over sources
    return p_xy, p_yx


def softmax_extract(sim, mask, threshold: float = 1e-3) -> Extraction:
    p_xy, p_yx = directional_softmax(sim, mask)
    return Extraction(p_xy > threshold, p_yx > threshold, torch.sqrt(p_xy * p_yx))


def entmax_extract(sim, mask, alpha: float = 1.5, threshold: float = 0.0) -> Extraction:
    from entmax import entmax15, entmax_bisect
    s = sim.masked_fill(~mask, -1e4)
    if abs(alpha - 1.5) < 1e-9:
        p_xy, p_yx = entmax15(s, dim=-1), entmax15(s, dim=-2)
    else:
        p_xy, p_yx = entmax_bisect(s, alpha, dim=-1), entmax_bisect(s, alpha, dim=-2)
    p_xy, p_yx = p_xy * mask, p_yx * mask
    return Extraction(p_xy > threshold, p_yx > threshold, torch.sqrt(p_xy * p_yx))


def sinkhorn(cost: torch.Tensor, mask: torch.Tensor, reg: float = 0.05, iters: int = 30,
             unbalanced: float | None = None) -> torch.Tensor:
    """Batched entropic OT with uniform masses on the valid cells (matrix-vector Sinkhorn).

    cost, mask: (B, n, m), cost in [0, 2] (1 - cosine), so exp(-cost/reg) stays far above
    float32's smallest normal number for reg >= 0.03. ``unbalanced`` is the KL weight τ on the
    marginals (None: exact marginals). Returns the transport plan (B, n, m)."""
    rows = mask.any(-1).to(cost.dtype)                         # (B, n)
    cols = mask.any(-2).to(cost.dtype)                         # (B, m)
    a = rows / rows.sum(-1, keepdim=True).clamp(min=1)
    b = cols / cols.sum(-1, keepdim=True).clamp(min=1)
    k = torch.exp(-cost / reg) * mask                          # (B, n, m)
    power = 1.0 if unbalanced is None else unbalanced / (unbalanced + reg)
    u, v = rows.clone(), cols.clone()
    tiny = 1e-30
    for _ in range(iters):
        u = (a / (k @ v.unsqueeze(-1)).squeeze(-1).clamp(min=tiny)) ** power        # (B, n)
        v = (b / (k.transpose(1, 2) @ u.unsqueeze(-1)).squeeze(-1).clamp(min=tiny)) ** power
    return u.unsqueeze(-1) * k * v.unsqueeze(-2)


def ot_extract(cos, mask, threshold: float = 0.3, reg: float = 0.05, iters: int = 30,
               unbalanced: float | None = None) -> Extraction:
    plan = sinkhorn(1.0 - cos, mask, reg=reg, iters=iters, unbalanced=unbalanced)
    row = plan / plan.sum(-1, keepdim=True).clamp(min=1e-30)  # conditional on the source word
    col = plan / plan.sum(-2, keepdim=True).clamp(min=1e-30)  # conditional on the target word
    return Extraction(row > threshold, col > threshold, torch.sqrt(row * col))


def _one_hot_argmax(s: torch.Tensor, dim: int) -> torch.Tensor:
    idx = s.argmax(dim=dim, keepdim=True)
    return torch.zeros_like(s, dtype=torch.bool).scatter_(dim, idx, True)


def argmax_extract(cos, mask) -> Extraction:
    s = cos.masked_fill(~mask, NEG)
    fwd = _one_hot_argmax(s, -1) & mask
    bwd = _one_hot_argmax(s, -2) & mask
    return Extraction(fwd, bwd, _cos_prob(cos, mask))


def itermax_extract(cos, mask, max_iter: int = 2, alpha: float = 0.9) -> Extraction:
    """Mutual argmax, then again on the words left unaligned, where a cell whose row or
    column is already aligned counts ``alpha`` times its similarity (SimAlign's IterMax)."""
    sim = ((cos + 1) / 2).masked_fill(~mask, 0.0)        # non-negative, so weights only lower it
    links = _mutual(sim, mask)
    for _ in range(max_iter - 1):
        row_done = links.any(-1, keepdim=True)           # (B, n, 1)
        col_done = links.any(-2, keepdim=True)           # (B, 1, m)
        weight = torch.where(row_done & col_done, 0.0,
                             torch.where(row_done | col_done, alpha, 1.0))
        open_ = mask & (weight > 0)
        new = _mutual(sim * weight, open_) & ~links
        if not new.any():
            break
        links = links | new
    return Extraction(links, links, _cos_prob(cos, mask))


def _mutual(sim: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    s = sim.masked_fill(~mask, NEG)
    return _one_hot_argmax(s, -1) & _one_hot_argmax(s, -2) & mask


def match_extract(cos, mask) -> Extraction:
    """Maximum-weight bipartite matching (one-to-one) on cosine similarity."""
    from scipy.optimize import linear_sum_assignment
    links = torch.zeros_like(mask)
    for b in range(cos.shape[0]):
        n = int(mask[b].any(-1).sum())
        m = int(mask[b].any(-2).sum())
        if n == 0 or m == 0:
            continue
        r, c = linear_sum_assignment(cos[b, :n, :m].double().cpu().numpy(), maximize=True)
        links[b, torch.as_tensor(r), torch.as_tensor(c)] = True
    links &= mask
    return Extraction(links, links, _cos_prob(cos, mask))


def _cos_prob(cos, mask) -> torch.Tensor:
    """A link probability for methods without one of their own: the geometric mean of the
    two directional softmaxes over cosine similarity with a sharp temperature."""
    p_xy, p_yx = directional_softmax(cos / 0.05, mask)
    return torch.sqrt(p_xy * p_yx)


# name -> (function, similarity it reads: "dot" or "cos", default granularity). Subword
# extraction (then any-piece-links-the-words) beat averaged word vectors for all but match
# in the e5-small sweep (benchmarks/RESULTS.md), as SimAlign's "bpe" mode does.
METHODS = {
    "softmax": (softmax_extract, "dot", "subword"),
    "entmax": (entmax_extract, "dot", "subword"),
    "ot": (ot_extract, "cos", "subword"),
    "argmax": (argmax_extract, "cos", "subword"),
    "itermax": (itermax_extract, "cos", "subword"),
    "match": (match_extract, "cos", "word"),
}


def get_method(name: str):
    if name not in METHODS:
        raise UnknownNameError("extraction method", name, METHODS)
    return METHODS[name]
