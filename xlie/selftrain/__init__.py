"""Self-training taggers: train on source gold + silver data, predict with confidence,
keep confident pseudo-labels, retrain (DESIGN.md, ``selftrain/``).

Names are imported on first use, so reading a config (``xlie.selftrain.config``, as the
pipeline does to validate one) does not load torch and transformers."""
from __future__ import annotations

import importlib

_WHERE = {
    "SelfTrainConfig": "config", "SelectConfig": "config", "TaggerTrainConfig": "config",
    "RunConfig": "config", "TrainConfig": "config", "load_config": "config",
    "LabelMap": "labels",
    "evaluate": "metrics", "predict_file": "output", "Tagger": "predict",
    "select_pseudo_labels": "pseudo", "self_train": "rounds", "TrainResult": "trainer", "train": "trainer",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_WHERE)
