"""The translate stage: a ``TranslationSession`` over each batch of the corpus.

The MT backend is loaded once per worker (``setup``, through ``xlie.translation.open_session``,
as ``xlie translate`` does); each batch of records is translated in memory by the session,
so the stage writes what ``xlie translate`` writes (``translation: {lang, text, tokens,
offsets}``), with its cache, length-sorted batching and marker options.
"""
from __future__ import annotations

import copy

from typing import Optional

from pydantic import Field, model_validator

from ...translation.settings import TranslateSettings
from ..stages import BatchResult, BatchStageConfig, Stage, StageContext


class TranslateStageConfig(BatchStageConfig, TranslateSettings):
    """``xlie.translation.TranslateSettings`` plus the model and the batch sizes:
    ``batch_size`` is records per batch (its length-sorting window), ``mt_batch_size``
    sentences and ``max_tokens`` padded source tokens per model call."""
    batch_size: int = Field(256, ge=1)
    model: Optional[str] = Field(None, description="MT model: hub id (e.g. Helsinki-NLP/"
                                 "opus-mt-en-de) or local dir; none for backend apertium")
    mt_batch_size: int = Field(32, ge=1)
    max_tokens: int = Field(4096, ge=1)

    @model_validator(mode="after")
    def _model(self):
        if self.model is None and self.backend != "apertium":
            raise ValueError(f"model is required for backend {self.backend}")
        return self


def setup(cfg: TranslateStageConfig, ctx: StageContext):
    from ...translation import open_session
    settings = TranslateSettings(**cfg.model_dump(include=set(TranslateSettings.model_fields)))
    session = open_session(cfg.model, ctx.src_lang or "en", ctx.tgt_lang or "de", settings,
                           cache=False, batch_size=cfg.mt_batch_size, max_tokens=cfg.max_tokens,
                           sort_window=cfg.batch_size)
    return cfg, session


def process_batch(state, records: list[dict]) -> BatchResult:
    """One batch in memory; the cache is opened per batch, in the worker's own thread."""
    from ...translation import Counts
    from ...translation.cache import open_cache
    cfg, session = state
    session.counts, session.cache = Counts(), open_cache(cfg.cache)
    try:
        out = session.translate_records(copy.deepcopy(records))
    finally:
        session.cache.close()
    c = session.counts
    counts = {"translated": c.translated, "cache_hits": c.cache_hits, "empty": c.empty,
              "split": c.split, "skipped": c.skipped}
    if c.unknown:
        counts["unknown"] = c.unknown
    if c.spans:
        counts.update({"marker_spans": c.spans, "markers_lost": c.markers_lost})
    return BatchResult(out, counts)


STAGE = Stage(
    "translate", 1, needs=("corpus",), provides=("translation",),
    config_model=TranslateStageConfig, outputs={"translation": "corpus.jsonl"}, setup=setup,
    process_batch=process_batch, description="machine-translate the source corpus")
