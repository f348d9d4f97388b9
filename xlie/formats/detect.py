"""Read and write any corpus format by name, file extension or content: the one place
that decides how a file is read (`xlie convert`, `xlie project`, `xlie project eval`,
`xlie translate`, `xlie selftrain`).

=========  ==========================================  =====
name       extensions                                  I/O
=========  ==========================================  =====
jsonl      .jsonl .json                                in/out
conll      .conll .conll02 .conll03 .iob .bio .bioes   in/out
conllu     .conllu                                     in/out
docbin     .spacy .docbin                              out
relx       .txt (by content: ``ID<TAB>"… <e1> …"``)    in/out
timeml     .tml                                        in/out (one document a file)
text       .txt                                        in (``xlie translate`` only)
=========  ==========================================  =====

A ``.txt`` file whose first non-blank line is a KBP37/RELX sentence line is read as
``relx`` (KBP37 and RELX ship as ``.txt``); any other ``.txt`` is plain text. A file whose
extension names no format is read by its content where the caller allows it (``sniff``):
its first non-blank line tells JSONL, CoNLL-U, KBP37/RELX, CoNLL or plain text apart.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Optional

from ..corpus import Sentence
from ..errors import UnknownNameError, XlieError
from ..fileio import iter_lines
from .relx import looks_like

FORMATS = ("jsonl", "conll", "conllu", "relx", "timeml", "docbin")   # corpus formats
TEXT = "text"                                        # plain text, one sentence a line
SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".conll": "conll", ".conll02": "conll",
            ".conll03": "conll", ".iob": "conll", ".bio": "conll", ".bioes": "conll",
            ".conllu": "conllu", ".tml": "timeml", ".spacy": "docbin", ".docbin": "docbin", ".txt": TEXT}
_TAG_PREFIXES = ("O", "B-", "I-", "E-", "S-")


def known_extension(path: str | Path) -> bool:
    """Whether the extension names one of the corpus formats."""
    return SUFFIXES.get(Path(str(path)).suffix.lower()) in FORMATS


def corpus_files(path: str | Path) -> list[Path]:
    """``path`` itself, or the corpus files of a directory (sorted by name: a folder of
    ``.tml`` documents, one a file)."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file() and known_extension(f)) \
        if p.is_dir() else [p]
    if not files:
        raise XlieError(f"no corpus files in {path}", "give a file, or a folder of .tml/.jsonl files")
    return files


def sniff_format(path: str | Path) -> str:
    """The format the first non-blank line looks like (``text`` when nothing else fits)."""
    for _, text, _ in iter_lines(path):
        if text is None or not text.strip():
            continue
        s = text.strip()
        if s.startswith("{"):
            return "jsonl"
        if s.startswith("<?xml") or s.startswith("<TimeML") or s.startswith("<TempEval"):
            return "timeml"
        if looks_like(text):
            return "relx"
        cols = text.split("\t")
        if s.startswith("# sent_id") or s.startswith("# text") or len(cols) == 10:
            return "conllu"
        if len(cols) >= 2 or (len(s.split()) >= 2 and s.split()[-1][:2] in _TAG_PREFIXES):
            return "conll"
        return TEXT
    return TEXT


def detect_format(path: str | Path, fmt: str | None = None, sniff: bool = False,
                  text: bool = False) -> str:
    """The format named, else the one the extension says, else (with ``sniff``) the one
    the content says; ``-`` (stdin) is JSONL. ``text``: plain text counts as a format (a
    reader of raw sentences). Unknown ones raise with a hint."""
    if fmt:
        if fmt not in FORMATS:
            raise UnknownNameError("format", fmt, FORMATS)
        return fmt
    ext = Path(str(path)).suffix.lower()
    if SUFFIXES.get(ext) == TEXT and Path(path).is_file() and sniff_format(path) == "relx":
        return "relx"
    if ext in SUFFIXES and (text or SUFFIXES[ext] != TEXT):
        return SUFFIXES[ext]
    if str(path) == "-":
        return "jsonl"
    if sniff and Path(path).is_file():
        return sniff_format(path)
    raise XlieError(f"cannot tell the format of {path} from its extension {ext or '(none)'}",
                    f"name it with --from/--to ({', '.join(FORMATS)}) or use one of "
                    f"{', '.join(sorted(k for k, v in SUFFIXES.items() if v != TEXT))}")


def read_numbered(path: str | Path, fmt: str | None = None, scheme: str | None = None,
                  lang: str | None = None, sniff: bool = False
                  ) -> Iterator[tuple[Optional[int], Sentence]]:
    """Stream ``(line, sentence)`` from a file of any readable format: ``line`` is the JSONL
    line (for messages), None for the multi-line formats."""
    if str(path) != "-" and not Path(path).is_file():
        raise XlieError(f"no such file: {path}", "check the path of the corpus")
    fmt = detect_format(path, fmt, sniff)
    if fmt == "jsonl":
        from .jsonl import read_jsonl, validate_sentence
        for line, rec in read_jsonl(path):
            s = validate_sentence(rec, path, line)
            if lang and not s.lang:
                s.lang = lang
            yield line, s
    elif fmt == "conll":
        from .conll import read_conll
        for s in read_conll(path, scheme=scheme, lang=lang):
            yield None, s
    elif fmt == "conllu":
        from .conllu import read_conllu
        for s in read_conllu(path, lang=lang):
            yield None, s
    elif fmt == "relx":
        from .relx import read_relx
        for s in read_relx(path, lang=lang):
            yield None, s
    elif fmt == "timeml":
        from .timeml import read_timeml
        for s in read_timeml(path, lang=lang):
            yield None, s
    elif fmt == TEXT:
        raise XlieError(f"{path} is plain text, not an annotated corpus",
                        "give JSONL, CoNLL, CoNLL-U or KBP37/RELX (`xlie translate` reads plain text)")
    else:
        raise XlieError(f"{fmt} is an output-only format ({path})",
                        "read JSONL, CoNLL, CoNLL-U or KBP37/RELX instead")


def read_any(path: str | Path, fmt: str | None = None, scheme: str | None = None,
             lang: str | None = None, sniff: bool = False) -> Iterator[Sentence]:
    """Stream corpus sentences from a file of any readable format."""
    for _, s in read_numbered(path, fmt, scheme, lang, sniff):
        yield s


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
    if fmt == "relx":
        from .relx import write_relx
        return write_relx(path, sentences, *inputs)
    if fmt == "timeml":
        from .timeml import write_timeml
        return write_timeml(path, sentences, *inputs)
    from .docbin import write_docbin
    return write_docbin(path, sentences, *inputs)
