"""Long pairs: anchor path, band, sentence splitting and sentence alignment."""
import numpy as np
import torch

from xlie.aligners.band import anchor_path, longest_increasing, path_distance
from xlie.aligners.sentences import (align_sentences, merge_deletions, sentence_ends,
                                     sentence_spans, word_cuts)


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
    band = path_distance(sim) <= 3
    assert band[5, 15] and not band[5, 30] and not band[25, 0]


def test_no_anchor_path_without_two_mutual_best_matches():
    sim = torch.zeros(4, 4)
    sim[:, 0] = 1.0                   # every source prefers target 0: one mutual pair only
    assert anchor_path(sim) is None and path_distance(sim) is None


def test_sentence_ends_skip_abbreviations_and_numbering():
    assert sentence_ends("A b . C d e . F g".split()) == [3, 7]
    # 'čl . 17', 'odst . 4 písm . b', '3 . 2 . 1': a full stop before a digit or lower case
    assert sentence_ends("Podle čl . 17 odst . 4 písm . b ) . Fond".split()) == [12]
    assert sentence_ends("items 3 . 2 . 1 apply".split()) == []
    assert sentence_ends("这是 。 那是 。".split()) == [2]      # no case: any word may start one
    assert sentence_spans("x . Y z".split()) == [(0, 2), (2, 4)]


def _sim_from(src: list[str], tgt: list[str]) -> np.ndarray:
    """Word similarity of a toy 'translation': 1 for the same word (case aside), else 0.2."""
    sim = np.full((len(src), len(tgt)), 0.2)
    for i, w in enumerate(src):
        for j, v in enumerate(tgt):
            if w.lower() == v.lower():
                sim[i, j] = 1.0
    return sim


def test_sentence_alignment_finds_one_to_two_and_drops_nothing():
    src = "Aa bb cc . Dd ee ff gg hh . Ii jj kk .".split()
    tgt = "aa BB cc . Dd ee ff . Gg hh . Ii jj kk .".split()   # the second sentence split in two
    ss, ts = sentence_spans(src), sentence_spans(tgt)
    beads = align_sentences(_sim_from(src, tgt), ss, ts)
    assert beads == [((0, 1), (0, 1)), ((1, 2), (1, 3)), ((2, 3), (3, 4))]
    assert word_cuts(beads, ss, ts) == [((0, 4), (0, 4)), ((4, 10), (4, 11)), ((10, 14), (11, 15))]


def test_a_sentence_with_no_counterpart_joins_the_piece_before_it():
    src = "Aa bb cc . Dd ee ff . Ii jj kk .".split()
    tgt = "aa bb cc . Xx yy zz qq . Dd ee ff . Ii jj kk .".split()   # an extra target sentence
    ss, ts = sentence_spans(src), sentence_spans(tgt)
    beads = align_sentences(_sim_from(src, tgt), ss, ts)
    merged = merge_deletions(beads)
    assert merged == [((0, 1), (0, 2)), ((1, 2), (2, 3)), ((2, 3), (3, 4))]
    cuts = word_cuts(merged, ss, ts)
    assert cuts[0] == ((0, 4), (0, 9)) and cuts[-1] == ((8, 12), (13, 17))


def test_crossed_sentences_are_kept_together():
    """Sentences translated in swapped order cannot be cut monotonically: one 2-2 piece."""
    src = "Aa bb cc . Dd ee ff .".split()
    tgt = "Dd ee ff . Aa bb cc .".split()
    beads = align_sentences(_sim_from(src, tgt), sentence_spans(src), sentence_spans(tgt))
    assert merge_deletions(beads) == [((0, 2), (0, 2))]


def test_merge_deletions_joins_leading_and_inner_deletions():
    beads = [((0, 0), (0, 1)),    # target sentence 0 has no source: joins the first piece
             ((0, 1), (1, 2)),
             ((1, 2), (2, 2)),    # source sentence 1 has no target: joins the piece before
             ((2, 3), (2, 3))]
    assert merge_deletions(beads) == [((0, 2), (0, 2)), ((2, 3), (2, 3))]


