"""What marks a saved model directory, read from its small files before any weights load
(``xlie selftrain predict`` fails in a second on a plain encoder). The task registry
(:mod:`.tasks`) asks these questions; nothing here imports it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ..errors import XlieError

TASK_KEY = "xlie_task"          # model config attribute naming a tagger's task
PARSER_CONFIG = "parser.json"   # what marks a parser directory (``parser.CONFIG`` is this)
NOT_A_MODEL = ("train one with `xlie selftrain train` and give its model/ folder")


def tagger_task(path: str | Path) -> Optional[str]:
    """The task of a tagger directory (its config's ``xlie_task``; ``ner`` for a tagger
    with labels but no task), or None when the directory holds no trained tagger."""
    cfg = Path(path) / "config.json"
    if not cfg.is_file() or (Path(path) / PARSER_CONFIG).exists():
        return None
    data = json.loads(cfg.read_text(encoding="utf-8"))
    labels = list((data.get("id2label") or {}).values())
    trained = bool(labels) and not all(str(x).startswith("LABEL_") for x in labels)
    return data.get(TASK_KEY) or ("ner" if trained else None)


def check_tagger(path: str | Path) -> str:
    """A tagger's task; a clear error for a plain encoder (it would load with a random head)."""
    task = tagger_task(path)
    if task is None:
        raise XlieError(f"{path} is not a trained tagger, parser or relation classifier "
                        f"(a plain encoder: no task, no labels)", NOT_A_MODEL)
    return task
