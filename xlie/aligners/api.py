"""Python API of the aligner: ``Aligner`` loads a model once; ``align`` is a one-call helper."""
from __future__ import annotations

from typing import Iterable, Sequence

import torch

from ..models.builtin import AlignDefaults, known_defaults
from .core import PairAlignment, WordAligner, align_all
from .encoder import Encoder

Pair = tuple[Sequence[str], Sequence[str]]


class Aligner:
    """An awesome-align-style word aligner over any Hugging Face encoder.

    ``extraction=None`` takes the model's documented default (``softmax`` unless a model's
    sweep found better); ``band=None`` the model's long-pair band, ``band=0`` none.

    >>> al = Aligner("e5-small", extraction="softmax")            # doctest: +SKIP
    >>> al.align_pairs([("a cat".split(), "eine Katze".split())])  # doctest: +SKIP
    [PairAlignment(links=[(0, 0, 0.93), (1, 1, 0.97)], score=0.95, error=None)]
    """

    def __init__(self, model: str = "e5-small", *, layer: int | None = None,
                 extraction: str | None = None, symmetrization: str = "intersection",
                 threshold: float | None = None, min_prob: float = 0.0,
                 granularity: str | None = None, extraction_options: dict | None = None,
                 device: str | None = None, dtype: str | None = None,
                 token_budget: int = 8192, threads: int | None = None, band: int | None = None):
        if threads:
            torch.set_num_threads(threads)
        self.encoder = Encoder(model, layer=layer, device=device, dtype=dtype)
        known = known_defaults(str(model))
        if extraction is None:  # the model's documented best, else awesome-align's softmax
            extraction = known.extraction if known else "softmax"
        self.extraction = extraction
        if band is None:   # the model's (a fine-tuned model's calibrated band), else 24
            band = known.band if known else AlignDefaults.band
        self.aligner = WordAligner(self.encoder, extraction=extraction,
                                   symmetrization=symmetrization, threshold=threshold,
                                   min_prob=min_prob, granularity=granularity,
                                   extraction_options=extraction_options, token_budget=token_budget,
                                   band=band or None)

    @property
    def layer(self) -> int:
        return self.encoder.layer

    def align_pairs(self, pairs: Sequence[Pair]) -> list[PairAlignment]:
        return self.aligner.align(list(pairs))

    def iter_align(self, pairs: Iterable[Pair], chunk_size: int = 2048) -> Iterable[PairAlignment]:
        """Stream over a corpus of any size, in input order."""
        return align_all(self.aligner, pairs, chunk_size)


def align(pairs: Sequence[Pair] | Iterable[Pair], model: str = "e5-small", **options) -> list[PairAlignment]:
    """Align word-split pairs in one call (loads the model each time: use ``Aligner`` to reuse)."""
    return list(Aligner(model, **options).iter_align(pairs))
