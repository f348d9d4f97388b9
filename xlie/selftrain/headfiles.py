"""The directory of a model made of a pretrained encoder plus a head of xlie's own (the
parser, the relation classifier): the encoder and tokenizer as plain ``save_pretrained``
files, the head's weights, and a small JSON file that names the kind of model and its sizes.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..errors import XlieError
from ..fileio import apply_umask, atomic_write


def save_encoder_and_head(path: str | Path, encoder, tokenizer, head: torch.nn.Module,
                          weights: str, meta_name: str, meta: dict) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(path)
    tokenizer.save_pretrained(path)
    torch.save(head.state_dict(), path / weights)
    with atomic_write(path / meta_name) as f:
        json.dump(meta, f, indent=1)
    apply_umask(path)   # safetensors writes 0600 whatever the umask
    return path


def read_meta(path: str | Path, meta_name: str, what: str, hint: str) -> dict:
    """The JSON file that marks ``path`` as a model of this kind; a clear error otherwise."""
    path = Path(path)
    if not (path / meta_name).is_file():
        raise XlieError(f"{path} is not {what} (no {meta_name})", hint)
    return json.loads((path / meta_name).read_text(encoding="utf-8"))


def load_head(head: torch.nn.Module, path: str | Path, weights: str) -> None:
    head.load_state_dict(torch.load(Path(path) / weights, map_location="cpu", weights_only=True))
