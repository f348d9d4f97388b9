"""Tag schemes for spans over tokens: IOB1, IOB2 (BIO) and BIOES, in and out.

Sample (one sentence, three schemes)::

    tokens  The  European  Parliament  met  in  Strasbourg
    IOB2    O    B-ORG     I-ORG       O    O   B-LOC
    IOB1    O    I-ORG     I-ORG       O    O   I-LOC
    BIOES   O    B-ORG     E-ORG       O    O   S-LOC

Decoding is lenient by default, as conlleval and seqeval are: ``B-`` (and ``S-``) always
start an entity, ``I-X`` (and ``E-X``) continue an open ``X`` entity and otherwise start
one, ``E-``/``S-`` close it. One decoder thus reads all three schemes (and BILOU's ``U-``/
``L-``). With ``strict`` a tag that the named scheme forbids raises, naming its position.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

SCHEMES = ("iob1", "iob2", "bioes")
_TAG = re.compile(r"^([BIESUL])-(.+)$")
_ALIAS = {"U": "S", "L": "E"}


class TagError(ValueError):
    """A tag is malformed or breaks the scheme; ``index`` is its 0-based token position."""

    def __init__(self, index: int, tag: str, expected: str):
        super().__init__(f"tag {tag!r} at token {index}: expected {expected}")
        self.index, self.tag, self.expected = index, tag, expected


def parse_tag(tag: str, index: int = 0) -> tuple[str, str | None]:
    """``'B-PER'`` -> ``('B', 'PER')``; ``'O'`` -> ``('O', None)``."""
    if tag == "O":
        return "O", None
    m = _TAG.match(tag)
    if not m:
        raise TagError(index, tag, "'O' or a tag like 'B-PER' (prefix B, I, E or S)")
    prefix, label = m.group(1), m.group(2)
    return _ALIAS.get(prefix, prefix), label


def _check(scheme: str, i: int, tag: str, prefix: str, label: str | None,
           prev: tuple[str, str | None]) -> None:
    inside = prev[0] in ("B", "I") and prev[1] == label  # an entity of this type is open
    if scheme == "iob2":
        if prefix in ("E", "S"):
            raise TagError(i, tag, "IOB2 tags (B-, I- or O)")
        if prefix == "I" and not inside:
            raise TagError(i, tag, f"B-{label} to start an entity (IOB2)")
    elif scheme == "iob1":
        if prefix in ("E", "S"):
            raise TagError(i, tag, "IOB1 tags (B-, I- or O)")
        if prefix == "B" and not (prev[0] in ("B", "I") and prev[1] == label):
            raise TagError(i, tag, f"I-{label}: IOB1 uses B- only right after an entity of "
                           "the same type")
    elif scheme == "bioes":
        if prefix in ("I", "E") and not inside:
            raise TagError(i, tag, f"B-{label} or S-{label} to start an entity (BIOES)")
        if prev[0] in ("B", "I") and prefix not in ("I", "E"):
            raise TagError(i, tag, f"I-{prev[1]} or E-{prev[1]} to continue the open entity")


def tags_to_spans(tags: Sequence[str], scheme: str | None = None,
                  strict: bool = False) -> list[tuple[int, int, str]]:
    """Decode tags into ``(start, end, label)`` spans, end exclusive. ``scheme`` only matters
    with ``strict``; lenient decoding reads IOB1, IOB2 and BIOES alike."""
    if strict and scheme not in SCHEMES:
        raise ValueError(f"strict decoding needs a scheme in {SCHEMES}, got {scheme!r}")
    spans: list[tuple[int, int, str]] = []
    start, label = None, None  # the open entity
    prev: tuple[str, str | None] = ("O", None)
    for i, tag in enumerate(tags):
        prefix, lab = parse_tag(tag, i)
        if strict:
            _check(scheme, i, tag, prefix, lab, prev)
        continues = start is not None and lab == label and prefix in ("I", "E")
        if not continues and start is not None:
            spans.append((start, i, label))
            start, label = None, None
        if prefix != "O" and not continues:
            start, label = i, lab
        if prefix in ("E", "S"):
            spans.append((start, i + 1, label))
            start, label = None, None
        prev = (prefix, lab) if prefix in ("B", "I") else ("O", None)
    if strict and scheme == "bioes" and start is not None:
        raise TagError(len(tags) - 1, tags[-1], f"E-{label} to close the entity (BIOES)")
    if start is not None:
        spans.append((start, len(tags), label))
    return spans


def overlapping(spans: Sequence[tuple[int, int, str]]) -> bool:
    """True when two spans share a token."""
    ordered = sorted(spans)
    return any(b[0] < a[1] for a, b in zip(ordered, ordered[1:]))


def drop_overlaps(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The spans in the order given, less each one that shares a token with an earlier one."""
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    return kept


def spans_to_tags(n: int, spans: Iterable[tuple[int, int, str]], scheme: str = "iob2",
                  overlaps: str = "error") -> list[str]:
    """Encode spans over ``n`` tokens. Overlapping spans cannot be encoded: they raise, or
    with ``overlaps="first"`` the span given first wins (a tagger's training labels)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if overlaps == "first":
        spans = drop_overlaps(spans)
    tags = ["O"] * n
    last_end, last_label = -1, None
    for start, end, label in sorted(spans):
        if start < last_end:
            raise ValueError(f"overlapping spans cannot be written as tags: one ends at "
                             f"{last_end}, the next starts at {start}")
        if scheme == "iob2":
            tags[start:end] = [f"B-{label}"] + [f"I-{label}"] * (end - start - 1)
        elif scheme == "iob1":
            first = "B" if (start == last_end and label == last_label) else "I"
            tags[start:end] = [f"{first}-{label}"] + [f"I-{label}"] * (end - start - 1)
        else:
            if end - start == 1:
                tags[start] = f"S-{label}"
            else:
                tags[start:end] = ([f"B-{label}"] + [f"I-{label}"] * (end - start - 2)
                                   + [f"E-{label}"])
        last_end, last_label = end, label
    return tags


def convert_tags(tags: Sequence[str], to: str = "iob2") -> list[str]:
    """Re-encode a tag sequence in another scheme."""
    return spans_to_tags(len(tags), tags_to_spans(tags), to)
