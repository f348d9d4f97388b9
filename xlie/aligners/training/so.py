"""SO, the self-training objective: align with the current model, then pull the two
directional distributions toward those links.

S = h_x h_yᵀ over the content subwords of layer L; P_xy = softmax over each row (a source
subword's distribution over target subwords), P_yx = softmax over each column. The links are
A = (P_xy > c) ∗ (P_yx > c), the aligner's softmax extraction (α-entmax with c = 0 as the
option). Loss per pair: −Σ_ij A_ij · ½ (P_xy,ij / n + P_yx,ij / m), n and m the subword counts.

``targets="grow-diag"`` (xlie's default; the paper uses the intersection) grows A into
the union links next to it that touch a subword A leaves unaligned, as Koehn's grow-diag
does. On e5-small and en-cs this gives 0.4-0.5 AER more than the intersection, mostly in
precision (benchmarks/RESULTS.md, ``align_finetune_targets``).
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from ..extraction import directional_softmax

NEG = -1e4  # masked logits for entmax: finite, so fully padded rows give no NaN
SOTargets = Literal["intersection", "grow-diag", "grow-diag-final-and"]


def directional_probs(hx: torch.Tensor, hy: torch.Tensor, vx: torch.Tensor, vy: torch.Tensor,
                      method: str = "softmax") -> tuple[torch.Tensor, torch.Tensor]:
    """hx (B, n, H), hy (B, m, H), valid masks vx (B, n), vy (B, m) ->
    P_xy, P_yx, both (B, n, m), zero outside the valid block."""
    sim = torch.bmm(hx.float(), hy.float().transpose(1, 2))                   # (B, n, m)
    valid = vx.unsqueeze(2) & vy.unsqueeze(1)                                 # (B, n, m)
    if method != "entmax":
        return directional_softmax(sim, valid)                                # the aligner's own
    from entmax import entmax15
    sim = sim.masked_fill(~valid, NEG)
    return entmax15(sim, dim=2) * valid, entmax15(sim, dim=1) * valid


def extract_links(p_xy: torch.Tensor, p_yx: torch.Tensor, threshold: float) -> torch.Tensor:
    """Both directions agree above the threshold: (B, n, m) bool, no gradient."""
    return ((p_xy > threshold) & (p_yx > threshold)).detach()


def _unaligned(links: torch.Tensor) -> torch.Tensor:
    """(B, n, m) bool -> (B, n, m) bool: the cell's row or its column has no link yet."""
    return ~links.any(2, keepdim=True) | ~links.any(1, keepdim=True)


def grow_diag(links: torch.Tensor, union: torch.Tensor) -> torch.Tensor:
    """Batched grow-diag: add every union cell in the 8-neighbourhood of a link whose row or
    column is still empty, all such cells of a round at once, until a round adds none."""
    links = links.clone()
    while True:
        near = F.max_pool2d(links.float().unsqueeze(1), 3, 1, 1).squeeze(1) > 0   # (B, n, m)
        add = union & near & _unaligned(links) & ~links
        if not add.any():
            return links
        links |= add


def word_blocks(links: torch.Tensor, word_x: torch.Tensor, word_y: torch.Tensor) -> torch.Tensor:
    """Link every piece of a word pair that has a link: links (B, n, m); word ids
    word_x (B, n), word_y (B, m), -1 where a position is not a content piece."""
    k = int(max(word_x.max(), word_y.max())) + 2
    wx = F.one_hot((word_x + 1).clamp(min=0), k)[..., 1:].float()             # (B, n, K)
    wy = F.one_hot((word_y + 1).clamp(min=0), k)[..., 1:].float()             # (B, m, K)
    pairs = wx.transpose(1, 2) @ links.float() @ wy > 0                       # (B, K, K)
    return links | (wx @ pairs.float() @ wy.transpose(1, 2) > 0)


def so_targets(p_xy: torch.Tensor, p_yx: torch.Tensor, threshold: float,
               how: SOTargets = "intersection",
               word_ids: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """The links SO trains toward: (B, n, m) bool, no gradient. With ``word_ids`` (source,
    target; -1 off the content pieces), widened to whole word pairs."""
    links = extract_links(p_xy, p_yx, threshold)
    if how != "intersection":
        union = ((p_xy > threshold) | (p_yx > threshold)).detach()
        links = grow_diag(links, union)
        if how == "grow-diag-final-and":  # then union links whose row and column are both empty
            links |= union & ~links.any(2, keepdim=True) & ~links.any(1, keepdim=True)
    if word_ids is not None:
        links = word_blocks(links, *word_ids)
    return links


def so_loss(p_xy: torch.Tensor, p_yx: torch.Tensor, vx: torch.Tensor, vy: torch.Tensor,
            threshold: float, targets: SOTargets = "intersection",
            word_ids: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    if word_ids is not None:   # from the content masks: entmax gives exact zeros inside them
        word_ids = (word_ids[0].masked_fill(~vx, -1), word_ids[1].masked_fill(~vy, -1))
    links = so_targets(p_xy, p_yx, threshold, targets, word_ids).float()     # (B, n, m)
    n = vx.sum(1).clamp(min=1).float().view(-1, 1, 1)
    m = vy.sum(1).clamp(min=1).float().view(-1, 1, 1)
    per_pair = -(links * 0.5 * (p_xy / n + p_yx / m)).sum((1, 2))            # (B,)
    return per_pair.mean()
