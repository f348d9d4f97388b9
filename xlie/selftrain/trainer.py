"""Train a tagger on source gold plus silver data: :func:`train`.

The tagger is a ``AutoModelForTokenClassification`` on any encoder; its directory
(``OUT/model``) loads with plain ``transformers``, and its config carries the label map
(``id2label``/``label2id``), the task (``xlie_task``) and the window length
(``xlie_max_length``). A finished directory is not trained again; an interrupted one
resumes from its last checkpoint.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import torch

from ..errors import XlieError
from ..precision import resolve_mixed_precision
from ..fileio import atomic_write
from ..models import load_pretrained, load_tokenizer
from .checkpoint import TrainerState, load_checkpoint, save_tagger
from .config import TrainConfig
from .data import DataReport, ExampleBuilder, load_examples, load_label_map, read_sentences
from .health import collapse_report, label_shares
from .holdout import HeldOut, hold_out
from .encode import collate, training_features
from .loop import LoopData, StepHook, run_loop, weighted_loss
from .metrics import evaluate, main_score
from .predict import TASK_KEY, WINDOW_KEY, Tagger

log = logging.getLogger(__name__)
Paths = Sequence[str | Path]


@dataclass
class TrainResult:
    model_dir: Path
    metrics: dict


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


def use_cpu() -> bool:
    """No CUDA: run on CPU, and as gloo processes when launched several times (torchrun or
    ``accelerate launch --multi_gpu``), since accelerate joins CPU processes only when told."""
    return not torch.cuda.is_available()


def _load_model(config: TrainConfig, labels, init_model: Optional[str | Path]):
    from transformers import AutoModelForTokenClassification
    kw = dict(num_labels=len(labels.labels), id2label=labels.id2label, label2id=labels.label2id)
    model = load_pretrained(AutoModelForTokenClassification, init_model or config.model, **kw)
    if init_model is not None and model.config.label2id != labels.label2id:
        raise XlieError(f"the tagger {init_model} has other labels than the training data",
                        "start from the base encoder instead (init: base)")
    setattr(model.config, TASK_KEY, config.task)
    return model


def freeze(model, config: TrainConfig) -> None:
    """Fix the input embeddings and/or the lowest ``freeze_layers`` layers (parameter names
    with ``.layer.N.`` or ``.layers.N.``, as in BERT, XLM-R and most encoders)."""
    if config.freeze_embeddings or config.freeze_layers:
        model.get_input_embeddings().weight.requires_grad_(False)
    if not config.freeze_layers:
        return
    pattern = re.compile(r"(?:^|\.)(?:encoder\.)?layers?\.(\d+)\.")
    found = False
    for name, p in model.named_parameters():
        m = pattern.search(name)
        if m:
            found = True
            if int(m.group(1)) < config.freeze_layers:
                p.requires_grad_(False)
        elif ".embeddings." in name or name.startswith("embeddings."):
            p.requires_grad_(False)
    if not found:
        raise XlieError(f"cannot find numbered layers in {config.model} to freeze",
                        "set train.freeze_layers=0")


def finished_run(out: Path, settings: dict, resume: bool) -> Optional[dict]:
    """The metrics of a run finished in ``out`` under the same settings (None: train)."""
    path = out / "metrics.json"
    if not (resume and path.exists()):
        return None
    done = json.loads(path.read_text(encoding="utf-8"))
    if not done.get("finished"):
        return None
    if done.get("config") != settings:
        raise XlieError(f"{out} holds a model trained with other settings or data",
                        "train into another directory, or start over (--no-resume)")
    return done


def make_accelerator(config: TrainConfig, out: Optional[Path] = None):
    """One accelerator a run (CPU, one GPU or several processes), its seed set."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from ..tracking import accelerator_kwargs
    accelerator = Accelerator(cpu=use_cpu(),
                              mixed_precision=resolve_mixed_precision(config.mixed_precision),
                              gradient_accumulation_steps=config.grad_accum,
                              **accelerator_kwargs(config.log_with, out))
    set_seed(config.seed)
    return accelerator


