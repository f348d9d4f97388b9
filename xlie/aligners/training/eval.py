"""AER of the model under training on a gold set, with the same extraction SO trains on
(softmax or entmax over content subwords of layer L, both directions, threshold), subword
links lifted to word links through ``word_ids()``. Used to log each checkpoint and keep the
best one."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from ...formats.pharaoh import GoldAlignment, read_pharaoh
from ..aer import score_alignments
from .data import Collator, Pair
from .model import layer_states
from .so import directional_probs, extract_links

Links = set[tuple[int, int]]


def read_gold(path: str | Path, base: int = 1) -> list[GoldAlignment]:
    """Pharaoh gold (``i-j`` sure, ``ipj`` possible), first word ``base``: the aligner's reader."""
    return list(read_pharaoh(path, one_indexed=base == 1))


def aer(predicted: Sequence[Links], gold: Sequence[GoldAlignment]) -> dict[str, float]:
    """AER, precision and recall with the aligner's scorer."""
    s = score_alignments(gold, predicted)
    return {"aer": s.aer, "precision": s.precision, "recall": s.recall}


@torch.no_grad()
def predict_links(encoder, collator: Collator, pairs: Sequence[Pair], layer: int,
                  threshold: float, extraction: str = "softmax", batch_size: int = 32) -> list[Links]:
    """Word links of each pair; ``encoder`` is the base model (``AutoModel``)."""
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    out: list[Links] = []
    try:
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            enc = collator._encode([list(s) for s, _ in chunk] + [list(t) for _, t in chunk])
            b = len(chunk)
            h = layer_states(encoder, enc["input_ids"].to(device),
                             enc["attention_mask"].to(device), layer).cpu()   # (2B, T, H)
            content, wids = enc["content"], enc["word_ids"]
            p_xy, p_yx = directional_probs(h[:b], h[b:], content[:b], content[b:], extraction)
            sub = extract_links(p_xy, p_yx, threshold)                        # (B, T, T)
            for r in range(b):
                i, j = sub[r].nonzero(as_tuple=True)
                out.append({(int(wids[r, a]), int(wids[b + r, c])) for a, c in zip(i, j)})
    finally:
        encoder.train(was_training)
    return out


def evaluate(encoder, collator: Collator, pairs: Sequence[Pair], gold: Sequence[GoldAlignment],
             layer: int, threshold: float, extraction: str = "softmax") -> dict[str, float]:
    return aer(predict_links(encoder, collator, pairs, layer, threshold, extraction), gold)
