"""The ``mixed_precision`` setting shared by the two trainers (aligner and tagger)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator


def _yaml_no(value):
    # YAML 1.1 reads a bare `no` as false, so `mixed_precision: no` (or --set
    # mixed_precision=no) arrives as False; it means "no mixed precision"
    return "no" if value is False else value


MixedPrecision = Annotated[Literal["auto", "no", "fp16", "bf16"], BeforeValidator(_yaml_no)]


def resolve_mixed_precision(setting: str) -> str:
    """``auto``: bf16 on a GPU that has it, else fp16 on a GPU, else none (CPU)."""
    import torch
    if setting != "auto":
        return setting
    if not torch.cuda.is_available():
        return "no"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
