"""Typed, validated settings of the self-training stage, read from YAML or built in Python.

Sample ``selftrain.yaml`` for ``xlie selftrain run --config``::

    train:
      model: xlm-roberta-base
      task: ner                    # ner, pos, dep, relation: picks the settings model below
      min_silver_score: 0.5
    rounds: 2
    select: {mode: top, top_fraction: 0.5}
    schedule:                      # optional, one entry per round, overrides `select`
      - {mode: threshold, threshold: 0.95}
      - {mode: threshold, threshold: 0.9}

Each task has its own settings model (:data:`TASK_SETTINGS`): the fields every model kind's
training loop uses (:class:`TrainSettings`) plus the task's own, with the task's defaults as
plain field defaults, so a config dumped and read back (the pipeline does) keeps them. A
setting the task does not use is an error naming the setting and the task. Unknown keys and
wrong types are errors naming the key and the file.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, TypeAdapter, field_validator, model_validator

from ..config import Settings, check_choice
from ..precision import MixedPrecision
from ..tracking import LogWith

TASK_NAMES = ("ner", "pos", "dep", "relation", "event")


class TrainSettings(Settings):
    """How one model is trained: what the shared loop (``loop.py``) and optimizer read."""

    kind: ClassVar[str] = "a model"     # what the task trains, for error messages

    model: str = Field("xlm-roberta-base", description="encoder: hub id, local dir or built-in name")
    task: str = Field("ner", description="ner, pos, event (taggers), dep (a biaffine parser) "
                                         "or relation (a marked E1/E2 pair's relation)")
    epochs: Optional[int] = Field(None, ge=1, description="at most this many epochs "
                                  "(default: as many as max_steps allows)")
    max_steps: Optional[int] = Field(800, ge=1, description="budget of optimizer steps; "
                                     "training stops sooner when the dev score stops rising")
    batch_size: int = Field(16, ge=1, description="examples per optimizer step (per process)")
    grad_accum: int = Field(1, ge=1, description="batches accumulated per optimizer step")
    lr: float = Field(1e-4, gt=0, description="learning rate of the pretrained encoder")
    head_lr: Optional[float] = Field(3e-3, gt=0, description="learning rate of the new "
                                     "head (null: lr); it starts from random weights, so it "
                                     "needs a higher one than the encoder")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay")
    warmup_ratio: float = Field(0.1, ge=0, lt=1, description="share of the steps warming up")
    max_grad_norm: float = Field(1.0, gt=0, description="gradient clipping norm")
    freeze_embeddings: bool = Field(True, description="keep the input embeddings fixed: "
                                    "much cheaper steps, and the target language's word "
                                    "vectors stay where pretraining put them")
    freeze_layers: int = Field(0, ge=0, description="also keep the lowest N encoder layers "
                               "fixed (cheaper CPU training): their states are computed once "
                               "per sentence, without dropout, and kept")
    group_by_length: bool = Field(True, description="batch examples of similar length (less "
                                  "padding); batches are still drawn in random order")
    max_length: Optional[int] = Field(None, ge=8, description="subwords per window, specials "
                                      "included; default: the model's limit")
    silver_weight: float = Field(1.0, ge=0, description="loss weight of silver/pseudo examples")
    silver_ratio: Optional[float] = Field(None, gt=0, description="silver examples drawn per "
                                          "source example each epoch (default: all, once)")
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
    batch_predict: int = Field(32, ge=1, description="examples per forward pass when predicting")
    mixed_precision: MixedPrecision = Field("auto", description="bf16/fp16 on a GPU that "
                                            "supports it (auto), or no")
    seed: int = Field(0, description="seed of initialization, example order and dev slice")

    @field_validator("task", mode="before")
    @classmethod
    def _known_task(cls, v: Any) -> Any:
        return check_choice("task", v, TASK_NAMES)
    log_with: Optional[LogWith] = Field(None, exclude=True, description="also log training to "
                                        "tensorboard, wandb, mlflow or all (xlie/tracking.py); "
                                        "not a setting of the model: left out of its record")

    @model_validator(mode="after")
    def _has_an_end(self) -> "TrainSettings":
        if self.epochs is None and self.max_steps is None:
            raise ValueError("set epochs or max_steps: training needs an end")
        return self

    def effective(self) -> dict:
        """The settings as JSON, as ``metrics.json`` records them (``settings``)."""
        return self.model_dump(mode="json")


Judge = Literal["source", "none"]


def _judge_field(default: str):
    return Field(default, description="with silver data: first train the model on the "
                 "source alone, and let it judge the silver (judge.py): a projected label it "
                 "confidently contradicts is replaced by its own, a word without one gets its "
                 "confident one; none: every projected label trains as it is (pos and dep)")


def _judge_threshold_field():
    return Field(0.9, ge=0, le=1, description="the probability of the judge's own label "
                 "that counts as confident")


class TaggerSettings(TrainSettings):
    """A token tagger: NER spans (IOB2), POS tags or event triggers (IOB2 over the trigger
    spans, labelled by event class)."""

    kind: ClassVar[str] = "the taggers (ner, pos, event)"
    task: Literal["ner", "pos", "event"] = Field(
        "ner", description="ner (spans, IOB2), pos (tags) or event (trigger spans, IOB2)")
    labels: Optional[list[str]] = Field(None, description="entity types (NER) or tags (POS); "
                                        "default: those of the source data")
    unknown_labels: Literal["error", "skip"] = Field(
        "error", description="a silver/pseudo label outside the label set: stop, or skip the "
                             "sentence and count it")
    window_context: bool = Field(True, description="give split windows context words on both "
                                 "sides (labels only on each window's own words)")
    min_silver_score: Optional[float] = Field(None, description="silver spans scored below this "
                                              "are filtered")
    low_score: Literal["mask", "drop"] = Field(
        "mask", description="a filtered silver span: ignore its tokens in the loss, or drop the "
                            "whole sentence")
    silver_judge: Judge = _judge_field("none")
    judge_threshold: float = _judge_threshold_field()

    @model_validator(mode="after")
    def _judges_tags_only(self) -> "TaggerSettings":
        if self.silver_judge != "none" and self.task != "pos":
            raise ValueError(f"silver_judge: the {self.task} tagger has no judge yet (pos and "
                             "dep have): use none")
        return self


class ParserSettings(TrainSettings):
    """The biaffine dependency parser (``parser.py``)."""

    kind: ClassVar[str] = "the parser (dep)"
    task: Literal["dep"] = "dep"
    min_arc_score: Optional[float] = Field(None, ge=0, le=1, description="silver arcs whose "
                                           "arc_scores is below this are left out of the loss")
    freeze_encoder: bool = Field(False, description="train the head alone on encoder states "
                                 "computed once per sentence (far cheaper on a CPU, weaker)")
    silver_judge: Judge = _judge_field("source")
    judge_threshold: float = _judge_threshold_field()
    arc_dim: int = Field(256, ge=1, description="size of the biaffine arc scorer's projections")
    rel_dim: int = Field(64, ge=1, description="size of the relation scorer's projections")


class RelationSettings(TrainSettings):
    """The relation classifier of a marked pair (``relation.py``). Its defaults were chosen
    on KBP37's own English dev split (benchmarks/RESULTS.md, relation-relx)."""

    kind: ClassVar[str] = "the relation classifier (relation)"
    default_notes: ClassVar[dict] = {"freeze_layers": "all but the top `top_layers`, 6"}
    task: Literal["relation"] = "relation"
    labels: Optional[list[str]] = Field(None, description="directed relation labels; "
                                        "default: those of the source data")
    lr: float = Field(3e-4, gt=0, description="learning rate of the trained encoder layers")
    freeze_layers: Optional[int] = Field(None, ge=0, description="keep the lowest N layers "
                                         "fixed, their states computed once per sentence "
                                         "(null: all but the top `top_layers`)")
    top_layers: int = Field(6, ge=0, description="with freeze_layers null, train this many "
                            "top layers")

    def frozen_layers(self, n_layers: int) -> int:
        """Layers to freeze in an encoder of ``n_layers``."""
        if self.freeze_layers is not None:
            return min(self.freeze_layers, n_layers)
        return max(0, n_layers - self.top_layers)


