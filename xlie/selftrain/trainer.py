"""Train a tagger (NER, POS) on source gold plus silver data: :func:`train`.

The tagger is a ``AutoModelForTokenClassification`` on any encoder; its directory
(``OUT/model``) loads with plain ``transformers``, and its config carries the label map
(``id2label``/``label2id``), the task (``xlie_task``) and the window length
(``xlie_max_length``). Training goes through :func:`.fit.fit`, as every task's does: a
finished directory is not trained again; an interrupted one resumes from its checkpoint.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import torch

from ..errors import XlieError
from ..fileio import atomic_write
from ..models import load_pretrained, load_tokenizer
from .checkpoint import TrainerState, save_tagger
from .config import TaggerSettings, TrainSettings
from .data import DataReport, ExampleBuilder, load_examples, load_label_map, read_all
from .encode import collate, training_features
from .fit import Prepared, fit
from .frozen import CachedTokenClassifier, cache_lower_layers
from .health import collapse_report, label_shares
from .holdout import HeldOut, hold_out
from .loop import LoopData, StepHook, weighted_loss
from .metrics import evaluate, main_score
from .predict import TASK_KEY, WINDOW_KEY, Tagger
from .trainer_setup import freeze, param_groups, use_cpu  # noqa: F401  (re-exported)

Paths = Sequence[str | Path]


@dataclass
class TrainResult:
    model_dir: Path
    metrics: dict

    def __iter__(self):   # model_dir, metrics = train_...(...)
        return iter((self.model_dir, self.metrics))


class TaggerTask:
    """The tagger's part of the training loop (:class:`.loop.LoopTask`)."""

    unit = "windows"

    def __init__(self, tagger: Tagger, accelerator, task: str):
        self.tagger, self.accelerator, self.task = tagger, accelerator, task
        self.metric = "accuracy" if task == "pos" else "F1"
        pad = tagger.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else 0

    def collate(self, features: list[dict]) -> dict:
        return collate(features, pad_id=self.pad_id)

    def loss(self, model, batch: dict) -> torch.Tensor:
        logits = model(input_ids=batch["input_ids"],
                       attention_mask=batch["attention_mask"]).logits      # (B, T, C)
        return weighted_loss(logits, batch["labels"], batch["weight"])

    def evaluate(self, model, dev: list) -> tuple[dict, float]:
        self.tagger.model = self.accelerator.unwrap_model(model)
        scores = evaluate(self.tagger, dev)
        return scores, main_score(self.task, scores)

    def save(self, accelerator, model, out: Path) -> None:
        save_tagger(accelerator, model, self.tagger.tokenizer, out)


def _load_model(config: TrainSettings, labels, init_model: Optional[str | Path]):
    from transformers import AutoModelForTokenClassification
    kw = dict(num_labels=len(labels.labels), id2label=labels.id2label, label2id=labels.label2id)
    model = load_pretrained(AutoModelForTokenClassification, init_model or config.model, **kw)
    if init_model is not None and model.config.label2id != labels.label2id:
        raise XlieError(f"the tagger {init_model} has other labels than the training data",
                        "start from the base encoder instead (init: base)")
    setattr(model.config, TASK_KEY, config.task)
    return model


def _hold_out(config: TrainSettings, source: Paths, silver: Paths) -> Optional[HeldOut]:
    """The dev slice when none is given: from the silver data, else from the source."""
    if silver:
        return hold_out(list(silver), "silver", config.dev_fraction, config.seed)
    return hold_out(list(source), "source", config.dev_fraction, config.seed) if source else None


def _collapse(accelerator, out: Path, state: TrainerState, examples,
              config: TrainSettings) -> dict:
    """Collapse check of the kept tagger: on the dev set, else on training sentences."""
    if state.dev:
        best = max(state.dev, key=lambda d: main_score(config.task, d))
        shares, on = best.get("top_label", {}), "dev"
    else:
        tagger = Tagger.load(out / "model", device=str(accelerator.device))
        sample = examples[:200]
        preds = tagger.predict_words([ex.words for ex in sample])
        shares, on = label_shares([ex.labels for ex in sample], [p.labels for p in preds]), \
            "training"
    train_labels = [x for ex in examples for x in ex.labels if x is not None]
    train_share = (sum(x == shares.get("label") for x in train_labels) / len(train_labels)
                   if train_labels and shares else None)
    return collapse_report(shares, on, state.losses, config, train_share)


