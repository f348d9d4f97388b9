"""The aligner's settings, one pydantic model: ``xlie align`` builds it from its options,
``Aligner`` takes it (or its keywords), and the pipeline's ``align:`` section is it.

Every setting left unset (None) takes the model's own value, looked up once when the aligner
is built (``models.builtin.align_defaults``): its layer, extraction, softmax threshold and
long-pair band. The names here are the registries' (``extraction.METHODS``,
``symmetrize.symmetrize``); this module imports no torch, so the CLI and config readers
stay light.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field

from ..config import Settings, choice_validator

TOKEN_BUDGET = 8192   # padded subword tokens per forward batch: the one place it is written

EXTRACTIONS = ("softmax", "entmax", "ot", "argmax", "itermax", "match")
THRESHOLD_EXTRACTIONS = ("softmax", "entmax")    # what calibration and training tune
ThresholdExtraction = Literal["softmax", "entmax"]
SYMMETRIZATIONS = ("intersection", "union", "grow-diag", "grow-diag-final",
                   "grow-diag-final-and", "forward", "backward")


class AlignerSettings(Settings):
    """How an aligner links words; None: the model's default."""

    layer: Optional[int] = Field(None, ge=0, description="encoder layer; default: the model's "
                                 "known best, else two thirds of its depth")
    extraction: Optional[str] = Field(None, description="default: the model's documented best, "
                                      "else softmax")
    symmetrization: str = "intersection"
    threshold: Optional[float] = Field(None, ge=0, description="link threshold; default: the "
                                       "model's for softmax, else the method's")
    band: Optional[int] = Field(None, ge=0, description="long-pair band (0: none); default: "
                                "the model's")
    min_prob: float = Field(0.0, ge=0, le=1, description="drop links below this probability")
    granularity: Optional[Literal["subword", "word"]] = Field(
        None, description="extract on subwords or averaged word vectors; default: the method's")
    extraction_options: Optional[dict[str, Any]] = Field(
        None, description="more keywords of the extraction method (alpha, reg, unbalanced)")
    device: Optional[str] = None
    dtype: Optional[Literal["fp32", "fp16", "bf16", "int8"]] = Field(
        None, description="encoder precision: fp32 (default), bf16 (GPU, or a CPU with "
        "AMX/AVX512-BF16), fp16 (GPU), int8 (CPU: OpenVINO, the int8 extra)")
    token_budget: int = Field(TOKEN_BUDGET, ge=1, description="padded subword tokens per forward batch")
    threads: Optional[int] = Field(None, ge=1, description="torch CPU threads")

    _extraction = choice_validator("extraction", "extraction method", EXTRACTIONS)
    _symmetrization = choice_validator("symmetrization", "symmetrization", SYMMETRIZATIONS)
