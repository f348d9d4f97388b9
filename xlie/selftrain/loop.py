"""The training loop, on ``accelerate``: one code path for CPU, one GPU and many processes.

Every epoch has its own example order, drawn from ``seed + epoch`` (and, with a silver ratio,
its own sample of silver examples), so a run resumed from a checkpoint sees the same batches
it would have seen: the checkpoint records the epoch and the batches done, and the skipped
batches are passed over with ``skip_first_batches``. Dev scoring runs on every process over
the whole dev set, so that all processes take the same early-stopping decision.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Protocol

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from .. import tracking
from .checkpoint import TrainerState, save_checkpoint
from .config import TrainSettings
from .encode import IGNORE
from .health import collapsed
from .steplog import StepLog

StepHook = Callable[[int, float], None]


class LoopTask(Protocol):
    """What the loop needs of a model kind (tagger, parser): how to batch its features,
    the loss of a batch, a dev score, and how to save the model kept."""

    metric: str      # the dev score's name in progress lines
    unit: str        # what a training example is: "windows", "sentences"

    def collate(self, features: list[dict]) -> dict: ...

    def loss(self, model, batch: dict) -> torch.Tensor: ...

    def evaluate(self, model, dev: list) -> tuple[dict, float]:
        """Scores on dev (fractions; ``top_label``: :func:`.health.label_shares`) and the
        one that chooses the model."""

    def save(self, accelerator, model, out: Path) -> None: ...


@dataclass
class LoopData:
    source: list[dict]   # features of gold source examples (each with its ``input_ids``)
    silver: list[dict]   # features of silver and pseudo-labeled examples
    dev: list            # gold Sentences for early stopping (may be empty)


def epoch_features(data: LoopData, config: TrainSettings, epoch: int) -> list[dict]:
    """This epoch's features in this epoch's order."""
    rng = random.Random(config.seed * 1000 + epoch)
    silver = data.silver
    if config.silver_ratio is not None and silver:
        k = max(1, round(config.silver_ratio * len(data.source)))
        silver = rng.sample(silver, k) if k <= len(silver) else rng.choices(silver, k=k)
    feats = data.source + silver
    rng.shuffle(feats)
    if not config.group_by_length:
        return feats
    # sort within chunks of 32 batches, cut into batches, then shuffle the batches
    size, chunk = config.batch_size, config.batch_size * 32
    batches = []
    for k in range(0, len(feats), chunk):
        part = sorted(feats[k:k + chunk], key=lambda f: len(f["input_ids"]))
        batches += [part[i:i + size] for i in range(0, len(part), size)]
    rng.shuffle(batches)
    return [f for b in batches for f in b]


def weighted_loss(logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over labeled words, each scaled by its example's weight.
    logits (B, T, C); labels (B, T); weight (B,)."""
    ce = F.cross_entropy(logits.float().flatten(0, 1), labels.flatten(), reduction="none",
                         ignore_index=IGNORE).view_as(labels)            # (B, T)
    active = (labels != IGNORE).float()                                   # (B, T)
    return (ce * active * weight[:, None]).sum() / active.sum().clamp(min=1.0)


