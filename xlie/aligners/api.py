"""Python API of the aligner: ``Aligner`` (core.py) loads a model once; ``align`` is a
one-call helper."""
from __future__ import annotations

from typing import Iterable, Sequence

from .core import Aligner, PairAlignment

Pair = tuple[Sequence[str], Sequence[str]]


def align(pairs: Sequence[Pair] | Iterable[Pair], model: str = "e5-small", **options) -> list[PairAlignment]:
    """Align word-split pairs in one call (loads the model each time: use ``Aligner`` to reuse)."""
    return list(Aligner(model, **options).iter_align(pairs))


__all__ = ["Aligner", "align"]
