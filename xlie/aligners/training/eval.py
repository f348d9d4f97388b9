"""AER of the model under training on a gold set.

Each checkpoint is scored with the aligner users run (``aligner_aer``: ``xlie align --model
DIR`` on the model as it would be saved, long-pair band and sentence splitting included), so
the best checkpoint kept is the best for them. With ``calibrate`` (the default) it is scored at
the threshold and band that suit it best on the gold, and they are recorded with it.
``predict_links`` is SO's own view (softmax or entmax over the content subwords of layer L,
both directions, threshold, lifted to words through ``word_ids()``); the two can disagree, as
benchmarks/RESULTS.md shows."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import torch

from ...formats.pharaoh import GoldAlignment, read_pharaoh
from ..aer import score_alignments
from ...errors import XlieError
from .data import Collator, Pair, read_pairs
from ..calibrate import calibrate as calibrate_grid, score_aligner
from ...models.builtin import AlignDefaults
from ..core import Aligner
from ..encoder import Encoder, layer_states
from .so import directional_probs, extract_links

Links = set[tuple[int, int]]


def read_gold(path: str | Path, base: int = 1) -> list[GoldAlignment]:
    """Pharaoh gold (``i-j`` sure, ``ipj`` possible), first word ``base``: the aligner's reader."""
    return list(read_pharaoh(path, one_indexed=base == 1))


def aer(predicted: Sequence[Links], gold: Sequence[GoldAlignment]) -> dict[str, float]:
    """AER, precision and recall with the aligner's scorer."""
    s = score_alignments(gold, predicted)
    return {"aer": s.aer, "precision": s.precision, "recall": s.recall}


@contextmanager
def eval_mode(encoder):
    """Dropout off while scoring, and the encoder's training mode restored after."""
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        encoder.train(was_training)


def predict_links(encoder, collator: Collator, pairs: Sequence[Pair], layer: int,
                  threshold: float, extraction: str = "softmax", batch_size: int = 32) -> list[Links]:
    """Word links of each pair; ``encoder`` is the base model (``AutoModel``)."""
    device = next(encoder.parameters()).device
    out: list[Links] = []
    with eval_mode(encoder):
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
    return out


def checkpoint_aligner(name: str, encoder, tokenizer, layer: int, threshold: float,
                       extraction: str = "softmax") -> Aligner:
    """The aligner ``xlie align --model DIR`` builds once this model is saved, over
    ``encoder`` (the base model, in memory), at the default long-pair band."""
    return Aligner(Encoder.wrap(name, encoder, tokenizer, layer), extraction=extraction,
                   threshold=threshold, band=AlignDefaults.band)


def aligner_aer(name: str, encoder, tokenizer, pairs: Sequence[Pair],
                gold: Sequence[GoldAlignment], layer: int, threshold: float,
                extraction: str = "softmax", calibrate: bool = True) -> tuple[dict[str, float], dict]:
    """(AER, P, R; the threshold and band they were scored at) of ``xlie align`` over
    ``encoder``: at the model's threshold and band, or with ``calibrate`` at the best of the
    grid on ``gold`` (``aligners/calibrate.py``; then the setting is returned too)."""
    aligner = checkpoint_aligner(name, encoder, tokenizer, layer, threshold, extraction)
    with eval_mode(encoder):
        if not calibrate:
            s = score_aligner(aligner, pairs, gold)
            return {"aer": s.aer, "precision": s.precision, "recall": s.recall}, {}
        best, _ = calibrate_grid(aligner, pairs, gold)
    return ({"aer": best.aer, "precision": best.precision, "recall": best.recall},
            {"threshold": best.threshold, "band": best.band})


def evaluate(encoder, collator: Collator, pairs: Sequence[Pair], gold: Sequence[GoldAlignment],
             layer: int, threshold: float, extraction: str = "softmax") -> dict[str, float]:
    return aer(predict_links(encoder, collator, pairs, layer, threshold, extraction), gold)


class CheckpointEvaluator:
    """AER of the model under training on ``eval_data``/``eval_gold`` with the aligner users
    run (main process only); each result is logged and the best model kept by the checkpoint
    manager."""

    def __init__(self, name: str, pairs, gold, tokenizer, layer: int, threshold: float,
                 extraction: str, accelerator, calibrate: bool = True):
        self.name, self.pairs, self.gold, self.tokenizer = name, pairs, gold, tokenizer
        self.layer, self.threshold, self.extraction, self.acc = layer, threshold, extraction, accelerator
        self.calibrate = calibrate

    @classmethod
    def from_config(cls, cfg, tokenizer, layer: int, threshold: float,
                    accelerator) -> "CheckpointEvaluator | None":
        if not cfg.eval_gold:
            return None
        pairs, gold = read_pairs(cfg.eval_data), read_gold(cfg.eval_gold, cfg.gold_base)
        if len(gold) != len(pairs):
            raise XlieError(f"{cfg.eval_gold} has {len(gold)} lines but {cfg.eval_data} has "
                            f"{len(pairs)} pairs", "pass the gold that belongs to the eval data")
        return cls(str(cfg.model), pairs, gold, tokenizer, layer, threshold, cfg.extraction,
                   accelerator, cfg.calibrate)

    def __call__(self, model, step: int, ckpt) -> None:
        if self.acc.is_main_process:
            encoder = self.acc.unwrap_model(model).mlm.base_model
            res, chosen = aligner_aer(self.name, encoder, self.tokenizer, self.pairs, self.gold,
                                      self.layer, self.threshold, self.extraction, self.calibrate)
            ckpt.record_eval(model, step, res, chosen)
            how = ", ".join(f"{k} {v}" for k, v in chosen.items())
            self.acc.print(f"step {step}: AER {100 * res['aer']:.2f}" + (f" ({how})" if how else ""))
        self.acc.wait_for_everyone()
