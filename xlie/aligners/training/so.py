"""SO, the self-training objective: align with the current model, then pull the two
directional distributions toward those links.

S = h_x h_yᵀ over the content subwords of layer L; P_xy = softmax over each row (a source
subword's distribution over target subwords), P_yx = softmax over each column. The links are
A = (P_xy > c) ∗ (P_yx > c), the aligner's softmax extraction (α-entmax with c = 0 as the
option). Loss per pair: −Σ_ij A_ij · ½ (P_xy,ij / n + P_yx,ij / m), n and m the subword counts.
"""
from __future__ import annotations

import torch

from ..extraction import directional_softmax

NEG = -1e4  # masked logits for entmax: finite, so fully padded rows give no NaN


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


def so_loss(p_xy: torch.Tensor, p_yx: torch.Tensor, vx: torch.Tensor, vy: torch.Tensor,
            threshold: float) -> torch.Tensor:
    links = extract_links(p_xy, p_yx, threshold).float()                      # (B, n, m)
    n = vx.sum(1).clamp(min=1).float().view(-1, 1, 1)
    m = vy.sum(1).clamp(min=1).float().view(-1, 1, 1)
    per_pair = -(links * 0.5 * (p_xy / n + p_yx / m)).sum((1, 2))            # (B,)
    return per_pair.mean()
