"""Self-training taggers: train on source gold + silver data, predict with confidence,
keep confident pseudo-labels, retrain (DESIGN.md, ``selftrain/``)."""
from .config import RunConfig, SelectConfig, TrainConfig, load_config
from .labels import LabelMap, iob2_to_spans, spans_to_iob2
from .metrics import evaluate
from .predict import Tagger
from .train import TrainResult, train

__all__ = ["LabelMap", "RunConfig", "SelectConfig", "Tagger", "TrainConfig", "TrainResult",
           "evaluate", "iob2_to_spans", "load_config", "spans_to_iob2", "train"]
