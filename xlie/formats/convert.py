"""Convert a corpus file between formats (the function behind `xlie convert`)."""
from __future__ import annotations

from pathlib import Path

from .detect import read_any, write_any


def convert(input: str | Path, output: str | Path, src_format: str | None = None,
            out_format: str | None = None, in_scheme: str | None = None,
            scheme: str = "iob2", lang: str | None = None) -> int:
    """Stream ``input`` into ``output``; returns the number of sentences written."""
    sentences = read_any(input, src_format, scheme=in_scheme, lang=lang)
    return write_any(output, sentences, input, fmt=out_format, scheme=scheme)
