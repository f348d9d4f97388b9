"""Choose the link threshold and the long-pair band of a model on a gold set.

A threshold and band tuned for one encoder need not suit another, nor the same encoder after
fine-tuning (measured in benchmarks/RESULTS.md, sections ``align_calibrate`` and
``align_finetune_calibrated``). ``calibrate`` scores a small grid
around the current settings with the aligner users run, encoding each sentence once, and
returns the best setting with the whole table. ``xlie align train --eval-gold`` records the
choice in the model directory, where ``xlie align --model DIR`` picks it up; ``xlie align
calibrate`` does the same for any model and prints the flags to pass. The grid's encodings
are held in memory: meant for a gold set of hundreds or thousands of pairs, not a corpus.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..formats.parallel import read_parallel_for_gold
from ..formats.pharaoh import GoldAlignment, read_pharaoh
from .aer import AlignmentScores, score_alignments
from .core import WordAligner

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


class _MemoEncoder:
    """The aligner's encoder, remembering each sentence's vectors: every setting of the grid
    aligns the same sentences, and encoding is most of the cost."""

    def __init__(self, encoder):
        self._encoder, self._memo = encoder, {}

    def encode(self, sentences, token_budget: int = 8192):
        keys = [tuple(s) for s in sentences]
        todo = list(dict.fromkeys(k for k in keys if k not in self._memo))
        if todo:
            self._memo.update(zip(todo, self._encoder.encode(todo, token_budget=token_budget)))
        return [self._memo[k] for k in keys]

    def __getattr__(self, name):
        return getattr(self._encoder, name)


def grid(threshold: float, band: int | None) -> list[tuple[float, int | None]]:
    """The settings tried: the current one first, then its neighbours (no band stays none)."""
    bands = list(dict.fromkeys(round(band * f) for f in BAND_FACTORS)) if band else [None]
    thresholds = dict.fromkeys(round(threshold * f, 6) for f in THRESHOLD_FACTORS)  # 0 stays 0
    return [(t, b) for t in thresholds for b in bands]


def score_aligner(aligner: WordAligner, pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
                  gold: Sequence[GoldAlignment]) -> AlignmentScores:
    """AER, P, R of the aligner's links on ``pairs`` against their gold."""
    found = aligner.align([(list(s), list(t)) for s, t in pairs])
    return score_alignments(gold, [{(i, j) for i, j, _ in r.links} for r in found])


def calibrate(aligner: WordAligner, pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
              gold: Sequence[GoldAlignment]) -> tuple[Setting, list[Setting]]:
    """(lowest-AER setting, every setting tried) over ``grid`` of the aligner's threshold
    and band; ties go to the setting tried first, the current one among them. The aligner
    is left as it was."""
    if aligner.extraction not in ("softmax", "entmax"):
        raise ValueError(f"calibration tunes softmax/entmax thresholds, not {aligner.extraction}")
    saved = aligner.encoder, dict(aligner.options), aligner.band
    current = aligner.options.get(
        "threshold", inspect.signature(aligner.method).parameters["threshold"].default)
    table = []
    try:
        aligner.encoder = _MemoEncoder(aligner.encoder)
        for threshold, band in grid(current, aligner.band):
            aligner.options["threshold"], aligner.band = threshold, band
            s = score_aligner(aligner, pairs, gold)
            table.append(Setting(threshold, band, s.aer, s.precision, s.recall))
    finally:
        aligner.encoder, aligner.options, aligner.band = saved
    return min(table, key=lambda s: s.aer), table


def calibrate_files(aligner: WordAligner, data_path: str | Path, gold_path: str | Path,
                    gold_one_indexed: bool = True) -> tuple[Setting, list[Setting]]:
    """``calibrate`` on a ``src ||| tgt`` file and its Pharaoh gold (`xlie align calibrate`)."""
    gold = list(read_pharaoh(gold_path, one_indexed=gold_one_indexed))
    pairs = read_parallel_for_gold(data_path, len(gold), "pass the pairs that GOLD aligns")
    return calibrate(aligner, pairs, gold)
