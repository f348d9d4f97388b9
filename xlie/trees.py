"""Dependency trees as head lists, shared by projection and the parser.

A tree over ``n`` words is a list ``heads`` of ``n`` entries: ``heads[k]`` is the 1-indexed
head of word ``k + 1`` (``0``: the root), or ``None`` where the arc is unknown (a partial
tree). It is well-formed when every word has a head, exactly one word hangs from the root and
following heads from any word reaches the root (no cycle), as CoNLL-U requires.

``max_spanning_tree`` is Chu-Liu-Edmonds with the one-root constraint, so any score matrix
decodes to a well-formed tree. Imports nothing of xlie.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

Heads = Sequence[Optional[int]]


def universal(deprel: Optional[str]) -> str:
    """The universal part of a relation (``nmod:poss`` -> ``nmod``), as the CoNLL 2018 LAS."""
    return (deprel or "_").split(":", 1)[0]


def cycle_words(heads: Heads) -> set[int]:
    """1-indexed words on a cycle of known arcs."""
    on_cycle: set[int] = set()
    done: set[int] = set()
    for start in range(1, len(heads) + 1):
        path: list[int] = []
        seen: set[int] = set()
        v: Optional[int] = start
        while v is not None and v != 0 and v not in done and v not in seen:
            seen.add(v)
            path.append(v)
            v = heads[v - 1]
        if v is not None and v in seen:  # the walk came back onto itself
            on_cycle.update(path[path.index(v):])
        done.update(path)
    return on_cycle


def tree_problems(heads: Heads) -> list[str]:
    """What keeps ``heads`` from being a well-formed tree: ``partial`` (a word without a
    head), ``no_root``, ``multiple_roots``, ``cycle``, ``head_out_of_range``; ``empty``
    for no words at all (no tree, and no CoNLL-U sentence either)."""
    n = len(heads)
    if n == 0:
        return ["empty"]
    out = []
    if any(h is not None and not 0 <= h <= n for h in heads):
        return ["head_out_of_range"]
    if any(h is None for h in heads):
        out.append("partial")
    roots = sum(h == 0 for h in heads)
    if roots == 0 and n:
        out.append("no_root")
    elif roots > 1:
        out.append("multiple_roots")
    if cycle_words(heads):
        out.append("cycle")
    return out


def is_tree(heads: Heads) -> bool:
    """A well-formed tree: every word has a head, one root, no cycle."""
    return not tree_problems(heads)


def is_partial_tree(heads: Heads) -> bool:
    """The known arcs are part of some well-formed tree: no cycle and at most one root."""
    probs = tree_problems(heads)
    return not set(probs) - {"partial", "no_root"}


def _cle(edges: dict[tuple[int, int], float], root: int = 0) -> dict[int, int]:
    """Chu-Liu-Edmonds on a dict of (head, dep) -> score; returns dep -> head."""
    best: dict[int, int] = {}
    for (h, d), w in edges.items():
        if d != root and h != d and (d not in best or w > edges[(best[d], d)]):
            best[d] = h
    cyc = cycle_of(best)
    if not cyc:
        return best
    c = max(max(h, d) for h, d in edges) + 1  # the contracted node
    in_cycle = set(cyc)
    new: dict[tuple[int, int], float] = {}
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    for (h, d), w in edges.items():
        if h in in_cycle and d in in_cycle:
            continue
        if d in in_cycle:  # entering: what it costs to break the cycle at d
            key, w = (h, c), w - edges[(best[d], d)]
        elif h in in_cycle:
            key = (c, d)
        else:
            key = (h, d)
        if key not in new or w > new[key]:
            new[key], origin[key] = w, (h, d)
    sub = _cle(new, root)
    out: dict[int, int] = {}
    for d, h in sub.items():
        oh, od = origin[(h, d)]
        out[od] = oh
    for v in cyc:
        out.setdefault(v, best[v])
    return out


def cycle_of(head_of: dict[int, int]) -> list[int]:
    """One cycle of a dep -> head map (empty when there is none)."""
    done: set[int] = set()
    for start in head_of:
        path: list[int] = []
        v = start
        while v in head_of and v not in done and v not in path:
            path.append(v)
            v = head_of[v]
        if v in path:
            return path[path.index(v):]
        done.update(path)
    return []


def max_spanning_tree(scores: np.ndarray) -> list[int]:
    """The best well-formed tree under ``scores[h, d]`` (h = 0 is the root, d >= 1;
    shape ``(n + 1, n + 1)``): Chu-Liu-Edmonds with one word under the root. Non-finite
    scores are arcs taken only where no tree avoids them. Returns ``heads`` (1-indexed,
    0 = root)."""
    s = np.asarray(scores, dtype=float)
    n = s.shape[0] - 1
    if n <= 0:
        return []
    finite = np.isfinite(s)
    span = float(np.abs(s[finite]).sum()) + 1.0 if finite.any() else 1.0
    forbidden = 2.0 * span            # more than all allowed arcs together
    one_root = (n + 2) * forbidden    # more than any other choice: exactly one root arc
    edges: dict[tuple[int, int], float] = {}
    for h in range(n + 1):
        for d in range(1, n + 1):
            if h != d:
                w = s[h, d] if finite[h, d] else -forbidden
                edges[(h, d)] = w - (one_root if h == 0 else 0.0)
    head_of = _cle(edges)
    return [head_of[d] for d in range(1, n + 1)]
