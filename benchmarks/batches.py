"""The bare forward's batching, shared by the speed benchmarks (align_speed, align_dtype):
the limit they compare ``xlie align`` against must be the same loop in both."""
from __future__ import annotations

from typing import Iterator, Sequence


def length_batches(ids: Sequence[Sequence[int]], pad_id: int,
                   budget: int = 8192) -> Iterator[tuple["object", "object"]]:
    """Token-id lists sorted longest first and cut into batches of at most ``budget`` padded
    tokens; yields ``(input_ids, attention_mask)``, both (B, T) long tensors."""
    import torch
    order = sorted(range(len(ids)), key=lambda k: -len(ids[k]))
    k = 0
    while k < len(order):
        width = len(ids[order[k]])
        batch = order[k:k + max(1, budget // width)]
        k += len(batch)
        x = torch.full((len(batch), width), pad_id)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, b in enumerate(batch):
            x[r, :len(ids[b])] = torch.tensor(ids[b])
            mask[r, :len(ids[b])] = 1
        yield x, mask
