"""Typed, validated configuration of an aligner fine-tuning run.

A run reads one YAML file (optional) and ``--set key=value`` overrides, e.g.
``--set objectives.so=1 --set lr=5e-5``. Unknown keys and wrong types are errors that name
the key and the file. The defaults follow Dou & Neubig (2021): lr 2e-5, batch 8, one epoch,
seed 42, loss = MLM + TLM + SO + PSI + beta * CO; except that SO trains toward links grown
from the intersection (``so_targets``) and widened to whole word pairs (``so_word_blocks``),
which measured better (benchmarks/RESULTS.md).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import Field

from ...config import Settings, load_settings
from ...precision import MixedPrecision
from .so import SOTargets


class Objectives(Settings):
    """Weight of each objective; 0 switches it off."""

    mlm: float = Field(1.0, ge=0)
    tlm: float = Field(1.0, ge=0)
    so: float = Field(1.0, ge=0)
    psi: float = Field(1.0, ge=0)
    co: float = Field(1.0, ge=0, description="beta: the weight of the consistency objective")

    def enabled(self) -> list[str]:
        return [k for k, w in self.model_dump().items() if w > 0]


class AlignTrainConfig(Settings):
    """Everything a fine-tuning run of an aligner needs; recorded in each saved model
    directory."""

    model: str = "e5-small"
    data: Optional[str] = None
    output: Optional[str] = None
    objectives: Objectives = Field(default_factory=Objectives)
    layer: Optional[int] = Field(None, ge=0, description="layer SO/CO read; None: the model's default")
    extraction: Literal["softmax", "entmax"] = "softmax"
    threshold: Optional[float] = Field(None, ge=0, description="None: the model's softmax threshold, 0 for entmax")
    so_targets: SOTargets = Field("grow-diag", description="the links SO trains toward: the "
                                  "intersection (the paper's), or grown from it (xlie's default)")
    so_word_blocks: bool = Field(True, description="widen SO's target links to every piece of "
                                 "each linked word pair (xlie's default; false: the paper's)")
    mask_prob: float = Field(0.15, gt=0, lt=1)
    max_length: int = Field(128, ge=8, description="subwords per side; longer pairs are skipped")
    batch_size: int = Field(8, ge=1, description="pairs per device per step")
    grad_accum: int = Field(1, ge=1)
    epochs: float = Field(1.0, gt=0)
    max_steps: Optional[int] = Field(None, ge=1, description="optimizer steps; overrides epochs")
    lr: float = Field(2e-5, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    schedule: Literal["linear", "constant", "cosine"] = "linear"
    head_warmup_steps: int = Field(0, ge=0, description="first optimizer steps in which only the "
                                   "MLM and PSI heads learn and the encoder is held fixed: a freshly "
                                   "initialised head (e5-small ships none) would otherwise push "
                                   "random gradients into the encoder")
    freeze_embeddings: bool = Field(False, description="keep the (tied) word embeddings fixed: "
                                    "with a 250k vocabulary they dominate CPU step time")
    max_grad_norm: Optional[float] = Field(1.0, gt=0)
    seed: int = 42
    mixed_precision: MixedPrecision = "auto"
    save_every: Optional[int] = Field(None, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(1, ge=1, description="how many periodic checkpoints to keep")
    resume: bool = True
    eval_data: Optional[str] = None
    eval_gold: Optional[str] = None
    gold_base: Literal[0, 1] = Field(1, description="index of the first word in the gold file")
    eval_every: Optional[int] = Field(None, ge=1, description="None: at each checkpoint")
    calibrate: bool = Field(True, description="at each eval, choose the link threshold and "
                            "long-pair band on the eval gold and record them with the model "
                            "(aligners/calibrate.py); false: keep the model's")
    max_pairs: Optional[int] = Field(None, ge=1, description="use only the first N usable pairs")
    log_every: int = Field(10, ge=1)

    def effective_threshold(self, model_threshold: float) -> float:
        if self.threshold is not None:
            return self.threshold
        return 0.0 if self.extraction == "entmax" else model_threshold


TrainConfig = AlignTrainConfig  # the former name


def load_train_config(path: str | Path | None = None, overrides: list[str] | None = None,
                      **values: Any) -> AlignTrainConfig:
    """YAML file (its ``align_train:`` section if it has one), then keyword values (the
    CLI's own options), then ``k=v`` overrides (``xlie.config.load_settings``)."""
    return load_settings(AlignTrainConfig, path, overrides, values=values, section="align_train")
