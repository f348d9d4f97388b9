"""Pharaoh word alignments: one line per sentence pair, space-separated links.

Sample (0-indexed aligner output; gold files may be 1-indexed and mark possible links
with ``p``)::

    0-0 1-1 1-2 3-5 4-4
    0-0 1p1 2-3

``i-j`` is a sure link from source word i to target word j, ``ipj`` a possible one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import InputFormatError
from ..fileio import iter_lines

_LINK = re.compile(r"^(\d+)([-p])(\d+)$")

Link = tuple[int, int]


@dataclass
class GoldAlignment:
    sure: set[Link] = field(default_factory=set)
    possible: set[Link] = field(default_factory=set)  # always a superset of ``sure``


def parse_pharaoh_line(text: str, path: str | Path | None = None, line: int | None = None,
                       one_indexed: bool = False) -> GoldAlignment:
    gold = GoldAlignment()
    offset = 1 if one_indexed else 0
    for item in text.split():
        m = _LINK.match(item)
        if not m:
            raise InputFormatError(path, line, "links written 'i-j' or 'ipj'", item)
        i, j = int(m.group(1)) - offset, int(m.group(3)) - offset
        if i < 0 or j < 0:
            raise InputFormatError(path, line, "1-indexed links (no index 0)" if one_indexed
                                   else "non-negative link indices", item,
                                   hint="pass --zero-indexed for 0-indexed gold" if one_indexed
                                   else None)
        gold.possible.add((i, j))
        if m.group(2) == "-":
            gold.sure.add((i, j))
    return gold


def read_pharaoh(path: str | Path, one_indexed: bool = False) -> Iterator[GoldAlignment]:
    for line, text, raw in iter_lines(path):
        if text is None:
            raise InputFormatError(path, line, "valid UTF-8", raw.decode("utf-8", "replace"))
        yield parse_pharaoh_line(text, path, line, one_indexed)


def format_pharaoh(links: Iterable[Link]) -> str:
    return " ".join(f"{i}-{j}" for i, j in sorted(links))
