"""Alignment error rate (Och & Ney 2003) with precision, recall and F1.

AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|), with sure links S ⊆ possible links P.
Precision counts predicted links that are possible, recall sure links that were found.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import InputFormatError
from ..formats.pharaoh import GoldAlignment, parse_pharaoh_line, read_pharaoh


@dataclass
class AlignmentScores:
    aer: float
    precision: float
    recall: float
    f1: float
    pairs: int
    predicted: int
    sure: int

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def score_alignments(gold: Iterable[GoldAlignment], pred: Iterable[set[tuple[int, int]]]) -> AlignmentScores:
    a_and_s = a_and_p = n_a = n_s = pairs = 0
    for g, a in zip(gold, pred, strict=True):
        a_and_s += len(a & g.sure)
        a_and_p += len(a & g.possible)
        n_a += len(a)
        n_s += len(g.sure)
        pairs += 1
    aer = 1.0 - (a_and_s + a_and_p) / (n_a + n_s) if n_a + n_s else 0.0
    precision = a_and_p / n_a if n_a else 0.0
    recall = a_and_s / n_s if n_s else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return AlignmentScores(aer, precision, recall, f1, pairs, n_a, n_s)


Links = set[tuple[int, int]]


def read_gold_and_pred(gold_path: str | Path, pred_path: str | Path,
                       gold_one_indexed: bool = True) -> tuple[list[GoldAlignment], list[Links]]:
    """Both files, line by line; a prediction must keep one line per gold line."""
    gold = list(read_pharaoh(gold_path, one_indexed=gold_one_indexed))
    pred = [g.possible for g in read_pharaoh(pred_path, one_indexed=False)]
    if len(gold) != len(pred):
        raise InputFormatError(pred_path, min(len(gold), len(pred)) + 1,
                               f"{len(gold)} lines, one per gold line", f"{len(pred)} lines",
                               hint="the prediction must keep one line per input pair")
    return gold, pred


def evaluate_files(gold_path: str | Path, pred_path: str | Path,
                   gold_one_indexed: bool = True) -> AlignmentScores:
    """Score a Pharaoh prediction file (0-indexed) against a gold file, line by line."""
    return score_alignments(*read_gold_and_pred(gold_path, pred_path, gold_one_indexed))


__all__ = ["AlignmentScores", "score_alignments", "evaluate_files", "read_gold_and_pred",
           "parse_pharaoh_line"]
