"""The align stage: ``xlie.aligners.Aligner.align_pairs`` over each batch of the corpus.

Each record gets ``alignment`` ([[i, j, p], ...], source word, target word, probability)
and ``alignment_score`` (the pair's confidence); a pair the aligner cannot use keeps an
empty alignment and an ``alignment_error``, and is counted, never dropped, so the output
stays line-for-line.
"""
from __future__ import annotations

from pydantic import Field

from ...aligners.corpus import target_tokens, with_alignment
from ...aligners.settings import AlignerSettings
from ..stages import BatchResult, BatchStageConfig, Stage, StageContext


class AlignStageConfig(BatchStageConfig, AlignerSettings):
    """``xlie.aligners.AlignerSettings`` plus the model, the batch size and how many decimals
    of each link probability are written."""
    batch_size: int = Field(64, ge=1)
    model: str = "e5-small"
    digits: int = Field(4, ge=1, le=17, description="decimals kept of each link probability")


def setup(cfg: AlignStageConfig, ctx: StageContext):
    from ...aligners import Aligner
    settings = cfg.model_dump(include=set(AlignerSettings.model_fields))
    return cfg, Aligner(cfg.model, AlignerSettings(**settings))


def check(cfg: AlignStageConfig) -> dict[str, str]:
    """The layer must exist in the model (read from its config, without loading weights)."""
    if cfg.layer is None:
        return {}
    from transformers import AutoConfig

    from ...models.resolve import loadable_model
    depth = int(getattr(AutoConfig.from_pretrained(loadable_model(cfg.model)),
                        "num_hidden_layers", 12))
    if cfg.layer > depth:
        return {"layer": f"{cfg.layer} is out of range for {cfg.model} ({depth} layers): "
                         f"choose 0 to {depth}"}
    return {}


def process_batch(state, records: list[dict]) -> BatchResult:
    cfg, aligner = state
    results = aligner.align_pairs([(rec["tokens"], target_tokens(rec)) for rec in records])
    out = [with_alignment(rec, res, cfg.digits) for rec, res in zip(records, results)]
    return BatchResult(out, {"links": sum(len(res.links) for res in results),
                             "pairs_unaligned": sum(res.error is not None for res in results)})


STAGE = Stage(
    "align", 2, needs=("translation",), provides=("alignment",), config_model=AlignStageConfig,
    outputs={"alignment": "aligned.jsonl"}, setup=setup, process_batch=process_batch, check=check,
    description="word-align each sentence to its translation")
