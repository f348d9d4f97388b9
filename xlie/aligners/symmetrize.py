"""Combine the two directional alignments into one (per pair, on small boolean matrices).

``grow-diag-final(-and)`` is Koehn et al.'s heuristic from phrase-based MT: start from the
intersection, grow into neighbouring union links that touch an unaligned word, then add the
remaining union links of still-unaligned words.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnknownNameError
from .settings import SYMMETRIZATIONS

_NEIGHBOURS = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]


def _grow_diag(a: np.ndarray, union: np.ndarray) -> np.ndarray:
    a = a.copy()
    n, m = a.shape
    changed = True
    while changed:
        changed = False
        for i, j in zip(*np.nonzero(a)):
            for di, dj in _NEIGHBOURS:
                p, q = i + di, j + dj
                if 0 <= p < n and 0 <= q < m and union[p, q] and not a[p, q]:
                    if not a[p].any() or not a[:, q].any():
                        a[p, q] = True
                        changed = True
    return a


def _final(a: np.ndarray, directional: list[np.ndarray], both: bool) -> np.ndarray:
    a = a.copy()
    for d in directional:
        for i, j in zip(*np.nonzero(d)):
            free_i, free_j = not a[i].any(), not a[:, j].any()
            if (free_i and free_j) if both else (free_i or free_j):
                a[i, j] = True
    return a


def symmetrize(forward: np.ndarray, backward: np.ndarray, how: str = "intersection") -> np.ndarray:
    if how == "intersection":
        return forward & backward
    if how == "union":
        return forward | backward
    if how == "forward":
        return forward.copy()
    if how == "backward":
        return backward.copy()
    if how in ("grow-diag-final", "grow-diag-final-and", "grow-diag"):
        union = forward | backward
        a = _grow_diag(forward & backward, union)
        if how == "grow-diag":
            return a
        return _final(a, [forward, backward], both=how.endswith("-and"))
    raise UnknownNameError("symmetrisation", how, SYMMETRIZATIONS)
