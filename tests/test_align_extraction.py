"""Extraction methods on hand-made similarity matrices with known answers."""
import numpy as np
import pytest
import torch

from xlie.aligners.extraction import (argmax_extract, entmax_extract, get_method, itermax_extract,
                                      match_extract, ot_extract, sinkhorn, softmax_extract)
from xlie.aligners.symmetrize import symmetrize
from xlie.errors import UnknownNameError


def _batch(*mats):
    n = max(m.shape[0] for m in mats)
    k = max(m.shape[1] for m in mats)
    sim = torch.zeros(len(mats), n, k)
    mask = torch.zeros(len(mats), n, k, dtype=torch.bool)
    for b, m in enumerate(mats):
        sim[b, :m.shape[0], :m.shape[1]] = torch.tensor(m, dtype=torch.float32)
        mask[b, :m.shape[0], :m.shape[1]] = True
    return sim, mask


DIAG = np.array([[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]])
# source word 1 is split in the target: it is as similar to targets 1 and 2
SPLIT = np.array([[6.0, 0.0, 0.0], [0.0, 4.0, 4.0]])


def links(mat):
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(mat))}


@pytest.mark.parametrize("fn", [softmax_extract, entmax_extract])
def test_softmax_like_find_the_diagonal(fn):
    sim, mask = _batch(DIAG)
    ext = fn(sim, mask)
    both = (ext.forward & ext.backward)[0].numpy()
    assert links(both) == {(0, 0), (1, 1), (2, 2)}
    assert ext.prob[0, 0, 0] > 0.9 and ext.prob[0, 0, 1] < 0.1


def test_softmax_threshold_keeps_split_links_and_respects_padding():
    sim, mask = _batch(SPLIT, DIAG)  # the first pair is padded to 3x3
    ext = softmax_extract(sim, mask, threshold=0.1)
    assert links((ext.forward & ext.backward)[0].numpy()) == {(0, 0), (1, 1), (1, 2)}
    assert not ext.forward[0, 2].any() and not ext.backward[0, 2].any()  # padded row
    assert links((ext.forward & ext.backward)[1].numpy()) == {(0, 0), (1, 1), (2, 2)}


def test_entmax_alpha_changes_sparsity():
    sim, mask = _batch(np.array([[1.0, 0.9, 0.0]]))
    dense = entmax_extract(sim, mask, alpha=1.2).forward.sum()
    sparse = entmax_extract(sim, mask, alpha=2.0).forward.sum()
    assert dense >= sparse >= 1


def test_argmax_is_mutual_best():
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])  # target 0 is best for both sources
    s, m = _batch(sim)
    ext = argmax_extract(s, m)
    assert links((ext.forward & ext.backward)[0].numpy()) == {(0, 0)}
    assert links(ext.forward[0].numpy()) == {(0, 0), (1, 0)}


def test_itermax_aligns_the_word_argmax_left_out():
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    s, m = _batch(sim)
    ext = itermax_extract(s, m)
    # round 1: mutual best (0,0); round 2 links the words left out to their best partner,
    # where a cell whose row or column is taken counts alpha times its similarity
    assert links(ext.forward[0].numpy()) == {(0, 0), (0, 1), (1, 0)}
    one_round = itermax_extract(s, m, max_iter=1)
    assert links(one_round.forward[0].numpy()) == {(0, 0)}


def test_match_is_one_to_one_and_maximal():
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    s, m = _batch(sim)
    ext = match_extract(s, m)
    assert links(ext.forward[0].numpy()) == {(0, 1), (1, 0)}  # 0.8 + 0.85 > 0.9 + 0.1


def test_sinkhorn_matches_pot_balanced_and_unbalanced():
    import ot
    rng = np.random.default_rng(0)
    cost = rng.uniform(0, 2, size=(4, 6))
    c, mask = _batch(cost)
    a, b = np.full(4, 1 / 4), np.full(6, 1 / 6)
    plan = sinkhorn(c.double(), mask, reg=0.1, iters=2000)[0].numpy()
    ref = ot.sinkhorn(a, b, cost, 0.1, numItermax=2000)
    assert np.allclose(plan, ref, atol=1e-6)
    plan_u = sinkhorn(c.double(), mask, reg=0.1, iters=2000, unbalanced=1.0)[0].numpy()
    ref_u = ot.unbalanced.sinkhorn_unbalanced(a, b, cost, 0.1, 1.0, reg_type="entropy",
                                             numItermax=2000)
    assert np.allclose(plan_u, ref_u, atol=1e-5)


def test_sinkhorn_ignores_padding():
    cost = np.array([[0.0, 2.0], [2.0, 0.0]])
    c, mask = _batch(cost, np.zeros((3, 3)))
    plan = sinkhorn(c, mask, reg=0.05)
    assert torch.allclose(plan[0].sum(), torch.tensor(1.0), atol=1e-4)
    assert plan[0, 2].sum() == 0 and plan[0, :, 2].sum() == 0


def test_ot_extracts_the_permutation():
    cos = np.array([[0.1, 0.9, 0.2], [0.95, 0.1, 0.0], [0.0, 0.2, 0.8]])
    s, m = _batch(cos)
    ext = ot_extract(s, m)
    assert links((ext.forward & ext.backward)[0].numpy()) == {(0, 1), (1, 0), (2, 2)}


def test_unknown_method_lists_known():
    with pytest.raises(UnknownNameError) as e:
        get_method("fast_align")
    assert "softmax" in str(e.value) and "itermax" in str(e.value)


def test_grow_diag_final_and():
    fwd = np.zeros((4, 4), bool)
    bwd = np.zeros((4, 4), bool)
    fwd[0, 0] = bwd[0, 0] = True           # intersection
    fwd[1, 1] = True                        # diagonal neighbour, only in one direction
    bwd[3, 0] = True                        # far from every other link
    assert links(symmetrize(fwd, bwd, "intersection")) == {(0, 0)}
    assert links(symmetrize(fwd, bwd, "union")) == {(0, 0), (1, 1), (3, 0)}
    assert links(symmetrize(fwd, bwd, "grow-diag")) == {(0, 0), (1, 1)}
    # (3,0): source 3 is unaligned but target 0 is aligned: final adds it, final-and does not
    assert links(symmetrize(fwd, bwd, "grow-diag-final")) == {(0, 0), (1, 1), (3, 0)}
    assert links(symmetrize(fwd, bwd, "grow-diag-final-and")) == {(0, 0), (1, 1)}
    assert links(symmetrize(fwd, bwd, "forward")) == {(0, 0), (1, 1)}
