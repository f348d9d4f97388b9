"""Self-training taggers: train on source gold + silver data, predict with confidence,
keep confident pseudo-labels, retrain (DESIGN.md, ``selftrain/``).

Names are imported on first use, so reading a config (``xlie.selftrain.config``, as the
pipeline does to validate one) does not load torch and transformers."""
from __future__ import annotations

from ..lazy import lazy_exports

_WHERE = {
    "SelfTrainConfig": "config", "SelectConfig": "config", "TrainSettings": "config",
    "TaggerSettings": "config", "ParserSettings": "config", "RelationSettings": "config",
    "train_settings": "config", "get_task": "tasks", "task_of_model": "tasks", "TASKS": "tasks",
    "LabelMap": "labels",
    "evaluate": "metrics", "predict_file": "output", "Tagger": "predict",
    "select_pseudo_labels": "pseudo", "self_train": "rounds", "TrainResult": "trainer",
    "train": "tasks",
}

__getattr__ = lazy_exports(__name__, _WHERE)
__all__ = sorted(_WHERE)
