"""CoNLL-2002/2003 NER: one token per line, the NER tag in the last column, a blank line
between sentences. Tags may be IOB1, IOB2 or BIOES; writers write IOB2 unless told otherwise.

Sample (CoNLL-2002, TAB-separated; CoNLL-2003 adds POS and chunk columns in between, split
by spaces, and ``-DOCSTART- -X- -X- O`` lines between documents)::

    I	O
    declare	O
    resumed	O
    the	O
    session	O
    of	O
    the	O
    European	B-ORG
    Parliament	I-ORG

    Thank	O
    you	O
    ,	O
    Mr	O
    Segni	B-PER

Reading yields corpus :class:`~xlie.corpus.Sentence` records: ids ``{id_prefix}{k}`` with
``k`` counting sentences from 0 (so sentence k of two parallel files gets the same id), spans
with ids ``{sentence id}-{m}``. Middle columns, when there are any, are kept as
``conll_columns`` so a CoNLL-2003 file comes back out unchanged. Anything malformed raises
:class:`~xlie.errors.InputFormatError` naming file and line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ..corpus import Sentence, Span
from ..errors import InputFormatError, UnknownNameError
from ..fileio import iter_lines, write_each
from .iob import SCHEMES, TagError, spans_to_tags, tags_to_spans

DOCSTART = "-DOCSTART-"


class _Block:
    """The lines of one sentence as read: tokens, middle columns, tags and line numbers."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.middle: list[list[str]] = []
        self.tags: list[str] = []
        self.lines: list[int] = []


def _split(text: str, tabbed: bool) -> list[str]:
    return text.split("\t") if tabbed else text.split()


def _blocks(path: str | Path) -> Iterator[tuple[_Block, bool]]:
    """Group lines into sentences; yields ``(block, docstart_before)``."""
    tabbed: bool | None = None
    ncols: int | None = None
    first_line = 0
    block, docstart = _Block(), False
    for line, text, raw in iter_lines(path):
        if text is None:
            raise InputFormatError(path, line, "valid UTF-8 text", raw.decode("utf-8", "replace"))
        if not text.strip():
            if block.tokens:
                yield block, docstart
                block, docstart = _Block(), False
            continue
        if tabbed is None:
            tabbed = "\t" in text
        cols = _split(text.rstrip("\r\n") if tabbed else text, tabbed)
        if cols[0] == DOCSTART:
            if block.tokens:
                yield block, docstart
                block = _Block()
            docstart = True
            continue
        sep = "TAB" if tabbed else "space"
        if len(cols) < 2:
            raise InputFormatError(path, line, f"a token and a NER tag separated by {sep}", text,
                                   hint="the file may be truncated or use another separator")
        if ncols is None:
            ncols, first_line = len(cols), line
        elif len(cols) != ncols:
            raise InputFormatError(path, line, f"{ncols} {sep}-separated columns as on line "
                                   f"{first_line}", text)
        if not cols[0].strip() or not cols[-1].strip():
            raise InputFormatError(path, line, "a non-empty token and tag", text)
        block.tokens.append(cols[0])
        block.middle.append(cols[1:-1])
        block.tags.append(cols[-1].strip())
        block.lines.append(line)
    if block.tokens:
        yield block, docstart


def read_conll(path: str | Path, scheme: str | None = None, lang: str | None = None,
               id_prefix: str = "") -> Iterator[Sentence]:
    """Stream sentences from a CoNLL NER file.

    ``scheme`` (``iob1``, ``iob2``, ``bioes``) names the scheme the file is written in: tags
    that break it raise. Left out, tags of any of the three schemes are read leniently."""
    if scheme is not None and scheme not in SCHEMES:
        raise UnknownNameError("tag scheme", scheme, SCHEMES)
    for k, (block, docstart) in enumerate(_blocks(path)):
        try:
            spans = tags_to_spans(block.tags, scheme, strict=scheme is not None)
        except TagError as e:
            raise InputFormatError(path, block.lines[e.index], e.expected, block.tags[e.index],
                                   hint=None if scheme is None else
                                   f"the file was read as {scheme.upper()}; pass the scheme it "
                                   "is written in, or none to read it leniently") from None
        sid = f"{id_prefix}{k}"
        rec: dict = {"id": sid, "lang": lang, "tokens": block.tokens,
                     "spans": [Span(start=s, end=e, label=lab, id=f"{sid}-{m}")
                               for m, (s, e, lab) in enumerate(spans)]}
        if any(block.middle):
            rec["conll_columns"] = block.middle
        if docstart:
            rec["docstart"] = True
        yield Sentence(**rec)


def _middle(sentence: Sentence) -> list[list[str]] | None:
    cols = getattr(sentence, "conll_columns", None)
    if cols and len(cols) == len(sentence.tokens):
        return [list(c) for c in cols]
    return None


def format_conll(sentence: Sentence, scheme: str = "iob2", sep: str = "\t") -> str:
    """One sentence as CoNLL lines (no trailing blank line). Overlapping spans cannot be
    written as tags: resolve them first (the projection stage does)."""
    if scheme not in SCHEMES:
        raise UnknownNameError("tag scheme", scheme, SCHEMES)
    try:
        tags = spans_to_tags(len(sentence.tokens),
                             [(s.start, s.end, s.label) for s in sentence.spans], scheme)
    except ValueError as e:
        raise InputFormatError(None, None, "non-overlapping spans", f"sentence {sentence.id}",
                               hint=str(e)) from None
    middle = _middle(sentence)
    lines = []
    if getattr(sentence, "docstart", False):
        width = len(middle[0]) if middle else 0
        lines += [sep.join([DOCSTART] + ["-X-"] * width + ["O"]), ""]
    for i, (tok, tag) in enumerate(zip(sentence.tokens, tags)):
        lines.append(sep.join([tok] + (middle[i] if middle else []) + [tag]))
    return "\n".join(lines)


def write_conll(path: str | Path, sentences: Iterable[Sentence], scheme: str = "iob2",
                *inputs: str | Path | None, sep: str = "\t") -> int:
    """Write sentences atomically (never over ``inputs``); returns the count."""
    return write_each(path, sentences, lambda sent: format_conll(sent, scheme, sep) + "\n\n",
                      *inputs)
