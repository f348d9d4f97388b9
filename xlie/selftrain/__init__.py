"""Self-training taggers: train on source gold + silver data, predict with confidence,
keep confident pseudo-labels, retrain (DESIGN.md, ``selftrain/``)."""
from .config import RunConfig, SelectConfig, TrainConfig, load_config
from .labels import LabelMap, iob2_to_spans, spans_to_iob2
from .metrics import evaluate
from .output import predict_file
from .predict import Tagger
from .pseudo import select_pseudo_labels
from .rounds import self_train
from .train import TrainResult, train

__all__ = ["LabelMap", "RunConfig", "SelectConfig", "Tagger", "TrainConfig", "TrainResult",
           "evaluate", "iob2_to_spans", "load_config", "predict_file", "select_pseudo_labels",
           "self_train", "spans_to_iob2", "train"]
