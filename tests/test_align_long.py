"""Long pairs: anchor path, band, and cuts at corresponding sentence ends."""
import numpy as np
import torch

from xlie.aligners.band import anchor_path, band_mask, longest_increasing
from xlie.aligners.sentences import plan_cuts, sentence_ends


def test_longest_increasing_subsequence():
    vals = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    idx = longest_increasing(vals)
    seq = vals[idx]
    assert len(idx) == 4 and all(a < b for a, b in zip(seq, seq[1:]))


def test_anchor_path_follows_a_shifted_diagonal_and_ignores_an_outlier():
    n, m = 30, 40
    sim = torch.zeros(n, m)
    for i in range(n):
        sim[i, i + 10] = 1.0          # target is source shifted by 10
    sim[25, 0] = 2.0                  # a far-away look-alike, best for source 25 and target 0
    path = anchor_path(sim)
    assert abs(path[5] - 15) < 1e-6 and abs(path[25] - 35) < 1.5
    band = band_mask(sim, 3)
    assert band[5, 15] and not band[5, 30] and not band[25, 0]


def test_short_pairs_are_not_banded():
    sim = torch.rand(5, 6)
    assert band_mask(sim, 8).all()


def test_cuts_only_where_sentence_ends_correspond():
    src = "A b . C d e . F g".split()
    tgt = "a B . c D E . f G".split()
    assert sentence_ends(src) == [3, 7] and sentence_ends(tgt) == [3, 7]
    path = np.arange(len(src), dtype=float)           # monotone one-to-one
    assert plan_cuts(src, tgt, path) == [((0, 3), (0, 3)), ((3, 7), (3, 7)), ((7, 9), (7, 9))]
    # the target's second sentence end is far from where the source's maps: cut once only
    tgt2 = "a B . c D E f G x y z . w".split()
    assert plan_cuts(src, tgt2, path) == [((0, 3), (0, 3)), ((3, 9), (3, 13))]
    assert plan_cuts("no end here".split(), tgt, np.arange(3.0)) is None