def scheduler_maker(accelerator, optimizer, config: TrainConfig):
    """The loop's ``make_scheduler``: linear warm-up and decay over the run's steps."""
    from transformers import get_linear_schedule_with_warmup

    def make(steps: int):
        # accelerate steps a prepared scheduler once per process per optimizer step
        steps *= accelerator.num_processes
        return get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * steps), steps)
    return make


def start_state(accelerator, out: Path, settings: dict, resume: bool) -> TrainerState:
    """Where a run starts: its last checkpoint when resuming under the same settings."""
    _check_settings(accelerator, out / "settings.json", settings, resume)
    return (load_checkpoint(accelerator, out) if resume else None) or TrainerState()


def _check_settings(accelerator, path: Path, settings: dict, resume: bool) -> None:
    """A checkpoint resumes only under the settings it was made with."""
    if resume and path.exists() and json.loads(path.read_text(encoding="utf-8")) != settings:
        raise XlieError(f"{path.parent} holds a checkpoint made with other settings or data",
                        "train into another directory, or start over (--no-resume)")
    if accelerator.is_main_process:
        with atomic_write(path) as f:
            json.dump(settings, f, indent=1)
    accelerator.wait_for_everyone()


def param_groups(model, config: TrainConfig, body: Optional[str] = None) -> list[dict]:
    """Trainable parameters: the encoder (names under ``body``, by default
    ``base_model_prefix``) at ``lr``, the new head (the rest) at ``head_lr``; no weight decay
    on biases and norms."""
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    body = body or model.base_model_prefix + "."
    groups = []
    for is_head in (False, True):
        lr = (config.head_lr or config.lr) if is_head else config.lr
        params = [(n, p) for n, p in model.named_parameters()
                  if p.requires_grad and (not n.startswith(body)) == is_head]
        groups += [{"params": [p for n, p in params if not n.endswith(no_decay)], "lr": lr,
                    "weight_decay": config.weight_decay},
                   {"params": [p for n, p in params if n.endswith(no_decay)], "lr": lr,
                    "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def _hold_out(config: TrainConfig, source: Paths, silver: Paths) -> Optional[HeldOut]:
    """The dev slice when none is given: from the silver data, else from the source."""
    if silver:
        return hold_out(list(silver), "silver", config.dev_fraction, config.seed)
    return hold_out(list(source), "source", config.dev_fraction, config.seed) if source else None


def model_choice(state: TrainerState, dev_info: dict, task: str, what: str = "tagger") -> dict:
    """Which step's model was kept, and why (for the log and ``metrics.json``)."""
    why = {"max_steps": "the step budget (max_steps) was spent",
           "epochs": "the epochs ran out",
           "early_stopping": "the dev score stopped rising (patience)"}.get(state.stopped or "",
                                                                          str(state.stopped))
    if not state.dev:
        return {"step": state.step, "dev_score": None, "stopped": state.stopped,
                "text": f"kept the last {what} (step {state.step}, no dev set); stopped: {why}"}
    best = max(state.dev, key=lambda d: main_score(task, d))
    score = main_score(task, best)
    where = (f"{dev_info['sentences']} held-out {dev_info['from']} sentences"
             if dev_info.get("kind") == "held-out" else f"{dev_info['sentences']} dev sentences")
    return {"step": best["step"], "epoch": best["epoch"], "dev_score": score,
            "evaluations": len(state.dev), "stopped": state.stopped,
            "text": f"kept the {what} of step {best['step']} of {state.step} (dev score "
                    f"{100 * score:.2f}% on {where}, best of {len(state.dev)} evaluations); "
                    f"stopped: {why}"}


def _collapse(accelerator, out: Path, state: TrainerState, examples,
              config: TrainConfig) -> dict:
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


def train(source: Paths, out: str | Path, config: TrainConfig, silver: Paths = (),
          dev: Optional[str | Path] = None, test: Optional[str | Path] = None,
          init_model: Optional[str | Path] = None, resume: bool = True,
          on_step: Optional[StepHook] = None, pseudo: Paths = ()) -> TrainResult:
    """Train (or resume, or return the finished) tagger in ``out``; returns its metrics.

    ``silver`` spans are filtered by their projection ``score``; ``pseudo`` (a tagger's own
    selected labels) are not. Both are mixed with the source by ``silver_weight`` and
    ``silver_ratio``."""
    if config.task == "relation":  # a classifier of marked pairs, with its own loop
        from .relation import train_relation
        model_dir, metrics = train_relation(source, out, config, silver, dev, test)
        return TrainResult(model_dir, metrics)
    out = Path(out)
    metrics_path = out / "metrics.json"
    settings = json.loads(config.model_dump_json())
    done = finished_run(out, settings, resume)
    if done is not None:
        return TrainResult(out / "model", done)
    if not source and not silver and not pseudo:
        raise XlieError("nothing to train on", "pass source and/or silver corpora")
    t0 = time.time()
    accelerator = make_accelerator(config, out)
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
        raise XlieError("no usable training sentence in the inputs",
                        f"what became of them: {json.dumps(report.to_json())}")
    tokenizer = load_tokenizer(config.model)
    model = _load_model(config, labels, init_model)
    tagger = Tagger(model, tokenizer, labels, config.max_length, config.window_context,
                    config.batch_predict)
    setattr(model.config, WINDOW_KEY, tagger.encoder.max_length)
    dev_sents = ([s for _, s in read_sentences(dev)] if dev else
                 held.sentences if held else [])
    dev_info = ({"kind": "given", "path": str(dev), "sentences": len(dev_sents)} if dev else
                held.to_json() if held else {"kind": "none"})
    data = LoopData(_features(src_ex, tagger.encoder, labels.label2id),
                    _features(silver_ex, tagger.encoder, labels.label2id), dev_sents)

    freeze(model, config)
    optimizer = torch.optim.AdamW(param_groups(model, config), lr=config.lr)
    model, optimizer = accelerator.prepare(model, optimizer)
    state = start_state(accelerator, out, settings, resume)
    resumed_at = state.step
    state = run_loop(accelerator, model, TaggerTask(tagger, accelerator, config.task), data,
                     config, out, state, optimizer, scheduler_maker(accelerator, optimizer, config),
                     on_step)

    seen = {labels.selection_label(x) for ex in silver_ex for x in ex.labels if x is not None}
    if silver_ex:  # a label the silver data never shows is learnt from the source alone
        report.counts.setdefault("label_sets", {})["missing_in_silver"] = sorted(
            set(labels.types) - seen)
    metrics = {"finished": True, "labels": labels.labels, "task": config.task,
               "config": settings, "data": report.to_json(),
               "features": {"source": len(data.source), "silver": len(data.silver)},
               "processes": accelerator.num_processes, "resumed_at_step": resumed_at,
               **{k: v for k, v in asdict(state).items() if k != "batches_done"},
               "dev_set": dev_info, "model_choice": model_choice(state, dev_info, config.task),
               "seconds": round(time.time() - t0, 1)}
    metrics["collapse"] = _collapse(accelerator, out, state, src_ex + silver_ex, config)
    if accelerator.is_main_process:
        print(f"train: {metrics['model_choice']['text']}", file=sys.stderr, flush=True)
        if metrics["collapse"]["collapsed"]:
            log.warning(metrics["collapse"]["warning"])
    if test:
        best = Tagger.load(out / "model", device=str(accelerator.device))
        metrics["test"] = evaluate(best, [s for _, s in read_sentences(test)])
    if accelerator.is_main_process:
        with atomic_write(metrics_path) as f:
            json.dump(metrics, f, indent=1)
    accelerator.wait_for_everyone()
    return TrainResult(out / "model", metrics)
