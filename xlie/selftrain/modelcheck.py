"""What ``xlie selftrain predict`` checks before any weights load (it fails in a second, not
after loading, on a plain encoder, a wrong output format or an unwritable output). The task
of a model directory is the task registry's answer (:func:`.tasks.task_of_model`), read from
the directory's small files only."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

TASK_KEY = "xlie_task"          # model config attribute naming a tagger's task
PARSER_CONFIG = "parser.json"   # what marks a parser directory (``parser.CONFIG`` is this)


def model_task(model: str | Path) -> str:
    """The task of a saved model directory (an error for a plain encoder or no model)."""
    from .tasks import task_of_model
    return task_of_model(model).name


def check_prediction(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                     fmt: Optional[str] = None) -> tuple[str, str]:
    """The model is a trained one, the output format suits its task, the output can be
    written and is not an input. Returns (task, output format)."""
    from ..fileio import check_output
    from .output import check_format
    task = model_task(model)
    kind = check_format(output, task, fmt)
    check_output(output, *inputs)
    return task, kind
