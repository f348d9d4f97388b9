"""MT backends behind one interface (:class:`~.base.Backend`), chosen by name."""
from __future__ import annotations

from pathlib import Path

from ...errors import UnknownNameError
from ..options import GenerationOptions
from .base import Backend, Hypothesis

BACKENDS = ("hf", "ct2", "apertium")


def load_backend(name: str, model: str | Path | None, src_lang: str, tgt_lang: str,
                 options: GenerationOptions, device: str = "auto", dtype: str = "auto",
                 tokenizer: str | Path | None = None) -> Backend:
    if name == "hf":
        from .hf import HFBackend
        return HFBackend(model, src_lang, tgt_lang, options, device, dtype, tokenizer)
    if name == "ct2":
        from .ct2 import CT2Backend
        return CT2Backend(model, src_lang, tgt_lang, options, device, dtype, tokenizer)
    if name == "apertium":
        from .apertium import ApertiumBackend
        return ApertiumBackend(model, src_lang, tgt_lang, options)
    raise UnknownNameError("translation backend", name, BACKENDS)


__all__ = ["BACKENDS", "Backend", "Hypothesis", "load_backend"]
