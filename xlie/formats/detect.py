"""Read and write any corpus format by name or file extension (used by `xlie convert`,
`xlie project` and `xlie project eval`).

=========  ==========================================  =====
name       extensions                                  I/O
=========  ==========================================  =====
jsonl      .jsonl .json                                in/out
conll      .conll .conll02 .conll03 .iob .bio .bioes   in/out
conllu     .conllu                                     in/out
docbin     .spacy .docbin                              out
=========  ==========================================  =====
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ..corpus import Sentence
from ..errors import UnknownNameError, XlieError

FORMATS = ("jsonl", "conll", "conllu", "docbin")
_EXT = {".jsonl": "jsonl", ".json": "jsonl", ".conll": "conll", ".conll02": "conll",
        ".conll03": "conll", ".iob": "conll", ".bio": "conll", ".bioes": "conll",
        ".conllu": "conllu", ".spacy": "docbin", ".docbin": "docbin"}


def known_extension(path: str | Path) -> bool:
    """Whether the extension names one of the corpus formats."""
    return Path(str(path)).suffix.lower() in _EXT


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The format named, else the one the extension says; unknown ones raise with a hint."""
    if fmt:
        if fmt not in FORMATS:
            raise UnknownNameError("format", fmt, FORMATS)
        return fmt
    ext = Path(str(path)).suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    raise XlieError(f"cannot tell the format of {path} from its extension {ext or '(none)'}",
                    f"name it with --from/--to ({', '.join(FORMATS)}) or use one of "
                    f"{', '.join(sorted(_EXT))}")


def read_any(path: str | Path, fmt: str | None = None, scheme: str | None = None,
             lang: str | None = None) -> Iterator[Sentence]:
    """Stream corpus sentences from a file of any readable format."""
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        from .jsonl import read_corpus
        for s in read_corpus(path):
            if lang and not s.lang:
                s.lang = lang
            yield s
    elif fmt == "conll":
        from .conll import read_conll
        yield from read_conll(path, scheme=scheme, lang=lang)
    elif fmt == "conllu":
        from .conllu import read_conllu
        yield from read_conllu(path, lang=lang)
    else:
        raise XlieError(f"{fmt} is an output-only format ({path})",
                        "read JSONL, CoNLL or CoNLL-U instead")


def write_any(path: str | Path, sentences: Iterable[Sentence], *inputs: str | Path | None,
              fmt: str | None = None, scheme: str = "iob2") -> int:
    """Write sentences in the format named or implied by ``path``; never over ``inputs``."""
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        from .jsonl import write_jsonl
        return write_jsonl(path, sentences, *inputs)
    if fmt == "conll":
        from .conll import write_conll
        return write_conll(path, sentences, scheme, *inputs)
    if fmt == "conllu":
        from .conllu import write_conllu
        return write_conllu(path, sentences, *inputs)
    from .docbin import write_docbin
    return write_docbin(path, sentences, *inputs)
