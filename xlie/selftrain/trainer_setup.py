"""What every task's training shares besides the loop: the accelerator, the optimizer's
parameter groups and schedule, freezing, reusing a finished run and resuming a checkpoint
only under the same settings, and the account of which step's model was kept."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

import torch

from ..errors import XlieError
from ..fileio import atomic_write
from ..precision import resolve_mixed_precision
from ..scoring import main_score
from .checkpoint import TrainerState, load_checkpoint
from .config import TrainSettings


def use_cpu() -> bool:
    """No CUDA: run on CPU, and as gloo processes when launched several times (torchrun or
    ``accelerate launch --multi_gpu``), since accelerate joins CPU processes only when told."""
    return not torch.cuda.is_available()


def freeze(model, config: TrainSettings) -> None:
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


class OtherSettingsError(XlieError):
    """An output directory holds a run made with other settings or data."""


def same_settings(saved: Optional[dict], current: dict) -> bool:
    """True when a run saved with ``saved`` is the run ``current`` asks for: the same values,
    where a setting that xlie added after the run was saved counts as the same when it is at
    its default (the run was made as the default makes it), so an upgrade does not refuse
    every finished run."""
    if saved is None:
        return False
    new = set(current) - set(saved)
    fields = TrainSettings.model_fields
    if set(saved) - set(current) or any(k not in fields for k in new):
        return False
    defaults = {k: json.loads(json.dumps(fields[k].get_default(call_default_factory=True),
                                         default=str)) for k in new}
    return all(current[k] == defaults[k] for k in new) and \
        all(saved[k] == current[k] for k in saved)


def finished_run(out: Path, settings: dict, resume: bool) -> Optional[dict]:
    """The metrics of a run finished in ``out`` under the same settings (None: train)."""
    path = out / "metrics.json"
    if not (resume and path.exists()):
        return None
    done = json.loads(path.read_text(encoding="utf-8"))
    if not done.get("finished"):
        return None
    if not same_settings(done.get("config"), settings):
        raise OtherSettingsError(f"{out} holds a model trained with other settings or data",
                        "train into another directory, or start over (--no-resume)")
    return done


def make_accelerator(config: TrainSettings, out: Optional[Path] = None):
    """One accelerator a run (CPU, one GPU or several processes), its seed set; with
    ``log_with``, the trackers it logs to (logs under ``out``)."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from ..tracking import accelerator_kwargs
    accelerator = Accelerator(cpu=use_cpu(),
                              mixed_precision=resolve_mixed_precision(config.mixed_precision),
                              gradient_accumulation_steps=config.grad_accum,
                              **accelerator_kwargs(config.log_with, out))
    set_seed(config.seed)
    return accelerator


def scheduler_maker(accelerator, optimizer, config: TrainSettings):
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
    if resume and path.exists() and not same_settings(
            json.loads(path.read_text(encoding="utf-8")), settings):
        raise OtherSettingsError(f"{path.parent} holds a checkpoint made with other settings or data",
                        "train into another directory, or start over (--no-resume)")
    if accelerator.is_main_process:
        with atomic_write(path) as f:
            json.dump(settings, f, indent=1)
    accelerator.wait_for_everyone()


def param_groups(model, config: TrainSettings, body: Optional[str] = None) -> list[dict]:
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
