"""Convert a corpus file between formats (the function behind `xlie convert`)."""
from __future__ import annotations

from pathlib import Path

from itertools import chain

from .detect import corpus_files, read_any, write_any


def convert(input: str | Path, output: str | Path, src_format: str | None = None,
            out_format: str | None = None, in_scheme: str | None = None,
            scheme: str = "iob2", lang: str | None = None) -> int:
    """Stream ``input`` (a file, or a folder of corpus files read in name order: TimeML
    documents) into ``output``; returns the number of sentences written."""
    files = corpus_files(input) if str(input) != "-" and Path(input).is_dir() else [input]
    sentences = chain.from_iterable(read_any(f, src_format, scheme=in_scheme, lang=lang)
                                    for f in files)
    return write_any(output, sentences, *files, fmt=out_format, scheme=scheme)
