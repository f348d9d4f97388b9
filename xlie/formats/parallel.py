"""Parallel text, awesome-align's format: one pair per line, pretokenized, sides split by
`|||`, tokens split on whitespace.

Sample::

    I tried to examine myself . ||| Pokusil jsem se sám se prohlédnout .
    I felt my pulse . ||| Zkoušel jsem si tep .

The reader streams and never drops a line: an unusable line comes back as a pair with
``error`` set, so an aligner can write an empty output line in its place and keep the
output line-for-line with the input.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import InputFormatError
from ..fileio import iter_lines, write_each

SEPARATOR = "|||"


@dataclass
class ParallelPair:
    line: int
    src: list[str] = field(default_factory=list)
    tgt: list[str] = field(default_factory=list)
    error: str | None = None  # what was expected, when the line is unusable

    @property
    def ok(self) -> bool:
        return self.error is None


def _has_control_chars(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\t" for c in text)


def parse_parallel_line(text: str | None, line: int = 0) -> ParallelPair:
    if text is None:
        return ParallelPair(line, error="valid UTF-8 text")
    if _has_control_chars(text):
        return ParallelPair(line, error="text without control characters")
    if SEPARATOR not in text:
        return ParallelPair(line, error=f"'source {SEPARATOR} target'")
    src_text, tgt_text = text.split(SEPARATOR, 1)
    if SEPARATOR in tgt_text:
        return ParallelPair(line, error=f"exactly one '{SEPARATOR}' separator")
    src, tgt = src_text.split(), tgt_text.split()
    if not src or not tgt:
        return ParallelPair(line, src, tgt, error="a non-empty source and target side")
    return ParallelPair(line, src, tgt)


def read_parallel(path: str | Path, strict: bool = False) -> Iterator[ParallelPair]:
    """Stream pairs with line numbers; with ``strict`` the first bad line raises
    :class:`InputFormatError` naming file and line."""
    for line, text, raw in iter_lines(path):
        pair = parse_parallel_line(text, line)
        if strict and not pair.ok:
            shown = text if text is not None else raw.decode("utf-8", "replace")
            raise InputFormatError(path, line, pair.error, shown)
        yield pair


def read_parallel_for_gold(path: str | Path, gold_lines: int,
                           hint: str) -> list[tuple[list[str], list[str]]]:
    """Every pair of ``path`` (strict), which must have one pair per line of a gold file."""
    pairs = [(p.src, p.tgt) for p in read_parallel(path, strict=True)]
    if len(pairs) != gold_lines:
        raise InputFormatError(path, min(gold_lines, len(pairs)) + 1,
                               f"{gold_lines} pairs, one per gold line", f"{len(pairs)} pairs",
                               hint=hint)
    return pairs


def format_parallel_line(src: Iterable[str], tgt: Iterable[str]) -> str:
    return f"{' '.join(src)} {SEPARATOR} {' '.join(tgt)}"


def write_parallel(path: str | Path, pairs: Iterable[tuple[list[str], list[str]]]) -> int:
    return write_each(path, pairs, lambda pair: format_parallel_line(*pair) + "\n")
