"""Length-sorted batching by token budget, and streaming in chunks.

Sorting by length before batching keeps padding small; a budget on padded tokens (rather
than a fixed number of sentences) keeps memory steady whatever the lengths.
"""
from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")


def token_budget_batches(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Group indices (longest first) so that ``count * longest <= budget`` in each batch.
    A single item longer than the budget gets a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    width = 0
    for i in order:
        w = max(width, lengths[i])
        if current and w * (len(current) + 1) > budget:
            batches.append(current)
            current, w = [], lengths[i]
        current.append(i)
        width = w
    if current:
        batches.append(current)
    return batches


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Stream an iterable as lists of ``size`` items (memory stays flat in corpus size)."""
    it = iter(items)
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        yield chunk
