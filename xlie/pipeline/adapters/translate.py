"""The translate stage: ``xlie.translation.translate`` over each batch of the corpus.

The MT backend is loaded once per worker (``setup``) and handed to ``translate`` as a ready
backend; each batch goes through ``translate`` as a small JSONL file, so the stage writes
exactly what ``xlie translate`` writes (``translation: {lang, text, tokens, offsets}``),
with its cache, length-sorted batching and marker options.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import Field, field_validator

from ..config import BatchStageConfig
from ..stages import BatchResult, Stage, StageContext, register_stage
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
        from ._names import known_names
        return check_name("translation backend", v,
                          known_names("xlie.translation.backends", "BACKENDS"))


def setup(cfg: TranslateStageConfig, ctx: StageContext):
    from ...translation.backends import load_backend
    from ...translation.options import GenerationOptions
    src, tgt = ctx.src_lang or "en", ctx.tgt_lang or "de"
    gen = GenerationOptions(num_beams=cfg.beam, do_sample=cfg.sample, top_k=cfg.top_k,
                            top_p=cfg.top_p, temperature=cfg.temperature,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed)
    backend = load_backend(cfg.backend, cfg.model, src, tgt, gen, cfg.device, cfg.dtype,
                           cfg.tokenizer)
    return cfg, backend, src, tgt


def process_batch(state, records: list[dict]) -> BatchResult:
    from ...translation import translate
    cfg, backend, src, tgt = state
    with tempfile.TemporaryDirectory(prefix="xlie-translate-") as tmp:
        inp, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        inp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                       encoding="utf-8")
        report = translate(
            inp, out, cfg.model, src, tgt, backend=backend, input_format="jsonl",
            beam=cfg.beam, sample=cfg.sample, top_k=cfg.top_k, top_p=cfg.top_p,
            temperature=cfg.temperature, max_new_tokens=cfg.max_new_tokens, seed=cfg.seed,
            batch_size=cfg.mt_batch_size, max_tokens=cfg.max_tokens,
            sort_window=max(cfg.batch_size, 1), tokenizer=cfg.tokenizer,
            max_input_tokens=cfg.max_input_tokens, cache=cfg.cache, resume=False,
            word_tokenizer=cfg.word_tokenizer, markers=cfg.markers, too_long=cfg.too_long)
        lines = out.read_text(encoding="utf-8").splitlines()
    c = report.counts
    counts = {"translated": c.translated, "cache_hits": c.cache_hits, "empty": c.empty,
              "split": c.split, "skipped": c.skipped}
    if c.spans:
        counts.update({"marker_spans": c.spans, "markers_lost": c.markers_lost})
    return BatchResult([json.loads(x) for x in lines if x.strip()], counts)


STAGE = register_stage(Stage(
    "translate", 1, needs=("corpus",), provides=("translation",),
    config_model=TranslateStageConfig, outputs={"translation": "corpus.jsonl"}, setup=setup,
    process_batch=process_batch, description="machine-translate the source corpus"),
    replace=True)
