"""Fine-tuning an aligner's encoder on unlabeled parallel text (Dou & Neubig 2021):
MLM, TLM, SO, PSI and CO objectives, one module each, trained under ``accelerate``."""
from .config import AlignTrainConfig, Objectives, load_train_config
from .trainer import TrainResult, train_aligner

__all__ = ["AlignTrainConfig", "Objectives", "TrainResult", "load_train_config", "train_aligner"]
