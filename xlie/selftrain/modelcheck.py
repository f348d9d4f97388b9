"""What a saved model directory is, and whether an output suits it, read from its small
files before any weights load (``xlie selftrain predict`` fails in a second, not after
loading, on a plain encoder, a wrong output format or an unwritable output)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

from ..errors import XlieError

TASK_KEY = "xlie_task"          # model config attribute naming a tagger's task
PARSER_CONFIG = "parser.json"   # what marks a parser directory (``parser.CONFIG`` is this)


def model_task(model: str | Path) -> str:
    """The task of a saved model directory, read from its small files only (no weights):
    ``dep`` (a parser), ``relation``, or the tagger's ``ner``/``pos``. A plain encoder, or a
    folder that is no model, is an error saying so."""
    from .relation import META
    path = Path(model)
    if (path / PARSER_CONFIG).is_file():
        return "dep"
    if (path / META).is_file():
        return "relation"
    if not (path / "config.json").is_file():
        raise XlieError(f"{model} is not a trained model (no config.json)",
                        "give the model/ folder that `xlie selftrain train` wrote")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    task = config.get(TASK_KEY)
    labels = list((config.get("id2label") or {}).values())
    if task is None and (not labels or all(str(x).startswith("LABEL_") for x in labels)):
        raise XlieError(f"{model} is not a trained tagger, parser or relation classifier "
                        "(a plain encoder: no task, no labels)",
                        "train one with `xlie selftrain train` and give its model/ folder")
    return task or "ner"


def check_format(kind: str, task: str) -> None:
    """Refuse an output format the task cannot fill."""
    if kind == "conll" and task != "ner":
        raise XlieError(f"CoNLL NER output needs an NER tagger, not a {task} model",
                        "write .conllu or .jsonl")
    if kind == "conllu" and task not in ("pos", "dep"):
        raise XlieError(f"CoNLL-U output needs a POS tagger or a parser, not a {task} model",
                        "write .conll or .jsonl for NER")
    if kind == "relx" and task != "relation":
        raise XlieError(f"RELX output needs a relation classifier, not a {task} model",
                        "write .jsonl")
    if kind == "docbin" and task in ("dep", "relation"):
        raise XlieError(f"spaCy DocBin output holds spans and tags, not {task} predictions",
                        "write .jsonl or .conllu")


def check_prediction(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                     fmt: Optional[str] = None) -> tuple[str, str]:
    """Everything ``xlie selftrain predict`` can check before a model loads: the model is a
    trained one, the output format suits its task, the output can be written and is not an
    input. Returns (task, output format)."""
    from ..fileio import check_output
    from ..formats.detect import detect_format
    task = model_task(model)
    kind = detect_format(output, fmt)
    check_format(kind, task)
    check_output(output, *inputs)
    return task, kind
