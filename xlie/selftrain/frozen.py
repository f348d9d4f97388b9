"""An encoder split in two: the lowest ``k`` layers frozen, their states computed once per
input and kept; the layers above trained on top of them.

On a CPU most of a fine-tuning step is the forward and backward pass through every layer.
With the lower layers fixed, an example's states below the trained layers never change, so
they are computed once (no gradient, dropout off) and each later epoch runs only the top
layers: training the top 2 of 12 layers costs about a sixth of full fine-tuning per epoch.
``k`` equal to the number of layers is a fully frozen encoder (the parser's
``freeze_encoder``): the cache then holds the last layer's states.

Works on encoders whose layers are ``encoder.layer`` / ``encoder.layers`` (BERT, RoBERTa,
XLM-R, E5 and most others); states are keyed by the subword ids, so a cache may be shared by
runs on the same encoder and ``k``.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from ..errors import XlieError


def encoder_layers(encoder) -> nn.ModuleList:
    """The encoder's stack of layers, lowest first."""
    stack = getattr(encoder, "encoder", None)
    for name in ("layer", "layers"):
        layers = getattr(stack, name, None)
        if isinstance(layers, nn.ModuleList):
            return layers
    raise XlieError(f"cannot find the layers of {type(encoder).__name__} to freeze",
                    "set train.freeze_layers=0 (train every layer)")


def _mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The additive (B, 1, 1, T) mask every attention implementation of a layer accepts."""
    keep = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - keep) * torch.finfo(dtype).min


def run_layers(encoder, layers, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """``hidden`` (B, T, H) through ``layers`` in turn."""
    mask = _mask(attention_mask, hidden.dtype)
    for layer in layers:
        out = layer(hidden, mask)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


class SplitEncoder:
    """``lower`` gives the (cached) states under the trained layers, ``upper`` runs the
    trained layers on them; ``lower`` then ``upper`` equals the whole encoder in eval mode."""

    def __init__(self, encoder, k: int, pad_id: int = 0, cache: Optional[dict] = None):
        self.encoder, self.pad_id = encoder, pad_id
        self.layers = encoder_layers(encoder)
        if not 0 < k <= len(self.layers):
            raise XlieError(f"cannot freeze {k} layers of an encoder with {len(self.layers)}",
                            f"give freeze_layers between 0 and {len(self.layers)}")
        self.k = k
        self.cache: dict = {} if cache is None else cache
        for p in encoder.embeddings.parameters():
            p.requires_grad_(False)
        for layer in self.layers[:k]:
            layer.requires_grad_(False)

    @torch.no_grad()
    def _compute(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        was = self.encoder.training
        self.encoder.eval()
        if self.k == len(self.layers):
            h = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        else:
            h = run_layers(self.encoder, self.layers[:self.k],
                           self.encoder.embeddings(input_ids=ids), mask)
        self.encoder.train(was)
        return h

    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """States after the ``k`` frozen layers (B, T, H), each input computed once."""
        lengths = attention_mask.sum(1).tolist()
        keys = [tuple(ids[:n].tolist()) for ids, n in zip(input_ids, lengths)]
        todo = [key for key in dict.fromkeys(keys) if key not in self.cache]
        if todo:
            width = max(len(key) for key in todo)
            device = self.encoder.embeddings.word_embeddings.weight.device
            ids = torch.tensor([list(key) + [self.pad_id] * (width - len(key)) for key in todo],
                               device=device)
            mask = torch.tensor([[1] * len(key) + [0] * (width - len(key)) for key in todo],
                                device=device)
            for key, h in zip(todo, self._compute(ids, mask)):
                self.cache[key] = h[:len(key)].float().clone()
        hidden = torch.zeros(input_ids.shape + (self.encoder.config.hidden_size,),
                             device=input_ids.device)
        for b, key in enumerate(keys):
            hidden[b, :len(key)] = self.cache[key]
        return hidden

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The trained layers above ``k`` on the lower states: the encoder's last states."""
        return run_layers(self.encoder, self.layers[self.k:], hidden, attention_mask)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.upper(self.lower(input_ids, attention_mask), attention_mask)
