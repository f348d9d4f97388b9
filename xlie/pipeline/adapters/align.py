"""The align stage: ``xlie.aligners.Aligner.align_pairs`` over each batch of the corpus.

Each record gets ``alignment`` ([[i, j, p], ...], source word, target word, probability)
and ``alignment_score`` (the pair's confidence); a pair the aligner cannot use keeps an
empty alignment and an ``alignment_error``, and is counted, never dropped, so the output
stays line-for-line.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, field_validator

from ..stages import BatchResult, BatchStageConfig, Stage, StageContext
from ._names import check_name


class AlignStageConfig(BatchStageConfig):
    """Keyword arguments of ``xlie.aligners.Aligner`` plus the batch size."""
    batch_size: int = Field(64, ge=1)
    model: str = "e5-small"
    layer: Optional[int] = Field(None, ge=0, description="default: the model's known best layer")
    extraction: Optional[str] = Field(None, description="default: the model's documented best")
    symmetrization: str = "intersection"
    threshold: Optional[float] = Field(None, ge=0)
    band: Optional[int] = Field(None, ge=0, description="long-pair band (0: none); "
                                "default: the model's")
    min_prob: float = Field(0.0, ge=0, le=1)
    granularity: Optional[str] = None
    extraction_options: Optional[dict[str, Any]] = None
    device: Optional[str] = None
    dtype: Optional[str] = None
    token_budget: int = Field(8192, ge=1)
    threads: Optional[int] = Field(None, ge=1, description="torch threads per worker")
    digits: int = Field(4, ge=1, le=17, description="decimals kept of each link probability")

    @field_validator("extraction")
    @classmethod
    def _extraction(cls, v):
        from ...aligners import METHODS
        return check_name("extraction method", v, METHODS)

    @field_validator("symmetrization")
    @classmethod
    def _symmetrization(cls, v):
        from ...aligners import SYMMETRIZATIONS
        return check_name("symmetrization", v, SYMMETRIZATIONS)


_ALIGNER_KEYS = ("layer", "extraction", "symmetrization", "threshold", "band", "min_prob",
                 "granularity", "extraction_options", "device", "dtype", "token_budget", "threads")


def setup(cfg: AlignStageConfig, ctx: StageContext):
    from ...aligners import Aligner
    return cfg, Aligner(cfg.model, **{k: getattr(cfg, k) for k in _ALIGNER_KEYS})


def target_tokens(rec: dict) -> list[str]:
    tr = rec.get("translation") or {}
    return list(tr.get("tokens") or tr.get("text", "").split())


def process_batch(state, records: list[dict]) -> BatchResult:
    cfg, aligner = state
    pairs = [(rec["tokens"], target_tokens(rec)) for rec in records]
    results = aligner.align_pairs(pairs)
    out, links, failed = [], 0, 0
    for rec, res in zip(records, results):
        rec = dict(rec)
        rec["alignment"] = [[i, j, round(float(p), cfg.digits)] for i, j, p in res.links]
        rec["alignment_score"] = round(float(res.score), cfg.digits)
        if res.error is not None:
            rec["alignment_error"] = f"expected {res.error}"
            failed += 1
        links += len(res.links)
        out.append(rec)
    return BatchResult(out, {"links": links, "pairs_unaligned": failed})


STAGE = Stage(
    "align", 2, needs=("translation",), provides=("alignment",), config_model=AlignStageConfig,
    outputs={"alignment": "aligned.jsonl"}, setup=setup, process_batch=process_batch,
    description="word-align each sentence to its translation")
