"""Run xlie's public ``Aligner`` many times (layers x settings) without paying for repeats.

Nothing of xlie is patched: the model is loaded once and each layer gets one ``Aligner`` over
an ``Encoder`` wrapped around it, with an encoding cache (``cache=True``); the settings of a
sweep are ``with_settings`` copies of it, so they share one forward pass per sentence. Each
aligner still resolves its defaults (threshold, band, granularity, symmetrisation) where
xlie does, so they are whatever xlie ships. Only the current layer's vectors are kept.
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
        self._layer, self._base = None, None

    def aligner(self, layer: int, **settings):
        from xlie.aligners import Aligner
        from xlie.aligners.encoder import Encoder
        if layer != self._layer:          # a new layer: the previous one's vectors go
            encoder = Encoder.wrap(self.name, self.model, self.tokenizer, layer)
            self._layer, self._base = layer, Aligner(encoder, cache=True)
        return self._base.with_settings(**settings)


def xlie_links(aligner, pairs: Sequence[tuple[list[str], list[str]]]) -> list[set]:
    return [{(i, j) for i, j, _ in r.links} for r in aligner.align_pairs(pairs)]
