"""MLM on each side and TLM on the concatenated pair (Conneau & Lample 2019, as used by
awesome-align): mask 15% of the subwords (80% [MASK], 10% random, 10% kept) and predict them.

The vocabulary projection is applied only at masked positions: with a 250k-piece vocabulary
the full (batch, length, vocab) logits would cost more than the encoder itself.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE = -100


def mask_tokens(input_ids: torch.Tensor, maskable: torch.Tensor, mask_id: int, vocab_size: int,
                prob: float, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (masked input ids, labels with -100 where nothing is predicted).

    ``maskable`` (R, T) marks real, non-special subwords; each row with one gets at least one
    masked position, so a short sentence still contributes a loss."""
    dev = input_ids.device
    rand = torch.rand(input_ids.shape, generator=generator, device="cpu").to(dev)
    chosen = (rand < prob) & maskable
    # a row with nothing chosen: take its maskable position with the smallest draw
    empty = ~chosen.any(1) & maskable.any(1)
    if empty.any():
        pick = rand.masked_fill(~maskable, 2.0).argmin(1)                     # (R,)
        chosen[empty, pick[empty]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE))
    how = torch.rand(input_ids.shape, generator=generator, device="cpu").to(dev)
    masked = input_ids.clone()
    masked[chosen & (how < 0.8)] = mask_id
    swap = chosen & (how >= 0.8) & (how < 0.9)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator).to(dev)
    masked[swap] = random_ids[swap]
    return masked, labels


def masked_lm_loss(mlm_model, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                   labels: torch.Tensor, position_ids: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy at the masked positions of one forward pass."""
    kw = {"input_ids": input_ids, "attention_mask": attention_mask}
    if position_ids is not None:
        kw["position_ids"] = position_ids
    head = mlm_head(mlm_model)
    if head is None:  # an architecture whose head we cannot call apart: the model's own loss
        return mlm_model(**kw, labels=labels).loss
    hidden = mlm_model.base_model(**kw).last_hidden_state                    # (R, T, H)
    sel = labels != IGNORE
    logits = head(hidden[sel])                                                # (N, V)
    return F.cross_entropy(logits.float(), labels[sel])


def mlm_head(mlm_model) -> torch.nn.Module | None:
    """The module that turns hidden states into vocabulary logits (BERT's ``cls``, XLM-R's
    ``lm_head``): the one child that is not the base model."""
    prefix = getattr(mlm_model, "base_model_prefix", "")
    others = [m for name, m in mlm_model.named_children() if name != prefix]
    return others[0] if len(others) == 1 else None


def mlm_loss(mlm_model, batch: dict, mask_id: int, vocab_size: int, prob: float,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """MLM on sources and targets, each sentence alone (one forward over both sides)."""
    ids, attn = batch["mono_input_ids"], batch["mono_attention_mask"]
    masked, labels = mask_tokens(ids, ~batch["mono_special"], mask_id, vocab_size, prob, generator)
    return masked_lm_loss(mlm_model, masked, attn, labels)


def tlm_loss(mlm_model, batch: dict, mask_id: int, vocab_size: int, prob: float,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """TLM: mask both halves of ``src + tgt`` so a masked word can be read off the other side;
    target positions restart (``pair_position_ids`` from the collator)."""
    ids, attn = batch["pair_input_ids"], batch["pair_attention_mask"]
    masked, labels = mask_tokens(ids, ~batch["pair_special"], mask_id, vocab_size, prob, generator)
    return masked_lm_loss(mlm_model, masked, attn, labels, batch["pair_position_ids"])