def _features(examples, encoder, label2id) -> list[dict]:
    return [f for ex in examples
            for f in training_features(encoder, ex.words, ex.labels, label2id, ex.weight)]


def train_tagger(source: Paths, out: str | Path, config: TaggerSettings, silver: Paths = (),
                 dev: Optional[str | Path] = None, test: Optional[str | Path] = None,
                 init_model: Optional[str | Path] = None, resume: bool = True,
                 on_step: Optional[StepHook] = None, pseudo: Paths = (),
                 feature_cache: Optional[dict] = None) -> TrainResult:
    """Train (or resume, or return the finished) tagger in ``out``; returns its metrics.

    ``silver`` spans are filtered by their projection ``score``; ``pseudo`` (a tagger's own
    selected labels) are not. Both are mixed with the source by ``silver_weight`` and
    ``silver_ratio``. With ``freeze_layers`` N > 0 the states under layer N + 1 are computed
    once per window, without dropout (``frozen.py``), and kept in ``feature_cache`` (a dict
    that runs on the same encoder and N may share)."""
    out = Path(out)
    if not source and not silver and not pseudo:
        raise XlieError("nothing to train on", "pass source and/or silver corpora")
    examples: list = []

    def prepare(accelerator) -> Prepared:
        labels = load_label_map(config, list(source), list(silver) + list(pseudo))
        report = DataReport()
        builder = ExampleBuilder(labels, config, report)
        held = None if dev else _hold_out(config, source, silver)
        skip_src = held.keys if held and held.origin == "source" else frozenset()
        skip_silver = held.keys if held and held.origin == "silver" else frozenset()
        src_ex = load_examples(list(source), "source", builder, skip_src)
        pseudo_ex = load_examples(list(pseudo), "pseudo", builder)
        if held and held.origin == "silver":  # the text of a dev sentence is no training data
            dev_ids = held.ids
            pseudo_ex = [ex for ex in pseudo_ex if ex.id not in dev_ids]
        silver_ex = load_examples(list(silver), "silver", builder, skip_silver) + pseudo_ex
        if not src_ex and not silver_ex:
            read = report.to_json()
            raise XlieError("no usable training sentence in the inputs",
                            f"what became of them: {json.dumps(read)}" if read else
                            "the files hold no sentence: "
                            + ", ".join(str(p) for p in [*source, *silver, *pseudo]))
        tokenizer = load_tokenizer(config.model)
        model = _load_model(config, labels, init_model)
        tagger = Tagger(model, tokenizer, labels, config.max_length, config.window_context,
                        config.batch_predict)
        setattr(model.config, WINDOW_KEY, tagger.encoder.max_length)
        dev_sents = (read_all([dev]) if dev else
                     held.sentences if held else [])
        dev_info = ({"kind": "given", "path": str(dev), "sentences": len(dev_sents)} if dev else
                    held.to_json() if held else {"kind": "none"})
        data = LoopData(_features(src_ex, tagger.encoder, labels.label2id),
                        _features(silver_ex, tagger.encoder, labels.label2id), dev_sents)
        freeze(model, config)
        task = TaggerTask(tagger, accelerator, config.task)
        trained = cache_lower_layers(model, config.freeze_layers, task.pad_id, feature_cache)
        seen = {labels.selection_label(x) for ex in silver_ex for x in ex.labels if x is not None}
        if silver_ex:  # a label the silver data never shows is learnt from the source alone
            report.counts.setdefault("label_sets", {})["missing_in_silver"] = sorted(
                set(labels.types) - seen)
        examples[:] = src_ex + silver_ex
        cached = trained.split.k if isinstance(trained, CachedTokenClassifier) else 0
        return Prepared(trained, task, data, dev_info,
                        body=f"model.{model.base_model_prefix}." if cached else None,
                        report=report.to_json(),
                        extra={"labels": labels.labels, "cached_layers": cached})

    def finish(accelerator, state: TrainerState, p: Prepared) -> dict:
        done = {"collapse": _collapse(accelerator, out, state, examples, config)}
        if test:
            best = Tagger.load(out / "model", device=str(accelerator.device))
            done["test"] = evaluate(best, read_all([test]))
        return done

    metrics = fit(config, out, config.effective(), resume, prepare, finish, "tagger", on_step)
    if test and "test" not in metrics:   # a finished run reused for a test it was not scored on
        metrics["test"] = evaluate(Tagger.load(out / "model"), read_all([test]))
        with atomic_write(out / "metrics.json") as f:
            json.dump(metrics, f, indent=1)
    return TrainResult(out / "model", metrics)
