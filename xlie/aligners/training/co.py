"""CO, the consistency objective: make the two directional distributions agree,
−trace(P_xyᵀ P_yx) / min(n, m) per pair; weighted by β in the total loss."""
from __future__ import annotations

import torch


def co_loss(p_xy: torch.Tensor, p_yx: torch.Tensor, vx: torch.Tensor, vy: torch.Tensor) -> torch.Tensor:
    """p_xy, p_yx (B, n, m) from :func:`so.directional_probs`; vx (B, n), vy (B, m) masks."""
    agree = (p_xy * p_yx).sum((1, 2))                                         # (B,) = trace(P_xyᵀ P_yx)
    size = torch.minimum(vx.sum(1), vy.sum(1)).clamp(min=1).float()
    return -(agree / size).mean()
