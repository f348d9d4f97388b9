"""What an input corpus already provides, read from its first record."""
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
