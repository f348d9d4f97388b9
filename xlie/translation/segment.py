"""Inputs longer than the model accepts are split, never cut.

First at sentence boundaries (pieces regrouped greedily up to the limit, so a paragraph
becomes as few segments as fit); a single sentence still too long is split at clause
punctuation, then between words, and that is reported. Segments are translated on their own
and the translations joined.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_SENTENCE = re.compile(r"(?<=[.!?…。！？؟।])[\"'”’»)\]]*\s+")
_CLAUSE = re.compile(r"(?<=[,;:，；：、])\s+")
_WORD = re.compile(r"\s+")
LEVELS = ("sentence", "clause", "word")

# languages written without spaces between sentences
_NO_SPACE = {"zh", "ja", "th", "lo", "km", "my", "bo"}


@dataclass
class Split:
    segments: list[str]
    level: str | None   # the finest boundary used: None (fits), sentence, clause or word
    ok: bool = True     # False when even one word is longer than the limit


def _pieces(text: str, pattern: re.Pattern) -> list[str]:
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(text[last:m.end()].strip())
        last = m.end()
    out.append(text[last:].strip())
    return [p for p in out if p]


def split_to_fit(text: str, length: Callable[[str], int], limit: int) -> Split:
    """Split ``text`` into segments of at most ``limit`` model tokens (``length(text)``)."""
    if length(text) <= limit:
        return Split([text], None)
    level_used = 0
    ok = True

    def fit(piece: str, level: int) -> list[str]:
        nonlocal level_used, ok
        if level >= len(LEVELS):
            ok = False
            return [piece]
        pattern = (_SENTENCE, _CLAUSE, _WORD)[level]
        parts = _pieces(piece, pattern)
        if len(parts) > 1:
            level_used = max(level_used, level)
        out: list[str] = []
        cur = ""
        for part in parts:
            cand = f"{cur} {part}" if cur else part
            if length(cand) <= limit:
                cur = cand
                continue
            if cur:
                out.append(cur)
            if length(part) <= limit:
                cur = part
            else:
                out.extend(fit(part, level + 1))
                cur = ""
        if cur:
            out.append(cur)
        return out

    segments = fit(text, 0)
    return Split(segments, LEVELS[level_used], ok)


def join_segments(segments: list[str], lang: str) -> str:
    sep = "" if lang.split("_")[0].split("-")[0].lower() in _NO_SPACE else " "
    return sep.join(s for s in segments if s)
