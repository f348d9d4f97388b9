"""Generation and batching options, and the stable key they contribute to the cache."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from ..errors import XlieError

DEFAULT_MAX_NEW_TOKENS = 256


@dataclass(frozen=True)
class GenerationOptions:
    """How each sentence is decoded. Every field changes the output, so all of them are part
    of the cache key (see :meth:`key`)."""

    num_beams: int = 4                 # opus-mt's default and the EMNLP 2021 recipe
    do_sample: bool = False
    top_k: Optional[int] = None
    top_p: Optional[float] = None
    temperature: Optional[float] = None
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    length_penalty: Optional[float] = None
    seed: int = 0                      # only used when sampling

    def __post_init__(self):
        if self.num_beams < 1:
            raise XlieError(f"beam size must be at least 1, got {self.num_beams}")
        if self.max_new_tokens < 1:
            raise XlieError(f"max new tokens must be at least 1, got {self.max_new_tokens}")
        if not self.do_sample and any(v is not None for v in (self.top_k, self.top_p, self.temperature)):
            raise XlieError("top-k, top-p and temperature only apply when sampling",
                            "add --sample, or drop those options")

    def key(self) -> str:
        """A canonical JSON string; ``seed`` only matters when sampling."""
        d = asdict(self)
        if not self.do_sample:
            d.pop("seed")
        return json.dumps(d, sort_keys=True)

    def hf_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"num_beams": self.num_beams, "do_sample": self.do_sample,
                              "max_new_tokens": self.max_new_tokens}
        for name in ("top_k", "top_p", "temperature", "length_penalty"):
            v = getattr(self, name)
            if v is not None:
                kw[name] = v
        return kw


@dataclass(frozen=True)
class BatchOptions:
    """Length-sorted batching: sentences of a window of ``sort_window`` records are sorted by
    length and cut into batches of at most ``max_tokens`` padded source tokens and at most
    ``batch_size`` sentences. Memory stays flat in corpus size: one window at a time."""

    batch_size: int = 32
    max_tokens: int = 4096
    sort_window: int = 2048

    def __post_init__(self):
        for name in ("batch_size", "max_tokens", "sort_window"):
            if getattr(self, name) < 1:
                raise XlieError(f"{name.replace('_', ' ')} must be at least 1, got {getattr(self, name)}")