# the task -> its settings model; the settings side of the task registry (selftrain/tasks)
TASK_SETTINGS: dict[str, type[TrainSettings]] = {
    "ner": TaggerSettings, "pos": TaggerSettings, "dep": ParserSettings,
    "relation": RelationSettings, "event": TaggerSettings}
_TAGS = {TaggerSettings: "tagger", ParserSettings: "dep", RelationSettings: "relation"}


def _tag_of(value: Any) -> str:
    task = value.get("task", "ner") if isinstance(value, dict) else getattr(value, "task", "ner")
    model = TASK_SETTINGS.get(task, TaggerSettings)   # an unknown task fails on its field
    return _TAGS[model]


AnyTrainSettings = Annotated[
    Union[tuple(Annotated[m, Tag(t)] for m, t in _TAGS.items())],  # type: ignore[misc]
    Discriminator(_tag_of)]
_ADAPTER: TypeAdapter = TypeAdapter(AnyTrainSettings)


def train_settings(**values: Any) -> TrainSettings:
    """The settings model of ``values['task']`` (default ner) validated from ``values``."""
    return _ADAPTER.validate_python(values)


def settings_tags() -> dict[str, type[TrainSettings]]:
    """Union tag -> settings model, for error messages (config.config_error)."""
    return {t: m for m, t in _TAGS.items()}


