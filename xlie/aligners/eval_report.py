"""What `xlie align eval` prints: the AER line, and on request the breakdown of errors."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputFormatError
from ..formats.pharaoh import GoldAlignment
from ..formats.parallel import read_parallel_for_gold
from .aer import AlignmentScores, read_gold_and_pred, score_alignments
from .breakdown import Breakdown, break_down, format_breakdown


@dataclass
class EvalReport:
    scores: AlignmentScores
    breakdown: Breakdown | None = None
    warnings: list[str] = field(default_factory=list)

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
    pairs = None
    if data_path:
        pairs = read_parallel_for_gold(data_path, len(gold),
                                       "pass the file that was aligned to make PRED")
        check_links_in_pairs(pred, pairs, pred_path)
        check_links_in_pairs([g.possible for g in gold], pairs, gold_path,
                             "pass --zero-indexed if GOLD is 0-indexed" if gold_one_indexed
                             else None)
    report = EvalReport(score_alignments(gold, pred))
    shifted = off_by_one_warning(gold, pred, report.scores.aer, pred_path)
    if shifted:
        report.warnings.append(shifted)
    if breakdown:
        report.breakdown = break_down(gold, pred, pairs)
    return report


def check_links_in_pairs(links: list[set[tuple[int, int]]],
                         pairs: list[tuple[list[str], list[str]]], path: str | Path,
                         hint: str | None = None) -> None:
    """A link to a word the pair does not have is an error, not a silent change of AER."""
    for line, (found, (src, tgt)) in enumerate(zip(links, pairs), 1):
        bad = sorted((i, j) for i, j in found if i >= len(src) or j >= len(tgt))
        if bad:
            i, j = bad[0]
            raise InputFormatError(path, line, f"links within the pair's {len(src)} source and "
                                   f"{len(tgt)} target words (0-indexed i-j)", f"{i}-{j}",
                                   hint=hint or "was PRED made from the --data file, by an "
                                   "aligner writing 0-indexed links?")


def off_by_one_warning(gold: list[GoldAlignment], pred: list[set[tuple[int, int]]], aer: float,
                       pred_path: str | Path) -> str | None:
    """PRED written 1-indexed (or GOLD 0-indexed without --zero-indexed) scores far worse
    than the same links shifted by one; say so instead of printing a meaningless AER."""
    for shift, what in ((-1, "1-indexed"), (1, "shifted the other way")):
        moved = [{(i + shift, j + shift) for i, j in links} for links in pred]
        other = score_alignments(gold, moved).aer
        if other < aer - 0.2 and other < 0.5:
            return (f"{pred_path}: its links look {what}: shifted by {shift:+d} they score AER "
                    f"{100 * other:.2f} instead of {100 * aer:.2f}. xlie align writes 0-indexed "
                    f"links; GOLD is read 1-indexed unless --zero-indexed")
    return None
