"""Aligning the JSONL corpus that ``xlie translate`` writes: each record's ``tokens`` against
its ``translation.tokens``, the links added to the record as the pipeline's align stage adds
them, so ``xlie translate`` -> ``xlie align`` -> ``xlie project`` chains from the command line.

Input (one record a line, as ``xlie translate`` writes it)::

    {"id": "s1", "tokens": ["I", "saw", "it"], "translation": {"lang": "es", "text": "Lo vi",
     "tokens": ["Lo", "vi"]}}

Output: the same records, in order, each with ``alignment`` ([[i, j, p], ...]: source word,
target word, link probability) and ``alignment_score``. A record the aligner cannot use (no
translation, an empty side) keeps an empty alignment and an ``alignment_error``, with a
warning naming its line, so the output stays line for line.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable

from ..batching import chunked
from ..errors import InputFormatError
from ..fileio import atomic_write
from ..formats.jsonl import read_jsonl
from ..progress import progress
from .api import Aligner
from .core import PairAlignment, unusable
from .files import AlignReport

log = logging.getLogger("xlie.align")


def is_corpus(path: str | Path) -> bool:
    """True when the first non-blank line of ``path`` is a JSON object with ``tokens``: the
    JSONL corpus, not ``source ||| target`` text."""
    if str(path) == "-":
        return False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                try:
                    rec = json.loads(line)
                except ValueError:
                    return False
                return isinstance(rec, dict) and "tokens" in rec
    return False


def target_tokens(rec: dict) -> list[str]:
    tr = rec.get("translation") or {}
    return list(tr.get("tokens") or tr.get("text", "").split())


def with_alignment(rec: dict, res: PairAlignment, digits: int = 4) -> dict:
    """A copy of ``rec`` with the links and the pair's score (and the error, if any)."""
    rec = dict(rec)
    rec["alignment"] = [[i, j, round(float(p), digits)] for i, j, p in res.links]
    rec["alignment_score"] = round(float(res.score), digits)
    if res.error is not None:
        rec["alignment_error"] = f"expected {res.error}"
    return rec


def _problem(rec: dict) -> str | None:
    if not isinstance(rec.get("translation"), dict):
        return "a `translation` object (the output of `xlie translate`)"
    return unusable(list(rec.get("tokens") or []), target_tokens(rec))


def align_corpus(input_path: str | Path, output_path: str | Path, aligner: Aligner, *,
                 strict: bool = False, digits: int = 4, chunk_size: int = 2048,
                 warn: Callable[[str], None] | None = None) -> AlignReport:
    """Align every record of the translated corpus ``input_path`` into ``output_path``."""
    report, warn = AlignReport(), warn or log.warning
    with atomic_write(output_path, input_path) as out, progress(desc="align", unit="pair") as bar:
        for chunk in chunked(read_jsonl(input_path), chunk_size):
            why = {line: _problem(rec) for line, rec in chunk}
            bad = [line for line, w in why.items() if w]
            if strict and bad:
                raise InputFormatError(input_path, bad[0], why[bad[0]])
            ok = [(rec["tokens"], target_tokens(rec)) for line, rec in chunk if not why[line]]
            results = iter(aligner.align_pairs(ok))
            for line, rec in chunk:
                res = PairAlignment(error=why[line]) if why[line] else next(results)
                if res.error:
                    msg = f"{input_path}:{line}: expected {res.error}; kept with no links"
                    warn(msg)
                    report.skipped.append(msg)
                else:
                    report.aligned += 1
                report.pairs += 1
                out.write(json.dumps(with_alignment(rec, res, digits), ensure_ascii=False) + "\n")
            bar.update(len(chunk))
    return report
