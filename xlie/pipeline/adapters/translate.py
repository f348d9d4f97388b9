"""The translate stage: a ``TranslationSession`` over each batch of the corpus.

The MT backend is loaded once per worker (``setup``, through ``xlie.translation.open_session``,
as ``xlie translate`` does); each batch of records is translated in memory by the session,
so the stage writes what ``xlie translate`` writes (``translation: {lang, text, tokens,
offsets}``), with its cache, length-sorted batching and marker options.
"""
from __future__ import annotations

import copy
from typing import Literal, Optional, Union

from pydantic import Field, field_validator

from ..stages import BatchResult, BatchStageConfig, Stage, StageContext
from ._names import check_name


class TranslateStageConfig(BatchStageConfig):
    """Keyword arguments of ``xlie.translation.translate``; ``batch_size`` is records per
    call (its length-sorting window), ``mt_batch_size`` sentences per model call."""
    batch_size: int = Field(256, ge=1)
    model: str = Field(description="MT model: hub id (e.g. Helsinki-NLP/opus-mt-en-de) or local dir")
    backend: str = "hf"
    beam: int = Field(4, ge=1)
    sample: bool = False
    top_k: Optional[int] = Field(None, ge=1)
    top_p: Optional[float] = Field(None, gt=0, le=1)
    temperature: Optional[float] = Field(None, gt=0)
    max_new_tokens: int = Field(256, ge=1)
    seed: int = 0
    mt_batch_size: int = Field(32, ge=1)
    max_tokens: int = Field(4096, ge=1)
    device: str = "auto"
    dtype: str = "auto"
    tokenizer: Optional[str] = None
    max_input_tokens: Optional[int] = Field(None, ge=1)
    cache: Union[bool, str] = Field(True, description="true: $XLIE_HOME/cache/translations.sqlite")
    word_tokenizer: str = "moses"
    markers: Optional[Literal["xml", "brackets"]] = None
    too_long: Literal["split", "skip", "error"] = "split"

    @field_validator("backend")
    @classmethod
    def _backend(cls, v):
        from ...translation.backends import BACKENDS
        return check_name("translation backend", v, BACKENDS)


def setup(cfg: TranslateStageConfig, ctx: StageContext):
    from ...translation import open_session
    session = open_session(
        cfg.model, ctx.src_lang or "en", ctx.tgt_lang or "de", backend=cfg.backend,
        beam=cfg.beam, sample=cfg.sample, top_k=cfg.top_k, top_p=cfg.top_p,
        temperature=cfg.temperature, max_new_tokens=cfg.max_new_tokens, seed=cfg.seed,
        batch_size=cfg.mt_batch_size, max_tokens=cfg.max_tokens, sort_window=cfg.batch_size,
        device=cfg.device, dtype=cfg.dtype, tokenizer=cfg.tokenizer,
        max_input_tokens=cfg.max_input_tokens, cache=False, word_tokenizer=cfg.word_tokenizer,
        markers=cfg.markers, too_long=cfg.too_long)
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
    if c.spans:
        counts.update({"marker_spans": c.spans, "markers_lost": c.markers_lost})
    return BatchResult(out, counts)


STAGE = Stage(
    "translate", 1, needs=("corpus",), provides=("translation",),
    config_model=TranslateStageConfig, outputs={"translation": "corpus.jsonl"}, setup=setup,
    process_batch=process_batch, description="machine-translate the source corpus")