def test_long_pair_aligns_as_its_sentences_do(tiny_xlmr):
    """A long pair whose sentences correspond one to one is aligned exactly as its sentence
    pairs are one by one: each sentence is encoded alone and aligned with its counterpart."""
    from xlie.aligners import Aligner
    sents = ["The cat sat on the mat .", "The dog ran to the door and the cat .",
             "The birds sing in the morning light .", "The rain fell on the cat all day .",
             "We read the book on the mat again ."]
    # the target: the words of each sentence in reverse, so a word's twin in a neighbouring
    # sentence is often nearer than its own
    flipped = [s.lower().split()[-2::-1] for s in sents]
    pairs = [(s.split(), [f[0].title(), *f[1:], "."]) for s, f in zip(sents, flipped)]
    al = Aligner(str(tiny_xlmr), layer=2, extraction="argmax")
    one_by_one = al.align_pairs(pairs)
    src = [w for s, _ in pairs for w in s]
    tgt = [w for _, t in pairs for w in t]
    (whole,) = al.align_pairs([(src, tgt)])
    expected, off = [], 0
    for (s, _), res in zip(pairs, one_by_one):
        expected += [(i + off, j + off) for i, j, _ in res.links]
        off += len(s)
    assert len(src) + len(tgt) >= al.split_min_words
    assert sorted((i, j) for i, j, _ in whole.links) == sorted(expected)


def test_long_punctuation_only_pair_keeps_its_error(tiny_xlmr):
    """Sentence splitting must not turn an unusable long pair into a silent empty result."""
    from xlie.aligners import Aligner
    marks = ". ! ? . , ; . ! . ? . ! . , . ; . ! . ? .".split()
    al = Aligner(str(tiny_xlmr), layer=2)
    assert 2 * len(marks) >= al.split_min_words
    (res,) = al.align_pairs([(marks, marks)])
    assert res.links == [] and res.error == "words, not only punctuation"


def test_band_prior_penalises_far_cells_and_leaves_short_pairs():
    from xlie.aligners.band import band_prior
    torch.manual_seed(0)
    n, m = 30, 28
    sim = torch.randn(n, m)
    for i in range(n):
        sim[i, min(m - 1, i)] += 4.0                      # a clear diagonal: an anchor path
    penalty, keep = band_prior(sim, 8, 3.0)
    assert keep[10, 10] and not keep[10, 25] and not keep[0, m - 1]
    assert penalty[10, 10] < 0.1 < penalty[10, 16] < penalty[10, 25]
    assert band_prior(sim, 40, 3.0) is None               # within the band on both sides


def test_long_pair_with_a_side_without_stops_is_cut_and_aligned(tiny_xlmr):
    """The target has no sentence-final punctuation: the pieces are cut where the source
    ends its sentences, the target's halves are encoded again alone, and every link stays
    inside its piece."""
    from xlie.aligners import Aligner
    sents = ["Cats sat on my mat near our door .", "Dogs ran to an old red barn today .",
             "Birds sing in morning light again .", "Rain fell over every roof all day long ."]
    src = [w for s in sents for w in s.split()]
    tgt = [w for s in sents for w in s.split() if w != "."]
    al = Aligner(str(tiny_xlmr), layer=2, extraction="argmax")
    (plan,) = al.pieces([(src, tgt)])
    starts = [(a, c) for (a, _), (c, _) in plan]
    assert starts == [(0, 0), (9, 8), (18, 16), (25, 22)]
    (res,) = al.align_pairs([(src, tgt)])
    assert res.error is None and res.links
    for i, j, _ in res.links:
        piece = next(p for p, ((a, b), _) in enumerate(plan) if a <= i < b)
        (c, d) = plan[piece][1]
        assert c <= j < d
