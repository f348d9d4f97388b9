"""What `xlie align eval` prints: the AER line, and on request the breakdown of errors."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..formats.parallel import read_parallel_for_gold
from .aer import AlignmentScores, read_gold_and_pred, score_alignments
from .breakdown import Breakdown, break_down, format_breakdown


@dataclass
class EvalReport:
    scores: AlignmentScores
    breakdown: Breakdown | None = None

    def to_text(self, top: int = 10) -> str:
        s = self.scores
        text = (f"AER {100 * s.aer:.2f}  P {100 * s.precision:.2f}  R {100 * s.recall:.2f}  "
                f"F1 {100 * s.f1:.2f}  ({s.pairs} pairs, {s.predicted} links, {s.sure} sure)")
        return text if self.breakdown is None else text + "\n" + format_breakdown(self.breakdown, top)

    def to_json(self, top: int = 10) -> str:
        record = self.scores.as_dict()
        if self.breakdown is not None:
            record["breakdown"] = self.breakdown.as_dict(top)
        return json.dumps(record)


def evaluate_report(gold_path: str | Path, pred_path: str | Path, gold_one_indexed: bool = True,
                    breakdown: bool = False, data_path: str | Path | None = None) -> EvalReport:
    gold, pred = read_gold_and_pred(gold_path, pred_path, gold_one_indexed)
    report = EvalReport(score_alignments(gold, pred))
    if breakdown:
        pairs = None
        if data_path:
            pairs = read_parallel_for_gold(data_path, len(gold),
                                           "pass the file that was aligned to make PRED")
        report.breakdown = break_down(gold, pred, pairs)
    return report