class SelectConfig(Settings):
    """Which pseudo-labels of a round are kept."""

    mode: Literal["threshold", "top"] = "threshold"
    threshold: float = Field(0.9, ge=0, le=1, description="keep units with confidence >= this")
    top_fraction: float = Field(0.5, gt=0, le=1, description="keep this fraction of each label's "
                                "units, most confident first, so rare labels are not starved")
    min_labeled: float = Field(0.0, ge=0, le=1, description="drop sentences with a smaller "
                               "share of labeled words")


class TranslateTestTeacher(Settings):
    """The translate-test teacher of the rounds (``teacher: translate-test`` or
    ``ensemble``): a source-language model labels the translation of the unlabeled text,
    its labels projected back through word links (``translate_test.py``)."""

    source_model: str = Field(description="the source-language model directory (`xlie "
                              "selftrain train` on source gold)")
    backend: Literal["hf", "ct2", "apertium"] = Field("apertium", description="MT backend")
    mt_model: Optional[str] = Field(None, description="MT model (apertium: none needed)")
    src_lang: str = Field(description="language of the unlabeled text, translated from")
    tgt_lang: str = Field("en", description="language of the source model, translated into")
    aligner: str = Field("e5-small", description="word aligner model (`xlie align`'s default)")


class EnsembleTeacher(Settings):
    """How the ``ensemble`` teacher combines its two members: the previous round's model
    (direct) and the source model through translation (``selftrain predict``'s ``--weight``
    and ``--combine``, in the same member order)."""

    weights: list[float] = Field([1.0, 1.0], min_length=2, max_length=2,
                                 description="the direct member's weight, then "
                                             "translate-test's (0 leaves a member out)")
    combine: Literal["word", "span"] = Field(
        "word", description="word: label distributions averaged per word (ner, pos); span: "
                            "a weighted vote per span (ner)")

    @field_validator("weights")
    @classmethod
    def _usable_weights(cls, v: list[float]) -> list[float]:
        if any(w < 0 for w in v) or not any(w > 0 for w in v):
            raise ValueError(f"weights are non-negative and not all 0, got {v}")
        return v


class SelfTrainConfig(Settings):
    """Rounds of predict -> select -> retrain."""

    train: AnyTrainSettings = Field(default_factory=TaggerSettings)
    rounds: int = Field(0, ge=0, description="self-training rounds after round 0; off by "
                        "default: no task's round has beaten the same steps without "
                        "pseudo-labels (benchmarks/RESULTS.md)")
    select: SelectConfig = Field(default_factory=SelectConfig)
    schedule: Optional[list[SelectConfig]] = None
    init: Literal["base", "previous"] = Field(
        "base", description="each round starts from the base encoder, or from the previous "
                            "round's model")
    keep_silver: bool = Field(True, description="train later rounds on source + silver + pseudo")
    round_epochs: Optional[int] = Field(None, ge=1, description="epochs of rounds >= 1")
    teacher: Literal["self", "translate-test", "ensemble"] = Field(
        "self", description="who pseudo-labels each round: the previous round's model, "
                            "translate-test through the source model, or their ensemble "
                            "(ner, pos)")
    translate_test: Optional[TranslateTestTeacher] = Field(
        None, description="the translate-test teacher's model and translation")
    ensemble: EnsembleTeacher = Field(default_factory=EnsembleTeacher,
                                      description="the ensemble teacher's weights and way "
                                                  "to combine")

    @model_validator(mode="after")
    def _teacher_needs(self) -> "SelfTrainConfig":
        if self.teacher != "self" and self.translate_test is None:
            raise ValueError(f"teacher {self.teacher} needs translate_test: {{source_model, "
                             f"src_lang, ...}} (the source model and the translation)")
        if self.teacher == "ensemble" and self.train.task not in ("ner", "pos", "relation"):
            raise ValueError(f"teacher ensemble combines taggers (ner, pos) and relation "
                             f"classifiers, not {self.train.task}")
        if self.ensemble != EnsembleTeacher() and self.teacher != "ensemble":
            raise ValueError(f"ensemble settings are given but the teacher is "
                             f"{self.teacher}; set teacher: ensemble (or drop ensemble:)")
        if self.ensemble.combine == "span" and self.train.task != "ner":
            raise ValueError(f"ensemble.combine span votes on spans (ner); this run trains "
                             f"{self.train.task}: use combine: word")
        return self

    def select_for(self, round_no: int) -> SelectConfig:
        if self.schedule:
            return self.schedule[min(round_no, len(self.schedule)) - 1]
        return self.select
