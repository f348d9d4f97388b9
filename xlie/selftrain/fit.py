"""The one trainer every task goes through: :func:`fit`.

A task builds its model, features and :class:`.loop.LoopTask` (``prepare``) and says what its
metrics add at the end (``finish``: the collapse check, test scores); everything else is
here, the same for taggers, the parser and the relation classifier: reusing a finished run,
the accelerator (CPU, GPU, several processes, mixed precision), the optimizer with its two
learning rates, checkpoints and resume, the shared loop (step budget, warm-up, patience,
progress lines), the model choice and ``metrics.json`` with the effective settings.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch

from ..fileio import atomic_write
from .checkpoint import TrainerState
from .config import TrainSettings
from .loop import LoopData, LoopTask, StepHook, run_loop
from .trainer_setup import (finished_run, make_accelerator, model_choice, param_groups,
                            scheduler_maker, start_state)

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """What a task hands the trainer once its data and model are built."""

    model: torch.nn.Module    # the module the optimizer trains
    task: LoopTask
    data: LoopData
    dev_info: dict            # where the dev set came from (metrics ``dev_set``)
    body: Optional[str] = None    # name prefix of the encoder's parameters (the rest: head)
    report: dict = field(default_factory=dict)    # what became of the data (``data``)
    extra: dict = field(default_factory=dict)     # the task's own metrics keys


Finish = Callable[[object, TrainerState, Prepared], dict]


def fit(config: TrainSettings, out: str | Path, run_settings: dict, resume: bool,
        prepare: Callable[[object], Prepared], finish: Finish, what: str,
        on_step: Optional[StepHook] = None) -> dict:
    """Train (or resume, or return the finished run) in ``out``; returns the metrics, also
    written to ``out/metrics.json``. ``run_settings`` decide whether a run in ``out`` may be
    reused or resumed (the settings, plus whatever else the task's output depends on)."""
    out = Path(out)
    done = finished_run(out, run_settings, resume)
    if done is not None:
        return done
    t0 = time.time()
    accelerator = make_accelerator(config, out)
    p = prepare(accelerator)
    optimizer = torch.optim.AdamW(param_groups(p.model, config, body=p.body), lr=config.lr)
    wrapped, optimizer = accelerator.prepare(p.model, optimizer)
    state = start_state(accelerator, out, run_settings, resume)
    resumed_at = state.step
    state = run_loop(accelerator, wrapped, p.task, p.data, config, out, state, optimizer,
                     scheduler_maker(accelerator, optimizer, config), on_step)
    metrics = {"finished": True, "task": config.task, "config": run_settings,
               "settings": config.effective(), "data": p.report, **p.extra,
               "features": {"source": len(p.data.source), "silver": len(p.data.silver)},
               "processes": accelerator.num_processes, "resumed_at_step": resumed_at,
               **{k: v for k, v in asdict(state).items() if k != "batches_done"},
               "loss_first": state.losses[:5], "loss_last": state.losses[-5:],
               "dev_set": p.dev_info,
               "model_choice": model_choice(state, p.dev_info, config.task, what)}
    metrics.update(finish(accelerator, state, p))
    metrics["seconds"] = round(time.time() - t0, 1)
    if accelerator.is_main_process:
        print(f"train: {metrics['model_choice']['text']}", file=sys.stderr, flush=True)
        if metrics.get("collapse", {}).get("collapsed"):
            log.warning(metrics["collapse"]["warning"])
        with atomic_write(out / "metrics.json") as f:
            json.dump(metrics, f, indent=1)
    accelerator.wait_for_everyone()
    return metrics
