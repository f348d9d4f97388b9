"""A diagonal band for long pairs, so far-apart look-alikes do not compete.

In a long pair (a paragraph, or many sentences joined) every '.', 'the' or number has dozens
of identical-looking partners; softmax and OT spread their mass over all of them and links
vanish. Translations are locally monotone, so we find confident anchors (mutual best
matches), keep the longest monotone chain of them, interpolate an expected target position
for every source position, and let each source position link only within ``width`` of it.
Pairs shorter than the band on both sides are untouched (``Aligner._banded``).
"""
from __future__ import annotations

import bisect

import numpy as np
import torch


def longest_increasing(values: np.ndarray) -> np.ndarray:
    """Indices of a longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[int] = []        # tails[k]: smallest tail value of an increasing run of length k+1
    tail_idx: list[int] = []
    prev = np.full(len(values), -1)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_idx.append(i)
        else:
            tails[k] = v
            tail_idx[k] = i
        prev[i] = tail_idx[k - 1] if k > 0 else -1
    out = []
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.append(i)
        i = prev[i]
    return np.array(out[::-1], dtype=int)


def band_prior(sim: torch.Tensor, band: int, distortion: float
               ) -> tuple[torch.Tensor, torch.Tensor] | None:
    """sim: (n, m) of one pair -> (penalty (n, m), keep (n, m) bool), or None for a pair
    within ``band`` on both sides or without an anchor path. The aligner subtracts the
    penalty (``distortion`` row standard deviations at the band's edge, growing with the
    squared distance from the path) and links only inside ``keep``."""
    n, m = sim.shape
    if n <= band and m <= band:
        return None
    sim = sim.detach()
    dist = path_distance(sim.float().cpu())
    if dist is None:
        return None
    dist = dist.to(sim.device)
    penalty = distortion * sim.std(dim=-1, keepdim=True) * (dist / band) ** 2
    return penalty.to(sim.dtype), dist <= band


def path_distance(sim: torch.Tensor) -> torch.Tensor | None:
    """sim: (n, m) -> (n, m) distance of each cell from the anchor path (None: no path)."""
    path = anchor_path(sim)
    if path is None:
        return None
    m = sim.shape[1]
    return torch.from_numpy(np.abs(np.arange(m)[None, :] - path[:, None])).float()


def anchor_path(sim: torch.Tensor) -> np.ndarray | None:
    """sim: (n, m) -> (n,) expected target position of each source position, from the
    longest monotone chain of mutual best matches (None when there are fewer than two)."""
    n, m = sim.shape
    fwd = sim.argmax(dim=1)                       # (n,) best target of each source
    bwd = sim.argmax(dim=0)                       # (m,) best source of each target
    src = torch.arange(n)
    mutual = bwd[fwd] == src
    ai, aj = src[mutual].numpy(), fwd[mutual].numpy()
    keep = longest_increasing(aj)
    if len(keep) < 2:
        return None
    ai, aj = ai[keep], aj[keep]
    # expected target position of each source position; outside the anchors, keep the slope
    path = np.interp(np.arange(n), ai, aj)
    path[: ai[0]] = aj[0] - (ai[0] - np.arange(ai[0])) * m / n
    path[ai[-1] + 1:] = aj[-1] + (np.arange(ai[-1] + 1, n) - ai[-1]) * m / n
    return path
