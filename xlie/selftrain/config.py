"""Typed, validated settings of the self-training stage, read from YAML or built in Python.

Sample ``selftrain.yaml`` for ``xlie selftrain run --config``::

    train:
      model: xlm-roberta-base
      task: ner
      max_steps: 800               # budget; early stopping on a dev set ends it sooner
      min_silver_score: 0.5
    rounds: 2
    select: {mode: top, top_fraction: 0.5}
    schedule:                      # optional, one entry per round, overrides `select`
      - {mode: threshold, threshold: 0.95}
      - {mode: threshold, threshold: 0.9}

Unknown keys and wrong types are errors naming the key and the file.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from ..config import Settings, load_settings
from ..precision import MixedPrecision
from ..tracking import LogWith


class TaggerTrainConfig(Settings):
    """How one tagger is trained."""

    model: str = Field("xlm-roberta-base", description="encoder: hub id, local dir or built-in name")
    task: Literal["ner", "pos", "dep", "relation"] = Field(
        "ner", description="ner, pos, dep (a biaffine parser: selftrain/parser.py) or relation "
        "(a marked E1/E2 pair's relation: selftrain/relation.py)")
    min_arc_score: Optional[float] = Field(None, ge=0, le=1, description="dep: silver arcs "
                                           "whose arc_scores is below this are left out of "
                                           "the loss")
    labels: Optional[list[str]] = Field(None, description="entity types (NER) or tags (POS); "
                                        "default: those of the source data")
    unknown_labels: Literal["error", "skip"] = Field(
        "error", description="a silver/pseudo label outside the label set: stop, or skip the "
                             "sentence and count it")
    epochs: Optional[int] = Field(None, ge=1, description="at most this many epochs "
                                  "(default: as many as max_steps allows)")
    max_steps: Optional[int] = Field(800, ge=1, description="budget of optimizer steps; "
                                     "training stops sooner when the dev score stops rising")
    batch_size: int = Field(16, ge=1)
    grad_accum: int = Field(1, ge=1)
    lr: float = Field(1e-4, gt=0, description="learning rate of the pretrained encoder")
    head_lr: Optional[float] = Field(3e-3, gt=0, description="learning rate of the new "
                                     "classification head (null: lr); it starts from random "
                                     "weights, so it needs a higher one than the encoder")
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    max_grad_norm: float = Field(1.0, gt=0)
    freeze_embeddings: bool = Field(True, description="keep the input embeddings fixed: "
                                    "much cheaper steps, and the target language's word "
                                    "vectors stay where pretraining put them")
    freeze_layers: int = Field(0, ge=0, description="also keep the lowest N encoder layers "
                               "fixed (backward stops above them: cheaper CPU training); "
                               "relation: unset means all but the top 6, their states "
                               "computed once per sentence")
    group_by_length: bool = Field(True, description="batch windows of similar length (less "
                                  "padding); batches are still drawn in random order")
    max_length: Optional[int] = Field(None, ge=8, description="subwords per window, specials "
                                      "included; default: the model's limit")
    window_context: bool = Field(True, description="give split windows context words on both "
                                 "sides (labels only on each window's own words)")
    silver_weight: float = Field(1.0, ge=0, description="loss weight of silver/pseudo examples")
    silver_ratio: Optional[float] = Field(None, gt=0, description="silver examples drawn per "
                                          "source example each epoch (default: all, once)")
    min_silver_score: Optional[float] = Field(None, description="silver spans scored below this "
                                              "are filtered")
    low_score: Literal["mask", "drop"] = Field(
        "mask", description="a filtered silver span: ignore its tokens in the loss, or drop the "
                            "whole sentence")
    patience: Optional[int] = Field(3, ge=1, description="dev evaluations without gain "
                                    "before stopping, not before a quarter of the budget "
                                    "(null: train the whole budget)")
    eval_every: Optional[int] = Field(None, ge=1, description="optimizer steps between dev "
                                      "evaluations (default: each epoch, at most 500 steps "
                                      "apart)")
    dev_fraction: float = Field(0.1, ge=0, lt=1, description="without a dev set, hold out "
                                "this share of the silver sentences (of the source ones when "
                                "there is no silver; 30 to 300 sentences, none from under "
                                "100) for early stopping and model choice")
    log_every: Optional[int] = Field(None, ge=1, description="optimizer steps between "
                                     "progress lines when stderr is not a terminal "
                                     "(default: about 20 lines a run, at least one a minute)")
    checkpoint_every: int = Field(200, ge=1, description="optimizer steps between checkpoints")
    batch_predict: int = Field(32, ge=1)
    mixed_precision: MixedPrecision = "auto"
    seed: int = 0
    log_with: Optional[LogWith] = Field(None, exclude=True, description="also log training to "
                                        "tensorboard, wandb, mlflow or all (xlie/tracking.py); "
                                        "not a setting of the model: left out of its record")

    @model_validator(mode="after")
    def _has_an_end(self) -> "TaggerTrainConfig":
        if self.epochs is None and self.max_steps is None:
            raise ValueError("set epochs or max_steps: training needs an end")
        return self


class SelectConfig(Settings):
    """Which pseudo-labels of a round are kept."""

    mode: Literal["threshold", "top"] = "threshold"
    threshold: float = Field(0.9, ge=0, le=1, description="keep units with confidence >= this")
    top_fraction: float = Field(0.5, gt=0, le=1, description="keep this fraction of each label's "
                                "units, most confident first, so rare labels are not starved")
    min_labeled: float = Field(0.0, ge=0, le=1, description="drop sentences with a smaller "
                               "share of labeled words")


class SelfTrainConfig(Settings):
    """Rounds of predict -> select -> retrain."""

    train: TaggerTrainConfig = Field(default_factory=TaggerTrainConfig)
    rounds: int = Field(0, ge=0, description="self-training rounds after round 0; off by "
                        "default: on Europarl NER (benchmarks/RESULTS.md, selftrain_defaults) "
                        "a round did not beat the same steps without pseudo-labels")
    select: SelectConfig = Field(default_factory=SelectConfig)
    schedule: Optional[list[SelectConfig]] = None
    init: Literal["base", "previous"] = Field(
        "base", description="each round starts from the base encoder, or from the previous "
                            "round's tagger")
    keep_silver: bool = Field(True, description="train later rounds on source + silver + pseudo")
    round_epochs: Optional[int] = Field(None, ge=1, description="epochs of rounds >= 1")

    def select_for(self, round_no: int) -> SelectConfig:
        if self.schedule:
            return self.schedule[min(round_no, len(self.schedule)) - 1]
        return self.select


# the former names (``TrainConfig`` also named the aligner's training settings)
TrainConfig = TaggerTrainConfig
RunConfig = SelfTrainConfig
load_config = load_settings
