"""AER of the model under training on a gold set, with the same extraction SO trains on
(softmax or entmax over content subwords of layer L, both directions, threshold), subword
links lifted to word links through ``word_ids()``. Used to log each checkpoint and keep the
best one."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from ...errors import InputFormatError
from ...fileio import iter_lines
from .data import Collator, Pair
from .model import layer_states
from .so import directional_probs, extract_links

Links = set[tuple[int, int]]


@dataclass
class GoldLinks:
    sure: Links
    possible: Links  # includes the sure links


def read_gold(path: str | Path, base: int = 1) -> list[GoldLinks]:
    """Pharaoh gold, ``i-j`` sure and ``ipj`` possible links, indices starting at ``base``."""
    out: list[GoldLinks] = []
    for line, text, raw in iter_lines(path):
        sure: Links = set()
        possible: Links = set()
        for tok in (text or "").split():
            sep = "-" if "-" in tok else "p" if "p" in tok else None
            a, _, b = tok.partition(sep) if sep else ("", "", "")
            if not (a.isdigit() and b.isdigit()) or int(a) < base or int(b) < base:
                raise InputFormatError(path, line, f"links 'i-j' or 'ipj' with indices >= {base}", tok)
            link = (int(a) - base, int(b) - base)
            possible.add(link)
            if sep == "-":
                sure.add(link)
        out.append(GoldLinks(sure, possible))
    return out


def aer(predicted: Sequence[Links], gold: Sequence[GoldLinks]) -> dict[str, float]:
    """Och & Ney: 1 − (|A∩S| + |A∩P|) / (|A| + |S|); with precision and recall."""
    a_s = a_p = n_a = n_s = 0
    for pred, g in zip(predicted, gold):
        a_s += len(pred & g.sure)
        a_p += len(pred & g.possible)
        n_a += len(pred)
        n_s += len(g.sure)
    return {"aer": 1 - (a_s + a_p) / max(1, n_a + n_s),
            "precision": a_p / max(1, n_a), "recall": a_s / max(1, n_s)}


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


def evaluate(encoder, collator: Collator, pairs: Sequence[Pair], gold: Sequence[GoldLinks],
             layer: int, threshold: float, extraction: str = "softmax") -> dict[str, float]:
    return aer(predict_links(encoder, collator, pairs, layer, threshold, extraction), gold)
