"""Command-line options made from the settings models, so a flag's help and default are
the model's own and cannot drift from it (issue: settings written once).

An option built here has no click default: a flag not given sets nothing, and the settings
model's default (the task's own, where tasks differ) applies."""
from __future__ import annotations

from typing import Any, Callable

import click

from ..selftrain.config import TASK_SETTINGS


def _default(task_model, name: str) -> Any:
    field = task_model.model_fields.get(name)
    return None if field is None else field.default


def setting_help(name: str, extra: str = "") -> str:
    """The field's description and its default for each task (one value when they agree;
    tasks that have no such setting are named)."""
    models = dict.fromkeys(TASK_SETTINGS.values())
    first = next(m for m in models if name in m.model_fields)
    text = first.model_fields[name].description or ""
    by_task = {t: _default(m, name) for t, m in TASK_SETTINGS.items() if name in m.model_fields}
    notes = {t: getattr(m, "default_notes", {}).get(name) for t, m in TASK_SETTINGS.items()}
    shown = {t: _shown(v) + (f" ({notes[t]})" if notes[t] else "") for t, v in by_task.items()}
    if len(set(shown.values())) == 1:
        default = f"default {next(iter(shown.values()))}"
    else:
        default = "default " + ", ".join(f"{t}: {v}" for t, v in shown.items())
    missing = [t for t in TASK_SETTINGS if t not in by_task]
    only = f"; not for {', '.join(missing)}" if missing else ""
    return f"{text[:1].upper()}{text[1:]}{extra} ({default}{only})."


def _shown(value: Any) -> str:
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def setting_option(name: str, *decls: str, **kw) -> Callable:
    """``--name-with-dashes`` for the training setting ``name``; help from the models."""
    flag = decls or (f"--{name.replace('_', '-')}",)
    return click.option(*flag, name, default=None, show_default=False,
                        help=setting_help(name, kw.pop("extra", "")), **kw)
