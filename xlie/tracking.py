"""Training logs in the trackers people follow training in (TensorBoard, Weights & Biases,
MLflow), through accelerate's tracking API: ``Accelerator(log_with=...)``,
``init_trackers`` with the run's settings as hyperparameters, ``accelerator.log`` of the
step's loss and learning rate and of each dev evaluation, ``end_training``.

Nothing is logged unless a run asks (``--log-with``, or ``train.log_with`` in a config);
a tracker whose package is missing stops the run before training with the pip line to
install it. TensorBoard's event files go to ``OUT/logs/xlie/`` of each trained model
(``tensorboard --logdir RUN_DIR`` shows every model of a pipeline run); W&B and MLflow
use their own settings (``WANDB_*``, ``MLFLOW_TRACKING_URI``), with the model's folder name
as the run's name.

The training loops call :func:`accelerator_kwargs` (when they build their accelerator),
:func:`start`, :func:`log_step`, :func:`log_dev` and :func:`finish`; each is a no-op when
nothing was asked.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Mapping, Optional, Sequence

from .errors import XlieError

LogWith = Literal["tensorboard", "wandb", "mlflow", "all"]
TRACKERS = ("tensorboard", "wandb", "mlflow")
PROJECT = "xlie"
LOG_DIR = "logs"
_PIP = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}


def _available(name: str) -> bool:
    from accelerate.utils import (is_mlflow_available, is_tensorboard_available,
                                  is_wandb_available)
    return {"tensorboard": is_tensorboard_available, "wandb": is_wandb_available,
            "mlflow": is_mlflow_available}[name]()


def trackers(log_with: Optional[str]) -> list[str]:
    """The tracker names ``log_with`` asks for (``all``: the three), each installed."""
    if not log_with:
        return []
    names = list(TRACKERS) if log_with == "all" else [log_with]
    for name in names:
        if name not in TRACKERS:
            raise XlieError(f"unknown tracker {name!r} for --log-with",
                            f"choose one of: {', '.join(TRACKERS)}, all")
    missing = [n for n in names if not _available(n)]
    if missing:
        what = (f"the {missing[0]} package is" if len(missing) == 1 else
                f"the {', '.join(missing)} packages are")
        raise XlieError(f"--log-with {log_with}: {what} not installed",
                        f"pip install {' '.join(_PIP[n] for n in missing)}"
                        + ("   (TensorBoard is xlie's `track` extra: pip install 'xlie[track]')"
                           if "tensorboard" in missing else ""))
    return names


def accelerator_kwargs(log_with: Optional[str], out: Optional[str | Path]) -> dict[str, Any]:
    """Keyword arguments for ``Accelerator(...)``: the trackers, and ``OUT/logs`` as the
    logging directory; empty when nothing is logged."""
    names = trackers(log_with)
    if not names:
        return {}
    from accelerate.utils import ProjectConfiguration
    out = Path(out if out is not None else ".")
    return {"log_with": names,
            "project_config": ProjectConfiguration(project_dir=str(out),
                                                   logging_dir=str(out / LOG_DIR))}


def hyperparameters(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as flat ``a.b`` keys with values every tracker takes (numbers,
    strings, booleans; lists joined, None as "none")."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(hyperparameters(value, f"{name}."))
        elif isinstance(value, (bool, int, float, str)):
            out[name] = value
        elif value is None:
            out[name] = "none"
        elif isinstance(value, Sequence):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = str(value)
    return out


def _on(accelerator) -> bool:
    return bool(getattr(accelerator, "log_with", None))


def start(accelerator, name: str, settings: Mapping[str, Any]) -> None:
    """Open the trackers' run, the settings logged as its hyperparameters."""
    if not _on(accelerator):
        return
    logs = Path(accelerator.logging_dir or ".")
    accelerator.init_trackers(PROJECT, config=hyperparameters(settings), init_kwargs={
        "wandb": {"name": name, "dir": str(logs)}, "mlflow": {"run_name": name}})


def _numbers(values: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """Numeric leaves of a (nested) score dict as ``prefix/key`` scalars."""
    out: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[f"{prefix}/{key}"] = float(value)
        elif isinstance(value, Mapping):
            out.update(_numbers(value, f"{prefix}/{key}"))
    return out


def log_step(accelerator, step: int, loss: float | Mapping[str, float],
             lr: float | Sequence[float] | None = None) -> None:
    """One optimizer step: its loss (or losses by objective) and learning rate(s)."""
    if not _on(accelerator):
        return
    values = (_numbers(loss, "train/loss") if isinstance(loss, Mapping)
              else {"train/loss": float(loss)})
    if isinstance(lr, (int, float)):
        values["train/lr"] = float(lr)
    elif lr:
        values["train/lr"] = float(lr[0])
        if len(lr) > 1 and max(lr) != min(lr):
            values["train/lr_head"] = float(max(lr))
    accelerator.log(values, step=step)


def log_dev(accelerator, step: int, scores: Mapping[str, Any]) -> None:
    """One evaluation: every number of its scores (``dev/accuracy``, ``dev/micro/f1``, ...)."""
    if not _on(accelerator):
        return
    values = _numbers({k: v for k, v in scores.items() if k not in ("step", "epoch")}, "dev")
    if values:
        accelerator.log(values, step=step)


def finish(accelerator) -> None:
    """Close the trackers' run (flushes TensorBoard's event file)."""
    if _on(accelerator) and getattr(accelerator, "trackers", None):
        accelerator.end_training()
