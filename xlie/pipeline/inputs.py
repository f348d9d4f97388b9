"""Where the inputs of a run are (``xlie:`` paths), and what a corpus already provides."""
from __future__ import annotations

from pathlib import Path

from ..formats.jsonl import read_jsonl


def input_provides(path: str | Path) -> set[str]:
    """``corpus`` always; ``translation`` and ``alignment`` when the records carry them
    (a parallel corpus starts at align, an aligned one at project)."""
    provided = {"corpus"}
    for _, rec in read_jsonl(path):
        if rec.get("translation") is not None:
            provided.add("translation")
            if rec.get("alignment") is not None:
                provided.add("alignment")
        break
    return provided


def resolve_path(path: str | Path) -> Path:
    """``xlie:REL`` -> a file shipped inside the package; anything else as given."""
    text = str(path)
    if text.startswith("xlie:"):
        from importlib.resources import files
        return Path(str(files("xlie").joinpath(text[len("xlie:"):])))
    return Path(text).expanduser()
