"""Typed, validated configuration of an aligner fine-tuning run.

A run reads one YAML file (optional) and ``--set key=value`` overrides, e.g.
``--set objectives.so=1 --set lr=5e-5``. Unknown keys and wrong types are errors that name
the key and the file. The defaults are those that learn on a thousand pairs (chosen on the
en-cs dev split, benchmarks/RESULTS.md ``align_finetune_dev*``, ``align_train_defaults``):
batch 8, MLM and TLM at weight 0.01 beside SO, PSI and CO at 1, the word embeddings frozen,
SO toward links grown from the intersection and widened to whole word pairs. The run's length
and learning rate follow the data size (``plan.py``): two epochs within 100 to 8,000 steps,
lr 1e-4 scaled down past 320 steps to the paper's 2e-5 (Dou & Neubig 2021) at 8,000.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import Field

from ...config import Settings, load_settings
from ...precision import MixedPrecision
from ...tracking import LogWith
from ..settings import ThresholdExtraction
from .so import SOTargets


class Objectives(Settings):
    """Weight of each objective; 0 switches it off."""

    mlm: float = Field(0.01, ge=0, description="MLM and TLM only steady the encoder beside SO")
    tlm: float = Field(0.01, ge=0)
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
    extraction: ThresholdExtraction = "softmax"
    threshold: Optional[float] = Field(None, ge=0, description="None: the model's softmax threshold, 0 for entmax")
    so_targets: SOTargets = Field("grow-diag", description="the links SO trains toward: the "
                                  "intersection (the paper's), or grown from it (xlie's default)")
    so_word_blocks: bool = Field(True, description="widen SO's target links to every piece of "
                                 "each linked word pair (xlie's default; false: the paper's)")
    mask_prob: float = Field(0.15, gt=0, lt=1)
    max_length: int = Field(128, ge=8, description="subwords per side; longer pairs are skipped")
    batch_size: int = Field(8, ge=1, description="pairs per device per step")
    grad_accum: int = Field(1, ge=1)
    epochs: Optional[float] = Field(None, gt=0, description="None: the step budget of plan.py "
                                    "(two epochs, at least 100 and at most 8,000 steps)")
    max_steps: Optional[int] = Field(None, ge=1, description="optimizer steps; overrides epochs")
    lr: Optional[float] = Field(None, gt=0, description="None: 1e-4, scaled down for runs "
                                "longer than 320 steps (plan.py)")
    weight_decay: float = Field(0.0, ge=0)
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    schedule: Literal["linear", "constant", "cosine"] = "linear"
    head_warmup_steps: int = Field(0, ge=0, description="first optimizer steps in which only the "
                                   "MLM and PSI heads learn and the encoder is held fixed: a freshly "
                                   "initialised head (e5-small ships none) would otherwise push "
                                   "random gradients into the encoder")
    freeze_embeddings: bool = Field(True, description="keep the (tied) word embeddings fixed: "
                                    "with a 250k vocabulary they dominate CPU step time, and "
                                    "training them gained nothing (RESULTS.md)")
    max_grad_norm: Optional[float] = Field(1.0, gt=0)
    seed: int = 42
    mixed_precision: MixedPrecision = "auto"
    save_every: Optional[int] = Field(None, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(1, ge=1, description="how many periodic checkpoints to keep")
    resume: bool = True
    eval_data: Optional[str] = None
    eval_gold: Optional[str] = None
    gold_base: Literal[0, 1] = Field(1, description="index of the first word in the gold file")
    eval_every: Optional[int] = Field(None, ge=1, description="None: at each checkpoint, or "
                                      "ten times in a run without save_every")
    holdout: Optional[float] = Field(None, ge=0, lt=0.5, description="share of the pairs "
                                     "held out of training to score the loss on (at most 200 "
                                     "pairs, none under 16); None: 0.05 without --eval-gold, "
                                     "else 0")
    select: Literal["auto", "aer", "heldout_loss"] = Field(
        "auto", description="what best/ is chosen by: the AER on --eval-gold, or the loss on "
        "the held-out pairs; auto: AER when there is a gold set")
    patience: Optional[int] = Field(None, ge=1, description="stop once the held-out loss has "
                                    "not improved by min_delta at this many evals in a row; None "
                                    "(default): run the whole budget, which was chosen on dev")
    min_delta: float = Field(0.005, ge=0, description="relative improvement of the held-out loss "
                             "that counts for patience")
    calibrate: bool = Field(True, description="at each eval, choose the link threshold and "
                            "long-pair band on the eval gold and record them with the model "
                            "(aligners/calibrate.py); false: keep the model's, here and without gold")
    saved_threshold_scale: float = Field(0.5, gt=0, description="where no gold calibrates a "
        "saved model (and calibrate is on), `xlie align --model DIR` uses the training threshold times this: tuned "
        "encoders are surer of their links (chosen on encs dev, benchmarks/RESULTS.md)")
    saved_band: Optional[int] = Field(32, ge=0, description="and this long-pair band (None: "
                                      "the model's)")
    max_pairs: Optional[int] = Field(None, ge=1, description="use only the first N usable pairs")
    log_every: int = Field(10, ge=1, description="steps between train-log.jsonl records and, "
                           "when stdout is no terminal, progress lines")
    log_with: Optional[LogWith] = Field(None, exclude=True, description="also log training to "
                                        "tensorboard, wandb, mlflow or all (xlie/tracking.py)")

    def selects_on(self) -> str:
        """The figure best/ is chosen by."""
        if self.select != "auto":
            return self.select
        return "aer" if self.eval_gold else "heldout_loss"

    def effective_threshold(self, model_threshold: float) -> float:
        if self.threshold is not None:
            return self.threshold
        return 0.0 if self.extraction == "entmax" else model_threshold



def load_train_config(path: str | Path | None = None, overrides: list[str] | None = None,
                      **values: Any) -> AlignTrainConfig:
    """YAML file (its ``align_train:`` section if it has one), then keyword values (the
    CLI's own options), then ``k=v`` overrides (``xlie.config.load_settings``)."""
    return load_settings(AlignTrainConfig, path, overrides, values=values, section="align_train")
