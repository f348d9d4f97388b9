"""Choose the link threshold and the long-pair band of a model on a gold set.

A threshold and band tuned for one encoder need not suit another, nor the same encoder after
fine-tuning (measured in benchmarks/RESULTS.md, sections ``align_calibrate`` and
``align_finetune_calibrated``). ``calibrate`` scores a small grid around the current
settings with the aligner users run, encoding each sentence once (an encoding cache shared
by the aligners of the grid), and returns the best setting with the whole table. ``xlie
align train --eval-gold`` records the choice in the model directory, where ``xlie align
--model DIR`` picks it up; ``xlie align calibrate`` does the same for any model and prints
the flags to pass. The grid's encodings are held in memory: meant for a gold set of
hundreds or thousands of pairs, not a corpus.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..formats.parallel import read_parallel_for_gold
from ..formats.pharaoh import GoldAlignment, read_pharaoh
from .aer import AlignmentScores, score_alignments
from .core import Aligner
from .settings import THRESHOLD_EXTRACTIONS

# times the current threshold and band; the current setting comes first, so it wins ties
THRESHOLD_FACTORS = (1.0, 0.25, 0.5, 2.0)
BAND_FACTORS = (1.0, 4 / 3, 2.0)            # 24: 24, 32, 48


@dataclass(frozen=True)
class Setting:
    threshold: float
    band: int | None
    aer: float
    precision: float
    recall: float

    def as_dict(self) -> dict:
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def grid(threshold: float, band: int | None) -> list[tuple[float, int | None]]:
    """The settings tried: the current one first, then its neighbours (no band stays none)."""
    bands = list(dict.fromkeys(round(band * f) for f in BAND_FACTORS)) if band else [None]
    thresholds = dict.fromkeys(round(threshold * f, 6) for f in THRESHOLD_FACTORS)  # 0 stays 0
    return [(t, b) for t in thresholds for b in bands]


def score_aligner(aligner: Aligner, pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
                  gold: Sequence[GoldAlignment]) -> AlignmentScores:
    """AER, P, R of the aligner's links on ``pairs`` against their gold."""
    found = aligner.align([(list(s), list(t)) for s, t in pairs])
    return score_alignments(gold, [{(i, j) for i, j, _ in r.links} for r in found])


def calibrate(aligner: Aligner, pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
              gold: Sequence[GoldAlignment]) -> tuple[Setting, list[Setting]]:
    """(lowest-AER setting, every setting tried) over ``grid`` of the aligner's threshold
    and band; ties go to the setting tried first, the current one among them. Each setting
    is an aligner of its own (``with_settings``) sharing one encoding cache, so each
    sentence is encoded once; ``aligner`` is not changed."""
    if aligner.extraction not in THRESHOLD_EXTRACTIONS:
        raise ValueError(f"calibration tunes softmax/entmax thresholds, not {aligner.extraction}")
    cached = aligner.cached()
    table = []
    for threshold, band in grid(aligner.threshold, aligner.band):
        s = score_aligner(cached.with_settings(threshold=threshold, band=band or 0), pairs, gold)
        table.append(Setting(threshold, band, s.aer, s.precision, s.recall))
    return min(table, key=lambda s: s.aer), table


def calibrate_files(aligner: Aligner, data_path: str | Path, gold_path: str | Path,
                    gold_one_indexed: bool = True) -> tuple[Setting, list[Setting]]:
    """``calibrate`` on a ``src ||| tgt`` file and its Pharaoh gold (`xlie align calibrate`)."""
    gold = list(read_pharaoh(gold_path, one_indexed=gold_one_indexed))
    pairs = read_parallel_for_gold(data_path, len(gold), "pass the pairs that GOLD aligns")
    return calibrate(aligner, pairs, gold)
