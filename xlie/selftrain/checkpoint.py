"""Checkpoints and saved taggers of a training directory.

Layout of ``OUT/``::

    settings.json        the training settings (and data digest); a checkpoint resumes only under the same settings
    checkpoint/          accelerate state (model, optimizer, scheduler, RNG) + trainer_state.json
    model/               the tagger: a plain transformers token-classification directory
    metrics.json         losses, dev and test scores, data report; ``finished: true`` at the end

Both directories are written beside their final name and renamed into place, so an
interruption leaves the previous checkpoint whole.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from ..fileio import apply_umask

STATE_FILE = "trainer_state.json"


@dataclass
class TrainerState:
    """Where training stands: enough to resume it exactly."""

    epoch: int = 0
    batches_done: int = 0  # batches of ``epoch`` already trained on (per process)
    step: int = 0          # optimizer steps so far
    best: Optional[float] = None
    bad_epochs: int = 0
    losses: list[float] = field(default_factory=list)
    dev: list[dict] = field(default_factory=list)
    stopped: Optional[str] = None


def _replace_dir(tmp: Path, final: Path) -> None:
    apply_umask(tmp)   # safetensors and accelerate write 0600 whatever the umask
    old = final.with_name(final.name + ".old")
    if final.exists():
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old)


def save_checkpoint(accelerator, out: Path, state: TrainerState) -> None:
    """Save the accelerate state and the trainer state under ``out/checkpoint``."""
    final = out / "checkpoint"
    tmp = out / "checkpoint.tmp"
    if accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    if accelerator.is_main_process:
        (tmp / STATE_FILE).write_text(json.dumps(asdict(state)), encoding="utf-8")
        _replace_dir(tmp, final)
    accelerator.wait_for_everyone()


def load_checkpoint(accelerator, out: Path) -> Optional[TrainerState]:
    """Restore the state of ``out/checkpoint`` if there is one."""
    ckpt = out / "checkpoint"
    if not (ckpt / STATE_FILE).exists():
        return None
    accelerator.load_state(str(ckpt))
    return TrainerState(**json.loads((ckpt / STATE_FILE).read_text(encoding="utf-8")))


def save_tagger(accelerator, model, tokenizer, out: Path, name: str = "model") -> Path:
    """Save the unwrapped model and the tokenizer as a plain transformers directory."""
    final = out / name
    accelerator.wait_for_everyone()
    state_dict = accelerator.get_state_dict(model)
    if accelerator.is_main_process:
        tmp = out / f"{name}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        accelerator.unwrap_model(model).save_pretrained(tmp, state_dict=state_dict,
                                                        safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        _replace_dir(tmp, final)
    accelerator.wait_for_everyone()
    return final
