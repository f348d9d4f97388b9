"""The model under training: the encoder with an MLM head (initialised and tied to the input
embeddings when the checkpoint ships none, as e5-small), a PSI head, and one ``forward`` that
returns every enabled objective's loss, so DDP sees a single forward per step."""
from __future__ import annotations

import logging

import torch

from ...errors import XlieError
from ...models import load_pretrained
from ..encoder import layer_states
from .co import co_loss
from .mlm import mlm_loss, tlm_loss
from .psi import PSIHead, psi_loss
from .so import SOTargets, directional_probs, so_loss

log = logging.getLogger(__name__)


def load_mlm_model(name: str):
    """``AutoModelForMaskedLM`` on any encoder. A checkpoint without an MLM head loads its
    encoder weights into the MaskedLM class and gets a fresh head whose decoder is the input
    embedding matrix. Returns (model, head_was_missing)."""
    import transformers
    from transformers import AutoModelForMaskedLM

    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()   # the missing-head report is expected here
    try:
        model, info = load_pretrained(AutoModelForMaskedLM, name, output_loading_info=True)
    finally:
        transformers.logging.set_verbosity(level)
    prefix = model.base_model_prefix
    missing = sorted(info.get("missing_keys", []))
    base_missing = [k for k in missing if k.startswith(prefix + ".")
                    and "position_ids" not in k and "pooler" not in k]
    if base_missing:
        raise XlieError(f"{name}: encoder weights missing when loading for training: "
                        f"{', '.join(base_missing[:4])}", "pass a model directory saved by "
                        "transformers (AutoModel or AutoModelForMaskedLM)")
    head_missing = any(not k.startswith(prefix + ".") for k in missing)
    if head_missing:
        model.config.tie_word_embeddings = True
        model.tie_weights()
        out, inp = model.get_output_embeddings(), model.get_input_embeddings()
        if out is not None and out.weight is not inp.weight:
            out.weight = inp.weight
        log.info("%s ships no MLM head: initialised one, decoder tied to the input embeddings", name)
    return model, head_missing


HEAD_OBJECTIVES = frozenset({"mlm", "tlm", "psi"})   # objectives that train a new head


class AlignTrainingModel(torch.nn.Module):
    """Sums nothing itself: returns a dict of unweighted losses; the trainer weights them."""

    def __init__(self, mlm_model, objectives: list[str], layer: int, threshold: float,
                 extraction: str, mask_id: int, mask_prob: float,
                 so_targets: SOTargets = "grow-diag", so_word_blocks: bool = True):
        super().__init__()
        self.mlm = mlm_model
        self.objectives = list(objectives)
        self.psi_head = PSIHead(mlm_model.config.hidden_size)
        self.layer, self.threshold, self.extraction = layer, threshold, extraction
        self.mask_id, self.mask_prob, self.so_targets = mask_id, mask_prob, so_targets
        self.so_word_blocks = so_word_blocks
        self.vocab_size = mlm_model.get_input_embeddings().weight.shape[0]

    def forward(self, batch: dict, generator: torch.Generator | None = None,
                heads_only: bool = False) -> dict[str, torch.Tensor]:
        """``heads_only``: the head warm-up, where SO and CO (no head, encoder only) are
        not computed at all."""
        losses: dict[str, torch.Tensor] = {}
        on = set(self.objectives) & HEAD_OBJECTIVES if heads_only else set(self.objectives)
        if "mlm" in on:
            losses["mlm"] = mlm_loss(self.mlm, batch, self.mask_id, self.vocab_size,
                                     self.mask_prob, generator)
        if "tlm" in on:
            losses["tlm"] = tlm_loss(self.mlm, batch, self.mask_id, self.vocab_size,
                                     self.mask_prob, generator)
        if on & {"so", "co"}:
            h = layer_states(self.mlm.base_model, batch["mono_input_ids"],
                             batch["mono_attention_mask"], self.layer)        # (2B, T, H)
            b = h.shape[0] // 2
            content = batch["mono_content"]
            p_xy, p_yx = directional_probs(h[:b], h[b:], content[:b], content[b:], self.extraction)
            if "so" in on:
                words = batch["mono_word_ids"]
                losses["so"] = so_loss(p_xy, p_yx, content[:b], content[b:], self.threshold,
                                       self.so_targets,
                                       (words[:b], words[b:]) if self.so_word_blocks else None)
            if "co" in on:
                losses["co"] = co_loss(p_xy, p_yx, content[:b], content[b:])
        if "psi" in on and "neg_input_ids" in batch:
            losses["psi"] = psi_loss(self.mlm.base_model, self.psi_head, batch)
        return losses
