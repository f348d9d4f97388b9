"""Where a run writes: periodic checkpoints (a model directory plus accelerate's optimizer,
scheduler and RNG state), the best checkpoint by AER, the final model, and logs.

Layout of ``OUTPUT/``::

    config.json, model.safetensors, tokenizer files   the final model (AutoModel loads it)
    xlie-train.json          the config, the aligner settings (layer, threshold) and figures
    train-log.jsonl          running losses every ``log_every`` steps; evals.jsonl: AER
                             and/or held-out loss at each eval
    checkpoints/step-0000050/  model directory + state/ + trainer.json (written last); the
                             one saved at Ctrl-C has state/ alone; frozen tensors are not
                             in state/ (they are the loaded model's)
    best/                    the model directory with the lowest AER (with --eval-gold) or,
                             without, the lowest loss on the held-out pairs
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from ...fileio import apply_umask, make_temp_dir
from ...models.builtin import align_defaults, known_defaults
from ...models.resolve import resolve_model
from .config import AlignTrainConfig

RECORD = "xlie-train.json"


TIED_NAMES = ("decoder.weight", "decoder.bias", "word_embeddings.weight", "lm_head.bias",
              "predictions.bias")   # an MLM head tied to the input embeddings, BERT or XLM-R


class _TiedHeadNotice(logging.Filter):
    """accelerate's ``save_state`` warns that it left out one of the MLM decoder and the input
    embedding matrix, which are one tensor; the model ties them again when built, so resuming
    restores it (tested). Any other shared tensor it drops is still reported."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "Removed shared tensor {" not in text:
            return True
        names = text[text.index("{") + 1:text.index("}")].replace("'", "").split(", ")
        return not all(n.endswith(TIED_NAMES) for n in names)


logging.getLogger("accelerate.utils.other").addFilter(_TiedHeadNotice())


def align_settings(cfg: AlignTrainConfig, model_config) -> tuple[int, float]:
    """Layer and threshold SO/CO (and the eval) use: the config's, else what a previous run
    recorded in the model directory, else the model's known defaults, else the fallback."""
    n = model_config.num_hidden_layers
    known = known_defaults(str(cfg.model))
    defaults = known if known is not None else align_defaults(resolve_model(cfg.model), n)
    layer = cfg.layer if cfg.layer is not None else defaults.layer
    return min(layer, n), cfg.effective_threshold(defaults.softmax_threshold)


class CheckpointManager:
    def __init__(self, out: Path, accelerator, tokenizer, cfg: AlignTrainConfig, align: dict):
        self.out, self.acc, self.tokenizer, self.cfg, self.align = out, accelerator, tokenizer, cfg, align
        self.ckpt_root = out / "checkpoints"
        self.best_dir = out / "best"
        self.evals: list[dict] = []
        if accelerator.is_main_process:
            out.mkdir(parents=True, exist_ok=True)
        accelerator.wait_for_everyone()

    # ---- writing ------------------------------------------------------------------------
    def _append(self, name: str, record: dict) -> None:
        if self.acc.is_main_process:
            with open(self.out / name, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")

    def log(self, record: dict) -> None:
        self._append("train-log.jsonl", record)

    def _save_model(self, model, directory: Path, extra: dict, align: dict | None = None) -> None:
        """Main process only: the MaskedLM model, the tokenizer and the run record, with the
        aligner settings calibrated for this model where there are some."""
        mlm = self.acc.unwrap_model(model).mlm
        mlm.save_pretrained(directory, safe_serialization=True)
        self.tokenizer.save_pretrained(directory)
        record = {"config": self.cfg.model_dump(),
                  "align": {**self.align, **(align or self.uncalibrated())}, **extra}
        (directory / RECORD).write_text(json.dumps(record, indent=2))
        apply_umask(directory)   # safetensors writes 0600 whatever the umask

    def uncalibrated(self) -> dict:
        """The settings a saved model gets when no gold chose them: a fine-tuned encoder
        puts more mass on its links, so the training threshold is scaled down and the band
        widened (on encs dev every calibrated run chose 1/4 to 1/2 of it and the band 32).
        ``calibrate: false`` keeps the model's own settings."""
        if not self.cfg.calibrate:
            return {}
        out = {"threshold": self.align["threshold"] * self.cfg.saved_threshold_scale}
        if self.cfg.saved_band is not None:
            out["band"] = self.cfg.saved_band
        return out

    def save_checkpoint(self, model, step: int, epoch: int, in_epoch: int,
                        model_dir: bool = True) -> Path:
        """``model_dir``: also a model directory that ``xlie align --model`` loads (periodic
        checkpoints); without it, only the state to resume from (the one saved at Ctrl-C)."""
        final = self.ckpt_root / f"step-{step:07d}"
        tmp = Path(str(final) + ".partial")
        if self.acc.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            if model_dir:
                self._save_model(model, tmp, {"step": step})
        self.acc.wait_for_everyone()
        self.acc.save_state(str(tmp / "state"))
        self.acc.wait_for_everyone()
        if self.acc.is_main_process:
            (tmp / "trainer.json").write_text(json.dumps(
                {"step": step, "epoch": epoch, "in_epoch": in_epoch}))
            apply_umask(tmp)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
            for old in self._checkpoints()[:-self.cfg.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        self.acc.wait_for_everyone()
        return final

    def record_eval(self, model, step: int, result: dict, align: dict | None = None,
                    key: str = "aer") -> dict:
        """Main process: log the figures (and the ``align`` settings calibrated for this
        model); keep the model as ``best/`` when its ``key`` figure is the lowest. Returns the
        entry, with ``best`` true when it was kept."""
        entry = {"step": step, **{k: round(v, 5) for k, v in result.items()}, **(align or {})}
        earlier = [e[key] for e in self.evals if key in e]
        better = key in entry and (not earlier or entry[key] < min(earlier))
        self.evals.append(entry)
        self._append("evals.jsonl", entry)
        if better:
            tmp = make_temp_dir(".best.", self.out)
            self._save_model(model, tmp, {"step": step, "eval": entry}, align)
            shutil.rmtree(self.best_dir, ignore_errors=True)
            os.replace(tmp, self.best_dir)
        return {**entry, "best": better}

    def has_checkpoint(self, step: int) -> bool:
        return (self.ckpt_root / f"step-{step:07d}" / "trainer.json").exists()

    def save_final(self, model, step: int, extra: dict) -> None:
        """The final model, with the settings its own eval (at this step) calibrated."""
        last = self.evals[-1] if self.evals and self.evals[-1]["step"] == step else {}
        align = {k: last[k] for k in ("threshold", "band") if k in last}
        if self.acc.is_main_process:
            self._save_model(model, self.out, {"step": step, "evals": self.evals, **extra,
                                               "best": str(self.best_dir) if self.evals else None},
                             align)
        self.acc.wait_for_everyone()

    # ---- reading ------------------------------------------------------------------------
    def _checkpoints(self) -> list[Path]:
        if not self.ckpt_root.is_dir():
            return []
        return sorted(p for p in self.ckpt_root.glob("step-*")
                      if p.is_dir() and (p / "trainer.json").exists())

    def last_step(self) -> int:
        found = self._checkpoints()
        return int(found[-1].name.split("-")[1]) if found else 0

    def resume(self) -> tuple[int, int, int]:
        """Load the last complete checkpoint; (step, epoch, batches done in that epoch)."""
        found = self._checkpoints()
        if not found:
            return 0, 0, 0
        last = found[-1]
        # strict=False: frozen tensors are left out of checkpoints (trainer._drop_frozen)
        self.acc.load_state(str(last / "state"), strict=False)
        state = json.loads((last / "trainer.json").read_text())
        evals = self.out / "evals.jsonl"
        if evals.exists():
            self.evals = [json.loads(x) for x in evals.read_text().splitlines() if x.strip()]
            self.evals = [e for e in self.evals if e["step"] <= state["step"]]
        return state["step"], state["epoch"], state["in_epoch"]
