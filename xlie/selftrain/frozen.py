"""An encoder split in two: the lowest ``k`` layers frozen, their states computed once per
input and kept; the layers above trained on top of them.

On a CPU most of a fine-tuning step is the forward and backward pass through every layer.
With the lower layers fixed, an example's states below the trained layers never change, so
they are computed once (no gradient, dropout off) and each later epoch runs only the top
layers: training the top 2 of 12 layers costs about a sixth of full fine-tuning per epoch.
``k`` equal to the number of layers is a fully frozen encoder (the parser's
``freeze_encoder``): the cache then holds the last layer's states. The relation classifier,
the parser (``freeze_layers`` or ``freeze_encoder``) and the taggers (``freeze_layers``,
through :func:`cache_lower_layers`) all train this way. Semantics: the cached layers run
without dropout (in eval mode), where an uncached run would apply it there on every step;
the layers above keep theirs. A tagger or parser in eval mode gives the same outputs cached
or not.

Works on encoders whose layers are ``encoder.layer`` / ``encoder.layers`` (BERT, RoBERTa,
XLM-R, E5 and most others); states are keyed by the subword ids, so a cache may be shared by
runs on the same encoder and ``k``. A cache keeps at most :data:`CACHE_BYTES` of states (a
large silver corpus would otherwise fill the memory); past that, the other inputs' states are
computed again on each use, the same way (no gradient, no dropout).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from ..errors import XlieError

CACHE_BYTES = 4 << 30   # states one cache keeps at most (float32)


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
        self.kept = sum(h.numel() * h.element_size() for h in self.cache.values())
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
        """States after the ``k`` frozen layers (B, T, H), each input computed once (while
        the cache has room)."""
        lengths = attention_mask.sum(1).tolist()
        keys = [tuple(ids[:n].tolist()) for ids, n in zip(input_ids, lengths)]
        todo = [key for key in dict.fromkeys(keys) if key not in self.cache]
        fresh = {}
        if todo:
            width = max(len(key) for key in todo)
            device = self.encoder.embeddings.word_embeddings.weight.device
            ids = torch.tensor([list(key) + [self.pad_id] * (width - len(key)) for key in todo],
                               device=device)
            mask = torch.tensor([[1] * len(key) + [0] * (width - len(key)) for key in todo],
                                device=device)
            for key, h in zip(todo, self._compute(ids, mask)):
                fresh[key] = h = h[:len(key)].float()
                if self.kept + 4 * h.numel() <= CACHE_BYTES:
                    self.cache[key] = h.clone()
                    self.kept += 4 * h.numel()
        hidden = torch.zeros(input_ids.shape + (self.encoder.config.hidden_size,),
                             device=input_ids.device)
        for b, key in enumerate(keys):
            hidden[b, :len(key)] = fresh[key] if key in fresh else self.cache[key]
        return hidden

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The trained layers above ``k`` on the lower states: the encoder's last states."""
        return run_layers(self.encoder, self.layers[self.k:], hidden, attention_mask)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.upper(self.lower(input_ids, attention_mask), attention_mask)


def frozen_depth(encoder, k: Optional[int]) -> int:
    """Layers a :class:`SplitEncoder` can take over for ``k`` frozen ones (``None``: all of
    them); 0 where the encoder's layers are not ``encoder.layer(s)``."""
    try:
        n = len(encoder_layers(encoder))
    except XlieError:
        return 0
    return n if k is None else min(k, n)


class CachedTokenClassifier(nn.Module):
    """A transformers token classifier (``…ForTokenClassification``: its encoder, then
    ``dropout`` and ``classifier``) whose embeddings and lowest ``k`` layers are frozen and
    computed once per window (:class:`SplitEncoder`); each step runs the layers above and
    the head. The wrapped ``model`` is what trains and what is saved: a plain transformers
    directory, loaded and used as any tagger's."""

    def __init__(self, model, k: int, pad_id: int, cache: Optional[dict] = None):
        super().__init__()
        self.model, self.config = model, model.config
        self.split = SplitEncoder(model.base_model, k, pad_id, cache)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_):
        from transformers.modeling_outputs import TokenClassifierOutput
        hidden = self.split(input_ids, attention_mask)
        return TokenClassifierOutput(logits=self.model.classifier(self.model.dropout(hidden)))

    def load_state_dict(self, state_dict, *args, **kw):
        """Also the bare model's state: a checkpoint made before its layers were cached."""
        if not state_dict.keys() & self.state_dict().keys():
            state_dict = {f"model.{k}": v for k, v in state_dict.items()}
        return super().load_state_dict(state_dict, *args, **kw)

    def save_pretrained(self, path, state_dict: Optional[dict] = None, **kw) -> None:
        """The wrapped model's directory (``state_dict``: this module's, as accelerate
        gathers it)."""
        if state_dict is not None:
            state_dict = {k.removeprefix("model."): v for k, v in state_dict.items()}
        self.model.save_pretrained(path, state_dict=state_dict, **kw)


def cache_lower_layers(model, k: int, pad_id: int, cache: Optional[dict] = None) -> nn.Module:
    """``model`` (a token classifier) with its frozen lowest ``k`` layers computed once per
    window (:class:`CachedTokenClassifier`); ``model`` itself where ``k`` is 0 or its
    layers or head are of another shape (they then run, frozen, on every step)."""
    head = isinstance(getattr(model, "dropout", None), nn.Dropout) and \
        isinstance(getattr(model, "classifier", None), nn.Linear)
    k = frozen_depth(model.base_model, k) if k and head else 0
    return CachedTokenClassifier(model, k, pad_id, cache) if k else model
