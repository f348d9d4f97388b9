"""Run xlie's public ``Aligner`` many times (layers x settings) without paying for repeats.

Nothing of xlie is patched: the model is loaded once and each layer gets one ``Aligner`` over
an ``Encoder`` wrapped around it, with an encoding cache (``cache=True``); the settings of a
sweep are ``with_settings`` copies of it, so they share one forward pass per sentence. Each
aligner still resolves its defaults (threshold, band, granularity, symmetrisation) where
xlie does, so they are whatever xlie ships. Only the current layer's and corpus's vectors
are kept: a sentence is encoded in a batch with the rest of its corpus, as `xlie align`
would encode it (another corpus's batches can move its vectors by float rounding, enough to
flip a link at the threshold now and then).
"""
from __future__ import annotations

from typing import Sequence


class Sweep:
    """Aligners over one loaded model, one cached aligner per layer."""

    def __init__(self, model: str):
        from transformers import AutoModel

        from xlie.models import load_pretrained, load_tokenizer
        self.name = model
        self.model = load_pretrained(AutoModel, model).eval()
        self.tokenizer = load_tokenizer(model)
        self._key, self._base = None, None

    def aligner(self, layer: int | None = None, corpus: str | None = None, **settings):
        """An aligner at ``layer`` (None: the model's default) with ``settings``; a new
        ``corpus`` name starts a new cache."""
        from xlie.aligners import Aligner
        from xlie.aligners.encoder import Encoder
        from xlie.models.builtin import align_defaults
        if layer is None:
            layer = align_defaults(self.name, self.model.config.num_hidden_layers).layer
        if (layer, corpus) != self._key:      # the previous layer's or corpus's vectors go
            encoder = Encoder.wrap(self.name, self.model, self.tokenizer, layer)
            self._key, self._base = (layer, corpus), Aligner(encoder, cache=True)
        return self._base.with_settings(**settings)


_sweeps: dict[str, Sweep] = {}


def aligner(model: str, layer: int | None = None, corpus: str | None = None, **settings):
    """``Aligner(model, layer=layer, **settings)`` over one loaded model per name, sharing
    the encodings of one layer and ``corpus`` between the settings asked for (e.g. every
    extraction)."""
    if model not in _sweeps:
        _sweeps[model] = Sweep(model)
    return _sweeps[model].aligner(layer, corpus, **settings)


def xlie_links(aligner, pairs: Sequence[tuple[list[str], list[str]]]) -> list[set]:
    return [{(i, j) for i, j, _ in r.links} for r in aligner.align_pairs(pairs)]
