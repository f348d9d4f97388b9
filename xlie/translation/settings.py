"""The translation stage's settings, one pydantic model: ``xlie translate`` builds it from
its options, ``open_session``/``translate`` take it (or its keywords), and the pipeline's
``translate:`` section is it (plus the model and the batch sizes). Batching (sentences and
padded tokens per model call, the length-sorting window) is ``options.BatchOptions``: the
pipeline sizes its batches itself."""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import Field

from ..config import Settings, choice_validator
from .options import DEFAULT_MAX_NEW_TOKENS, GenerationOptions


def _backends() -> tuple[str, ...]:
    from .backends import BACKENDS
    return BACKENDS


class TranslateSettings(Settings):
    """How sentences are translated and turned into words."""

    backend: str = Field("hf", description="hf (transformers generate), ct2 (CTranslate2) "
                         "or apertium (rule-based, offline)")
    beam: int = Field(4, ge=1, description="beam size (1: greedy)")
    sample: bool = False
    top_k: Optional[int] = Field(None, ge=1)
    top_p: Optional[float] = Field(None, gt=0, le=1)
    temperature: Optional[float] = Field(None, gt=0)
    max_new_tokens: int = Field(DEFAULT_MAX_NEW_TOKENS, ge=1)
    seed: int = Field(0, description="sampling seed")
    device: str = "auto"
    dtype: str = "auto"
    tokenizer: Optional[Union[str, Path]] = Field(None, description="when not beside the model")
    max_input_tokens: Optional[int] = Field(None, ge=1, description="default: the model's limit")
    cache: Union[bool, str, Path] = Field(True, description="true: $XLIE_HOME/cache/"
                                          "translations.sqlite; a path; false: none")
    word_tokenizer: str = "moses"
    markers: Optional[Literal["xml", "brackets"]] = None
    too_long: Literal["split", "skip", "error"] = "split"

    _backend = choice_validator("backend", "translation backend", _backends)

    def generation(self) -> GenerationOptions:
        """The decoding options (the part of the settings in the cache key)."""
        return GenerationOptions(num_beams=self.beam, do_sample=self.sample, top_k=self.top_k,
                                 top_p=self.top_p, temperature=self.temperature,
                                 max_new_tokens=self.max_new_tokens, seed=self.seed)
