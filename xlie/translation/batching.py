"""Length-sorted batching by token budget.

Padding is what makes naive batching slow: a batch costs as much as its longest sentence
times its size, on the encoder and, since a batch decodes until its longest output is done,
on the decoder too. Sorting a window of sentences by length and cutting batches by a budget
of padded tokens keeps sentences of similar length together.
"""
from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def plan_batches(lengths: list[int], max_tokens: int, max_sentences: int) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches: sorted by length, each batch at most
    ``max_sentences`` long and at most ``max_tokens`` padded tokens (a sentence longer than the
    budget goes alone). Batches come longest first, so running out of memory shows at once."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    widest = 0
    for i in order:
        w = max(widest, lengths[i])
        if cur and (len(cur) >= max_sentences or (len(cur) + 1) * w > max_tokens):
            batches.append(cur)
            cur, w = [], lengths[i]
        cur.append(i)
        widest = w
    if cur:
        batches.append(cur)
    return batches[::-1]


def windows(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive chunks of ``size`` items: the unit of sorting, output and resume."""
    chunk: list[T] = []
    for it in items:
        chunk.append(it)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
