"""Choosing a model's threshold and band on gold: the grid, the choice, the aligner left as it was."""
from __future__ import annotations

import pytest

from tiny_models import ENCS

from xlie.aligners.calibrate import calibrate, grid
from xlie.formats.pharaoh import GoldAlignment


def test_grid_surrounds_the_current_setting():
    settings = grid(0.1, 24)
    assert (0.1, 24) in settings and len(settings) == len(set(settings)) == 12
    assert {b for _, b in settings} == {24, 32, 48}
    assert min(t for t, _ in settings) < 0.1 < max(t for t, _ in settings)
    assert grid(0.0, None) == [(0.0, None)]       # entmax's 0 and no band have no neighbours


def _pairs(n: int = 12, max_words: int = 20):
    """Real pairs of under ``max_words`` words a side."""
    if ENCS.exists():
        pairs = [tuple(side.split() for side in line.split(" ||| "))
                 for line in ENCS.read_text(encoding="utf-8").splitlines()]
        return [p for p in pairs if max(map(len, p)) < max_words][:n]
    words = "the cat sat on the mat and then it slept in the sun".split()
    return [(words[k:] + words[:k], words[::-1]) for k in range(n)]


@pytest.fixture()
def counted_aligner(tiny_xlmr):
    from xlie.aligners import Aligner
    aligner = Aligner(str(tiny_xlmr), layer=2, threshold=0.1)
    calls = []
    encode = aligner.encoder.encode

    def counting(sentences, **kw):
        calls.extend(tuple(s) for s in sentences)
        return encode(sentences, **kw)
    aligner.encoder.encode = counting
    return aligner, calls


def test_calibration_finds_the_setting_that_made_the_gold(counted_aligner):
    """Gold made by the aligner at a neighbouring threshold is found again with AER 0; the
    aligner comes back with its own settings, and no sentence is encoded twice."""
    aligner, calls = counted_aligner
    pairs = _pairs()
    lower = aligner.with_settings(threshold=0.05)
    made = [{(i, j) for i, j, _ in r.links} for r in lower.align(pairs)]
    current = [{(i, j) for i, j, _ in r.links} for r in aligner.align(pairs)]
    assert made != current, "the tiny model must tell the two thresholds apart"
    calls.clear()
    encoder = aligner.encoder
    gold = [GoldAlignment(sure=m, possible=m) for m in made]
    best, table = calibrate(aligner, pairs, gold)
    assert best.aer == 0.0 and best.threshold <= 0.05
    assert best == min(table, key=lambda s: s.aer)
    assert (table[0].threshold, table[0].band) == (0.1, 24) and table[0].aer > 0
    assert len(table) == len(grid(0.1, 24))
    assert len(calls) == len(set(calls))            # each sentence encoded once for the grid
    assert aligner.threshold == 0.1 and aligner.band == 24
    assert aligner.encoder is encoder


def test_calibration_keeps_the_current_setting_on_a_tie(counted_aligner):
    """On pairs under 24 subwords the band changes nothing: the three bands tie and the
    current one wins."""
    aligner, _ = counted_aligner
    pairs = [p for p in _pairs(40, max_words=8)
             if max(len(aligner.encoder.tokenize([side])[0][0]) for side in p) < 24][:6]
    assert pairs
    current = [{(i, j) for i, j, _ in r.links} for r in aligner.align(pairs)]
    best, table = calibrate(aligner, pairs, [GoldAlignment(c, c) for c in current])
    assert (best.threshold, best.band) == (0.1, 24) and best.aer == 0.0
    assert sorted(s.band for s in table if s.threshold == 0.1 and s.aer == 0.0) == [24, 32, 48]



def test_calibration_refuses_an_extraction_without_a_threshold(tiny_xlmr):
    from xlie.aligners import Aligner
    aligner = Aligner(str(tiny_xlmr), layer=2, extraction="argmax")
    with pytest.raises(ValueError, match="argmax"):
        calibrate(aligner, _pairs(2), [GoldAlignment(set(), set())] * 2)


def test_the_band_reaches_the_aligner_from_the_api_and_the_pipeline(tiny_xlmr):
    from xlie.aligners import Aligner
    from xlie.pipeline.adapters.align import AlignStageConfig, setup
    assert Aligner(str(tiny_xlmr), layer=2).band == 24          # the default
    assert Aligner(str(tiny_xlmr), layer=2, band=0).band is None
    for band, expected in ((32, 32), (0, None), (None, 24)):
        cfg = AlignStageConfig(model=str(tiny_xlmr), layer=2, band=band)
        _, aligner = setup(cfg, None)
        assert aligner.band == expected
