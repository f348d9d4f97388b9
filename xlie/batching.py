"""Length-sorted batching by a budget of padded tokens, and streaming in chunks; shared by
the translation stage and the aligner.

A batch costs its size times its longest member, on the encoder and, since a batch decodes
until its longest output is done, on a decoder too. Sorting by length before cutting keeps
padding small, and a budget of padded tokens (rather than a fixed number of sentences) keeps
memory steady whatever the lengths.
"""
from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")


def plan_batches(lengths: Sequence[int], max_tokens: int,
                 max_sentences: int | None = None) -> list[list[int]]:
    """Indices into ``lengths`` grouped longest first so that each batch has at most
    ``max_sentences`` items and ``size * longest <= max_tokens``; an item longer than the
    budget goes alone. The longest batch comes first, so running out of memory shows at once."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:   # descending: the first item of a batch is its widest
        full = max_sentences is not None and len(current) >= max_sentences
        if current and (full or (len(current) + 1) * lengths[current[0]] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter): memory stays flat in
    corpus size, and a chunk is the unit of sorting, output and resume."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
