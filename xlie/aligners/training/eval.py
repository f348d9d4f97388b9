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


ALIGNING = ("so", "co")   # the objectives that score the links themselves


def heldout_loss(model, collator: Collator, pairs: Sequence[Pair], weights: dict[str, float],
                 batch_size: int = 8, seed: int = 0) -> dict[str, float]:
    """The training losses on pairs held out of training, dropout off and the same masks at
    every call, so two checkpoints differ only by their weights: each objective's mean, and
    ``heldout_loss``, the weighted sum of the aligning objectives (SO, CO; all of them when
    both are off). PSI is left out of it: on 62 held-out en-cs pairs it rose by 0.10 between
    two checkpoints where the dev AER fell and SO and CO fell with it (RESULTS.md,
    ``align_train_defaults``). ``model`` is the unwrapped AlignTrainingModel."""
    device = next(model.parameters()).device
    sums: dict[str, float] = {}
    seen = 0
    with eval_mode(model):
        for k, start in enumerate(range(0, len(pairs), batch_size)):
            chunk = list(pairs[start:start + batch_size])
            if len(chunk) < 2 and seen:      # PSI needs two pairs; a lone last pair is left out
                continue
            batch = {name: v.to(device) for name, v in collator(chunk).items()}
            losses = model(batch, torch.Generator().manual_seed(seed * 7919 + k))
            for name, v in losses.items():
                sums[name] = sums.get(name, 0.0) + len(chunk) * float(v)
            seen += len(chunk)
    means = {name: v / seen for name, v in sums.items()}
    aligning = {n: v for n, v in means.items() if n in ALIGNING} or means
    return {"heldout_loss": sum(weights.get(n, 1.0) * v for n, v in aligning.items()),
            **{f"heldout_{n}": v for n, v in means.items()}}


class CheckpointEvaluator:
    """Scores the model under training (main process only): the AER of the aligner users run
    on ``eval_data``/``eval_gold``, and/or the loss on the pairs held out of training. Each
    result is logged, and the best model by ``key`` kept by the checkpoint manager."""

    def __init__(self, name: str, pairs, gold, tokenizer, layer: int, threshold: float,
                 extraction: str, accelerator, calibrate: bool = True, heldout=None,
                 key: str = "aer"):
        self.name, self.pairs, self.gold, self.tokenizer = name, pairs, gold, tokenizer
        self.layer, self.threshold, self.extraction, self.acc = layer, threshold, extraction, accelerator
        self.calibrate = calibrate
        self.heldout = heldout     # None or (pairs, collator, weights, batch_size, seed)
        self.key = key

    @classmethod
    def from_config(cls, cfg, tokenizer, layer: int, threshold: float, accelerator,
                    heldout=None) -> "CheckpointEvaluator | None":
        key = cfg.selects_on()
        if cfg.select == "aer" and not cfg.eval_gold:
            raise XlieError("select=aer needs a gold set", "pass --eval-data and --eval-gold")
        if cfg.select == "heldout_loss" and not heldout:
            raise XlieError("select=heldout_loss needs held-out pairs (none with holdout "
                            f"{cfg.holdout}: fewer than 16)", "set holdout to a larger share")
        pairs = gold = None
        if cfg.eval_gold:
            pairs, gold = read_pairs(cfg.eval_data), read_gold(cfg.eval_gold, cfg.gold_base)
            if len(gold) != len(pairs):
                raise XlieError(f"{cfg.eval_gold} has {len(gold)} lines but {cfg.eval_data} has "
                                f"{len(pairs)} pairs", "pass the gold that belongs to the eval data")
        elif not heldout:
            return None
        return cls(str(cfg.model), pairs, gold, tokenizer, layer, threshold, cfg.extraction,
                   accelerator, cfg.calibrate, heldout, key)

    def __call__(self, model, step: int, ckpt) -> dict | None:
        """Score, record and return the entry (main process; None on the others)."""
        entry = None
        if self.acc.is_main_process:
            unwrapped = self.acc.unwrap_model(model)
            res, chosen = {}, {}
            if self.gold is not None:
                res, chosen = aligner_aer(self.name, unwrapped.mlm.base_model, self.tokenizer,
                                          self.pairs, self.gold, self.layer, self.threshold,
                                          self.extraction, self.calibrate)
            if self.heldout:
                h_pairs, collator, weights, batch_size, seed = self.heldout
                res.update(heldout_loss(unwrapped, collator, h_pairs, weights, batch_size, seed))
            entry = ckpt.record_eval(model, step, res, chosen, self.key)
        self.acc.wait_for_everyone()
        return entry