@dataclass
class Plan:
    """How long a run is: its step budget, in epochs and steps, and its dev evaluations."""

    steps_per_epoch: int
    max_epochs: int
    total_steps: int
    eval_every: int

    @property
    def min_stop_step(self) -> int:
        """No early stop before a quarter of the budget: a young tagger goes through a
        phase of labeling everything ``O`` (dev F1 0) that says nothing about convergence."""
        return self.total_steps // 4

    @classmethod
    def make(cls, batches_per_epoch: int, config: TrainSettings) -> "Plan":
        spe = max(1, batches_per_epoch // config.grad_accum)
        epochs = config.epochs or math.ceil(config.max_steps / spe)
        total = spe * epochs
        if config.max_steps:
            total = min(total, config.max_steps)
        return cls(spe, epochs, total, config.eval_every or min(spe, MAX_EVAL_EVERY))


MAX_EVAL_EVERY = 500


def run_loop(accelerator, model, task: LoopTask, data: LoopData, config: TrainSettings,
             out: Path, state: TrainerState, optimizer, make_scheduler,
             on_step: Optional[StepHook] = None) -> TrainerState:
    """Train from ``state`` to the end: the step budget (``max_steps``), the epochs, or
    early stopping on the dev set, evaluated each epoch and every ``eval_every`` steps.
    Checkpoints go to ``out/checkpoint``; ``task.save`` keeps the best (or last) model."""
    # the loader's own generator: starting to iterate must not draw from the global RNG,
    # or a resumed run's dropout masks would differ from an uninterrupted one's
    loader = lambda e: DataLoader(epoch_features(data, config, e), batch_size=config.batch_size,
                                  shuffle=False, collate_fn=task.collate,
                                  generator=torch.Generator().manual_seed(config.seed + e))
    dl = accelerator.prepare(loader(state.epoch))
    plan = Plan.make(len(dl), config)
    scheduler = accelerator.prepare(make_scheduler(plan.total_steps))
    if state.step:  # the scheduler state came back with the checkpoint
        _restore_scheduler(accelerator, out, scheduler)
    log = StepLog(plan.total_steps, state.step, plan.max_epochs, config.log_every,
                  accelerator.is_main_process, task.metric)
    log.message(f"train: {len(data.source)} source + {len(data.silver)} silver/pseudo "
                f"{task.unit}; {plan.steps_per_epoch} steps an epoch, at most {plan.total_steps} steps "
                f"({plan.max_epochs} epochs); dev: "
                + (f"{len(data.dev)} sentences, every {plan.eval_every} steps"
                   if data.dev else "none (the last step's model is kept)"))
    tracking.start(accelerator, out.name, config.model_dump(mode="json"))
    try:
        while state.epoch < plan.max_epochs and state.stopped is None:
            if dl is None:
                dl = accelerator.prepare(loader(state.epoch))
            model.train()
            batches = (accelerator.skip_first_batches(dl, state.batches_done)
                       if state.batches_done else dl)
            for batch in batches:
                with accelerator.accumulate(model):
                    loss = task.loss(model, batch)
                    accelerator.backward(loss)
                    if accelerator.sync_gradients:
                        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad()
                state.batches_done += 1
                if not accelerator.sync_gradients:
                    continue
                state.step += 1
                state.losses.append(round(accelerator.reduce(loss.detach(), "mean").item(), 5))
                log.step(state.step, state.epoch, state.losses[-1])
                tracking.log_step(accelerator, state.step, state.losses[-1],
                                  scheduler.get_last_lr())
                if state.step >= plan.total_steps:
                    state.stopped = "max_steps"
                    break
                if data.dev and state.step % plan.eval_every == 0 \
                        and state.batches_done < len(dl):   # mid-epoch; epoch ends below
                    _evaluate(accelerator, model, task, data, config, out, state, log,
                              plan.min_stop_step)
                    save_checkpoint(accelerator, out, state)
                    model.train()
                    if state.stopped:
                        break
                elif state.step % config.checkpoint_every == 0:
                    save_checkpoint(accelerator, out, state)
                if on_step is not None:
                    on_step(state.step, state.losses[-1])
            dl = None
            if state.stopped is None:
                state.epoch += 1
                state.batches_done = 0
            if data.dev and (not state.dev or state.dev[-1]["step"] != state.step):
                _evaluate(accelerator, model, task, data, config, out, state, log,
                          plan.min_stop_step)
            save_checkpoint(accelerator, out, state)
        if state.stopped is None:
            state.stopped = "epochs"
        if not data.dev:  # without a dev set the model kept is the last one
            task.save(accelerator, model, out)
    finally:
        log.close()
        tracking.finish(accelerator)
    return state


def _evaluate(accelerator, model, task: LoopTask, data, config, out, state, log,
              min_stop_step: int) -> None:
    """Score on dev, keep the best model, decide on early stopping."""
    scores, score = task.evaluate(model, data.dev)
    top = scores.pop("top_label", {})
    state.dev.append({"epoch": state.epoch, "step": state.step, **scores,
                      "collapsed": collapsed(top), "top_label": top})
    tracking.log_dev(accelerator, state.step, scores)
    if state.best is None or score > state.best:
        state.best, state.bad_epochs = score, 0
        task.save(accelerator, model, out)
    else:
        state.bad_epochs += 1
        if (config.patience and state.bad_epochs >= config.patience
                and state.step >= min_stop_step and state.stopped is None):
            state.stopped = "early_stopping"
    # state.epoch counts finished epochs; mid-epoch (or stopped by the budget) it is one behind
    epoch_shown = state.epoch + (1 if state.batches_done else 0)
    log.dev(state.step, epoch_shown, state.losses[-1] if state.losses else None,
            100 * score, 100 * state.best, collapsed(top))   # scores are fractions


def _restore_scheduler(accelerator, out: Path, scheduler) -> None:
    """The scheduler is created after the first dataloader; reload its saved state."""
    path = out / "checkpoint" / "scheduler.bin"
    if path.exists():
        inner = scheduler.scheduler
        inner.load_state_dict(torch.load(path, weights_only=False))
        # a new scheduler set the optimizer to the first step's rate: put back the saved one
        for group, lr in zip(inner.optimizer.param_groups, inner.get_last_lr()):
            group["lr"] = lr
