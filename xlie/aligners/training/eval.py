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
from ...errors import XlieError
from .data import Collator, Pair, filter_by_length, read_pairs
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


class CheckpointEvaluator:
    """AER of the model under training on ``eval_data``/``eval_gold`` (main process only);
    each result is logged and the best model kept by the checkpoint manager."""

    def __init__(self, pairs, gold, collator: Collator, layer: int, threshold: float,
                 extraction: str, accelerator):
        self.pairs, self.gold, self.collator = pairs, gold, collator
        self.layer, self.threshold, self.extraction, self.acc = layer, threshold, extraction, accelerator

    @classmethod
    def from_config(cls, cfg, tokenizer, collator, max_len: int, layer: int, threshold: float,
                    accelerator) -> "CheckpointEvaluator | None":
        if not cfg.eval_gold:
            return None
        pairs, gold = read_pairs(cfg.eval_data), read_gold(cfg.eval_gold, cfg.gold_base)
        if len(gold) != len(pairs):
            raise XlieError(f"{cfg.eval_gold} has {len(gold)} lines but {cfg.eval_data} has "
                            f"{len(pairs)} pairs", "pass the gold that belongs to the eval data")
        fits = {id(p) for p in filter_by_length(pairs, tokenizer, max_len)[0]}
        kept = [(p, g) for p, g in zip(pairs, gold) if id(p) in fits]
        if len(kept) < len(pairs):   # left out of the AER, and said so
            accelerator.print(f"eval: left out {len(pairs) - len(kept)} of {len(pairs)} pairs "
                              f"longer than {max_len} subwords")
        return cls([p for p, _ in kept], [g for _, g in kept], collator, layer, threshold,
                   cfg.extraction, accelerator)

    def __call__(self, model, step: int, ckpt) -> None:
        if self.acc.is_main_process:
            encoder = self.acc.unwrap_model(model).mlm.base_model
            res = evaluate(encoder, self.collator, self.pairs, self.gold, self.layer,
                           self.threshold, self.extraction)
            ckpt.record_eval(model, step, res)
            self.acc.print(f"step {step}: AER {100 * res['aer']:.2f}")
        self.acc.wait_for_everyone()
