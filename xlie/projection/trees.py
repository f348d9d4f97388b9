"""Dependency trees through word links: the source's HEAD and DEPREL onto the target words.

``heuristic`` is the seed pipeline's rule, kept as the baseline: each linked target word takes
the linked source word nearest the root; its head is the rightmost target word linked to that
source word's head (climbing to the nearest linked ancestor when the head has no link, else
the root). The output can have several roots (and, through many-to-one links, cycles).
Unlinked target words get no arc.

``mst`` (xlie's method) scores every candidate arc h -> d of the target by the evidence the
links give it: each source arc (a -> i) with i linked to d and a linked to h adds
``p(i, d) * p(a, h)``; an unlinked source head can pass its turn to its nearest linked
ancestor at ``decay`` per step (default 0, off: on PUD German such arcs were wrong too often,
benchmarks/RESULTS.md); ``fallback`` does the same only for linked words that no other
evidence reaches (off by default: more coverage, less LAS on the covered words). A maximum spanning tree (Chu-Liu-Edmonds, one root) over
these scores, plus a faint preference for near words where there is no evidence, makes every
output a well-formed tree. Each arc's confidence is the share of its dependent's evidence
that it takes times how well that dependent is linked at all; arcs under ``dep_threshold``
are left out (HEAD ``_``), so the output is a partial tree whose known arcs all belong to
one well-formed tree, and a parser can train on the confident arcs only.
"""
from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..trees import max_spanning_tree, tree_problems
from .links import Links

UNALIGNED = "unaligned"          # the target word has no link
NO_EVIDENCE = "no_evidence"      # linked, but no source arc reaches it
LOW_CONFIDENCE = "low_confidence"
NO_SOURCE_ARC = "no_source_arc"  # the linked source word has no head in the source tree
_NEAR = 1e-3                     # the faint preference for near words, far below any link


@dataclass
class ProjectedTree:
    heads: list[Optional[int]]
    deprels: list[str]
    scores: list[Optional[float]]
    dropped: Counter = field(default_factory=Counter)  # reason -> arcs
    full_tree: Optional[bool] = None  # mst: the decoded tree (before dropping arcs) was a tree


def _is_punct(tok: str) -> bool:
    return bool(tok) and all(unicodedata.category(c)[0] in "PS" for c in tok)


def _depths(heads: list[Optional[int]]) -> list[int]:
    """Steps from each (0-indexed) word to the root; words off the tree count as deep."""
    n = len(heads)
    out = []
    for k in range(n):
        d, h = 0, heads[k]
        while h not in (None, 0) and d <= n:
            d, h = d + 1, heads[h - 1]
        out.append(d if h == 0 else n + 1)
    return out


def _linked_ancestor(heads: list[Optional[int]], links: Links, i: int, stop: int | None = None
                     ) -> tuple[Optional[int], int]:
    """The head of source word ``i`` (1-indexed, 0 = root), climbing past heads without a
    link; returns (ancestor, steps climbed), (None, 0) where the source has no arc."""
    a, steps = heads[i], 0
    while a not in (None, 0) and steps <= len(heads):
        if any(t != stop for t in links.fwd.get(a - 1, {})):
            return a, steps
        a, steps = heads[a - 1], steps + 1
    return (0, steps) if a == 0 else (None, 0)


def project_tree_heuristic(src_heads: list[Optional[int]], src_rels: list[str], links: Links,
                           tgt_tokens: list[str], **_) -> ProjectedTree:
    """The seed rule (module docstring). A head that would be the word itself climbs on."""
    m = len(tgt_tokens)
    depth = _depths(src_heads)
    out = ProjectedTree([None] * m, ["_"] * m, [None] * m)
    for j in range(m):
        linked = links.bwd.get(j)
        if not linked:
            out.dropped[UNALIGNED] += 1
            continue
        i = min(linked, key=lambda k: (depth[k], k))
        a, _ = _linked_ancestor(src_heads, links, i, stop=j)
        if a is None:
            out.dropped[NO_SOURCE_ARC] += 1
            continue
        out.heads[j] = 0 if a == 0 else max(t for t in links.fwd[a - 1] if t != j) + 1
        out.deprels[j] = src_rels[i]
        out.scores[j] = linked[i]
    return out


def arc_evidence(src_heads: list[Optional[int]], src_rels: list[str], links: Links, m: int,
                 decay: float, only: Optional[set[int]] = None,
                 scores: Optional[np.ndarray] = None,
                 rels: Optional[dict[tuple[int, int], Counter]] = None
                 ) -> tuple[np.ndarray, dict[tuple[int, int], Counter]]:
    """``scores[h, d]`` over the target (h = 0 the root) from the source arcs and the links,
    and the relations behind each arc with their weights; ``only``: just these (0-indexed)
    target words, added to ``scores`` and ``rels`` where given."""
    scores = np.zeros((m + 1, m + 1)) if scores is None else scores
    rels = defaultdict(Counter) if rels is None else rels
    for d, linked in links.bwd.items():
        if only is not None and d not in only:
            continue
        for i, p in linked.items():
            a, steps = _linked_ancestor(src_heads, links, i)
            if a is None:
                continue
            w = p * decay ** steps
            heads = {-1: 1.0} if a == 0 else links.fwd[a - 1]
            for t, q in heads.items():
                if t != d:
                    scores[t + 1, d + 1] += w * q
                    rels[(t + 1, d + 1)][src_rels[i]] += w * q
    return scores, rels


