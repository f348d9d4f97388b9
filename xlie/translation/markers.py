"""Marker-based translation (EasyProject style): wrap each source span in numbered markers,
translate, and read the markers back out of the translation.

Two marker styles; both tolerate the spacing and case changes MT makes (``< M1 >``)::

    xml       <m1>John Smith</m1> lives in <m2>Berlin</m2> .
    brackets  [1 John Smith 1] lives in [2 Berlin 2] .

A span is *lost* when its open or close marker is missing or repeated, when they come in the
wrong order, or when they enclose no text. Reordered spans are fine: markers are numbered.

Source text that already looks like a marker (a token ``<m1>``, a literal ``[1 Mary 1]``) is
text, not a marker: the markers inserted are numbered above every number it uses
(:func:`literal_numbers`, ``base``), and reading leaves those literal ones in the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import UnknownNameError

Offsets = list[tuple[int, int]]


@dataclass(frozen=True)
class MarkerStyle:
    open: str               # format with n
    close: str
    pattern: re.Pattern     # groups: "o" (open number) or "c" (close number)


MARKER_STYLES: dict[str, MarkerStyle] = {
    "xml": MarkerStyle("<m{n}>", "</m{n}>", re.compile(
        r"<\s*m\s*(?P<o>\d+)\s*>|<\s*/\s*m\s*(?P<c>\d+)\s*>", re.IGNORECASE)),
    "brackets": MarkerStyle("[{n} ", " {n}]", re.compile(
        r"\[\s*(?P<o>\d+)\s+|(?:\s+|^)(?P<c>\d+)\s*\]")),
}


def get_style(name: str) -> MarkerStyle:
    if name not in MARKER_STYLES:
        raise UnknownNameError("marker style", name, MARKER_STYLES)
    return MARKER_STYLES[name]


def literal_numbers(text: str, style: MarkerStyle) -> frozenset[int]:
    """The numbers of what already reads as a marker in ``text`` (source text, not markers)."""
    return frozenset(int(m.group("o") or m.group("c")) for m in style.pattern.finditer(text))


def insert_markers(text: str, offsets: Offsets, spans: list[tuple[int, int]],
                   style: MarkerStyle, base: int = 0) -> str:
    """Wrap token span k (``(start, end)`` on the tokens whose character ``offsets`` in
    ``text`` are given) in markers numbered base+k+1 (``base``: above the numbers of
    marker-like source text). Adjacent spans close before the next opens; nested spans open
    outermost first and close innermost first."""
    events: list[tuple[int, int, int, str]] = []  # (char pos, order, tiebreak, marker)
    for k, (a, b) in enumerate(spans):
        if not 0 <= a < b <= len(offsets):
            continue
        events.append((offsets[b - 1][1], 0, offsets[a][0], style.close.format(n=base + k + 1)))
        events.append((offsets[a][0], 1, -offsets[b - 1][1], style.open.format(n=base + k + 1)))
    # at one position: closes before opens; inner closes (later start) first; outer opens first
    events.sort(key=lambda e: (e[0], e[1], -e[2] if e[1] == 0 else e[2]))
    out, pos = [], 0
    for at, _, _, marker in events:
        out.append(text[pos:at])
        out.append(marker)
        pos = at
    out.append(text[pos:])
    return "".join(out)


@dataclass
class MarkerReadout:
    text: str                                   # the translation without markers
    char_spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # number -> chars
    lost: list[int] = field(default_factory=list)                         # numbers
    index: list[int] = field(default_factory=list)  # position in the input -> in ``text``


def _normalize_spaces(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space and strip; ``pos[i]`` maps position i of the
    input (0..len) to the output."""
    out: list[str] = []
    pos = [0] * (len(text) + 1)
    for i, ch in enumerate(text):
        pos[i] = len(out)
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    pos[len(text)] = len(out)
    if out and out[-1] == " ":
        out.pop()
    n = len(out)
    return "".join(out), [min(p, n) for p in pos]


def read_markers(translated: str, count: int, style: MarkerStyle, base: int = 0,
                 literal: frozenset[int] = frozenset()) -> MarkerReadout:
    """Remove every marker from ``translated`` but the ``literal`` ones (the source's own
    text) and find what markers base+1..base+count enclose; the readout numbers them
    1..count."""
    clean: list[str] = []
    at: dict[tuple[str, int], list[int]] = {}
    last = 0
    length = 0
    where: list[int] = []   # position in the input -> in the text without markers
    for m in style.pattern.finditer(translated):
        if int(m.group("o") or m.group("c")) in literal:
            continue   # the source's own text: it stays
        clean.append(translated[last:m.start()])
        where.extend(range(length, length + m.start() - last))
        length += m.start() - last
        where.extend([length] * (m.end() - m.start()))
        kind = "o" if m.group("o") is not None else "c"
        at.setdefault((kind, int(m.group(kind))), []).append(length)
        last = m.end()
    clean.append(translated[last:])
    where.extend(range(length, length + len(translated) - last + 1))
    text, pos = _normalize_spaces("".join(clean))
    out = MarkerReadout(text, index=[pos[w] for w in where])
    for n in range(1, count + 1):
        opens, closes = at.get(("o", base + n), []), at.get(("c", base + n), [])
        if len(opens) != 1 or len(closes) != 1 or opens[0] > closes[0]:
            out.lost.append(n)
            continue
        a, b = pos[opens[0]], pos[closes[0]]
        while a < b and text[a] == " ":
            a += 1
        while b > a and text[b - 1] == " ":
            b -= 1
        if a >= b:
            out.lost.append(n)
        else:
            out.char_spans[n] = (a, b)
    return out


def token_spans(readout: MarkerReadout, offsets: Offsets, source_spans: list[tuple[int, int]]
                ) -> tuple[dict[int, tuple[int, int]], list[int]]:
    """Marker char spans -> token spans on the translation's words (a word touched by a span
    belongs to it). Two target spans that overlap although their source spans do not (markers
    crossed each other) cannot both be right: the later-numbered one is counted lost.
    Returns ``(index of source span -> (start, end)), lost source span indices``."""
    found: dict[int, tuple[int, int]] = {}
    lost = [n - 1 for n in readout.lost]
    for n, (a, b) in sorted(readout.char_spans.items()):
        toks = [i for i, (s, e) in enumerate(offsets) if s < b and a < e]
        k = n - 1
        if not toks:
            lost.append(k)
            continue
        span = (toks[0], toks[-1] + 1)
        sa, sb = source_spans[k]
        clash = any(span[0] < e and s < span[1] and not (sa < source_spans[j][1] and source_spans[j][0] < sb)
                    for j, (s, e) in found.items())
        if clash:
            lost.append(k)
        else:
            found[k] = span
    return found, sorted(lost)
