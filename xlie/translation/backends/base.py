"""The interface every MT backend implements: token ids in, text out, with call counters."""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Hypothesis:
    text: str
    cut: bool = False  # decoding stopped at max_new_tokens without an end-of-sentence token


class Backend:
    """A loaded translation model for one language pair.

    ``encode`` turns texts into the model's input ids (special tokens included) so the
    batcher can sort and budget by length; ``translate_ids`` translates one batch.
    ``key`` names the model and its numerics (dtype, quantization) for the cache.
    """

    name = "base"
    key: str
    max_input_tokens: int
    length_unit = "model tokens"   # what ``encode`` counts and ``max_input_tokens`` limits
    marks_unknown = False   # hypotheses carry unknown-word marks (translation/unknown.py)

    def __init__(self) -> None:
        self.calls = 0          # batches sent to the model
        self.sentences = 0      # sentences translated by the model

    def encode(self, texts: list[str]) -> list[list[int]]:
        raise NotImplementedError

    def plan(self, lengths: list[int], batching) -> list[list[int]]:
        """Batches (indices into ``lengths``) for one window: length-sorted, by token budget."""
        from ...batching import plan_batches
        return plan_batches(lengths, batching.max_tokens, batching.batch_size)

    def translate_ids(self, batch: list[list[int]]) -> list[Hypothesis]:
        self.calls += 1
        self.sentences += len(batch)
        return self._translate(batch)

    def _translate(self, batch: list[list[int]]) -> list[Hypothesis]:
        raise NotImplementedError


def cap_new_tokens(options, positions: int | None, reserved: int):
    """Generation options whose ``max_new_tokens`` fits the decoder's position table.

    A decoder with ``positions`` learned positions cannot emit more tokens than that (HF
    raises an IndexError, CTranslate2 a RuntimeError, mid-corpus); ``reserved`` is what the
    backend puts before the first word (decoder start, forced language token)."""
    if not positions or positions <= reserved:
        return options
    room = positions - reserved
    if options.max_new_tokens <= room:
        return options
    log.warning("max new tokens %d is more than this model's decoder can produce (%d "
                "positions): capped at %d; lower --max-new-tokens to silence this",
                options.max_new_tokens, positions, room)
    return dataclasses.replace(options, max_new_tokens=room)


def decoder_positions(config) -> int | None:
    """The decoder's position limit from a Hugging Face config (None: no fixed table)."""
    for name in ("max_target_positions", "max_position_embeddings", "n_positions"):
        v = getattr(config, name, None)
        if isinstance(v, int) and 0 < v < 100_000:
            return v
    return None


def model_fingerprint(path_or_id: str) -> str:
    """Identify a model for the cache: a hub id as written; a local directory by its files'
    names, sizes and first and last MiB (cheap for GB-sized weights, yet two random models
    of the same shape differ)."""
    from pathlib import Path

    from ...fileio import dir_fingerprint
    p = Path(path_or_id)
    if not p.is_dir():
        return f"hub:{path_or_id}"
    return dir_fingerprint(p, recursive=False)


def pick_device(device: str) -> str:
    import torch
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