def _yields(heads: list[int], skip: set[int]) -> tuple[list[int], list[int]]:
    """First and last word (1-indexed) under each word, not counting the words in ``skip``."""
    n = len(heads)
    lo, hi = list(range(1, n + 1)), list(range(1, n + 1))
    for k in range(1, n + 1):
        if k in skip:
            continue
        x, steps = heads[k - 1], 0
        while x != 0 and steps <= n:
            lo[x - 1], hi[x - 1] = min(lo[x - 1], k), max(hi[x - 1], k)
            x, steps = heads[x - 1], steps + 1
    return lo, hi


def punct_heads(heads: list[int], tokens: list[str], prefer_after: bool = True
                ) -> dict[int, int]:
    """Heads for the punctuation words that head no other word, as UD attaches them: to the
    highest word whose phrase begins right after the mark (preferred) or ends right before
    it, else to the root word. (On PUD's gold trees this rule finds 88% of German and 78% of
    Spanish punctuation heads; preferring the phrase before it, ``prefer_after=False``, 73%
    and 68%. PUD Chinese attaches a comma to the clause before it: 56% against 85%.)"""
    n = len(heads)
    punct = {k + 1 for k, t in enumerate(tokens) if t and all(
        unicodedata.category(c)[0] == "P" for c in t)}
    if not punct or len(punct) == n:
        return {}
    depth = _depths(heads)
    lo, hi = _yields(heads, punct)
    root = heads.index(0) + 1
    out = {}
    for p in sorted(punct):
        if p == root or any(heads[k] == p for k in range(n)):
            continue
        left, right = p - 1, p + 1
        while left in punct:
            left -= 1
        while right in punct:
            right += 1
        cand = [(depth[x - 1], (lo[x - 1] == right) != prefer_after, x)
                for x in range(1, n + 1)
                if x not in punct and (lo[x - 1] == right or hi[x - 1] == left)]
        out[p] = min(cand)[2] if cand else root
    return out


def project_tree_mst(src_heads: list[Optional[int]], src_rels: list[str], links: Links,
                     tgt_tokens: list[str], decay: float = 0.0, threshold: float = 0.0,
                     punct: bool = True, types=None, fallback: float = 0.0) -> ProjectedTree:
    """xlie's method (module docstring); ``punct``: punctuation by rule (``punct_heads``).
    ``types``: type-level arc evidence (``type_constraints.ArcTypes`` bound to this
    sentence's target tags), which adds arcs for the words the links say nothing about."""
    m = len(tgt_tokens)
    scores, rels = arc_evidence(src_heads, src_rels, links, m, decay)
    if types is not None:
        for d, (h, rel, w) in types.fill(tgt_tokens, scores).items():
            scores[h, d] += w
            rels[(h, d)][rel] += w
    if fallback > 0:
        bare = {j for j in links.bwd if scores[:, j + 1].sum() <= 0}
        if bare:
            arc_evidence(src_heads, src_rels, links, m, fallback, bare, scores, rels)
    idx = np.arange(m + 1)
    near = _NEAR / (1.0 + np.abs(idx[:, None] - idx[None, :]))
    near[0, :] = _NEAR / (m + 1)
    heads = max_spanning_tree(scores + near)
    out = ProjectedTree([None] * m, ["_"] * m, [None] * m,
                        full_tree=not tree_problems(heads))
    by_rule = punct_heads(heads, tgt_tokens) if punct else {}
    if by_rule:
        moved = [by_rule.get(d, h) for d, h in enumerate(heads, 1)]
        if tree_problems(moved):
            by_rule = {}
        else:
            heads = moved
    conf_of: dict[int, float] = {}
    for j, h in enumerate(heads):
        d = j + 1
        linked = links.bwd.get(j)
        if d in by_rule:
            continue
        if not linked and not (types is not None and scores[h, d] > 0):
            out.dropped[UNALIGNED] += 1
            continue
        total = scores[:, d].sum()
        if scores[h, d] <= 0:
            out.dropped[NO_EVIDENCE] += 1
            continue
        conf = float(scores[h, d] / total * min(1.0, max(linked.values()) if linked else 1.0))
        conf_of[d] = conf
        if conf < threshold:
            out.dropped[LOW_CONFIDENCE] += 1
            continue
        out.heads[j] = h
        out.deprels[j] = rels[(h, d)].most_common(1)[0][0]
        out.scores[j] = round(conf, 4)
    for d, h in by_rule.items():  # as sure as the arc of the word it attaches to
        conf = conf_of.get(h)
        if conf is None or conf < threshold:
            out.dropped[NO_EVIDENCE if conf is None else LOW_CONFIDENCE] += 1
            continue
        out.heads[d - 1], out.deprels[d - 1], out.scores[d - 1] = h, "punct", round(conf, 4)
    return out


TREE_METHODS = {"heuristic": project_tree_heuristic, "mst": project_tree_mst}
