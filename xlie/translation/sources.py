"""What the translation stage reads: the JSONL corpus, CoNLL NER, CoNLL-U, KBP37/RELX or plain
text (one sentence a line), as corpus records with the text to translate.

Each record keeps every key it came with. The text sent to MT is the record's ``text`` when
its tokens can be found in it (CoNLL-U's ``# text`` too), else the tokens detokenized by
Moses; plain-text lines keep the line as ``text``, are Moses-tokenized for ``tokens`` and
get their line number as ``id``. Empty or undecodable lines still yield a record (with
nothing to translate), so the output stays one-to-one with the input.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from ..errors import UnknownNameError, XlieError
from ..fileio import iter_lines
from ..formats import detect
from .wordtok import Offsets, detokenize, locate, moses_tokenize

FORMATS = ("auto", "jsonl", "conll", "conllu", "relx", "text")


@dataclass
class SourceItem:
    where: str                     # "file:line" (or "file: sentence ID") for messages
    record: dict                   # the corpus record
    text: str                      # what MT translates; "" when there is nothing
    offsets: Optional[Offsets]     # character offsets of record["tokens"] in text
    problem: Optional[str] = None  # why there is nothing to translate


def detect_format(path: str | Path) -> str:
    """By suffix; otherwise by the first non-blank line (``xlie.formats.detect``)."""
    return detect.detect_format(path, sniff=True, text=True)


def _text_of(rec: dict, lang: str, preferred: Optional[str]) -> tuple[str, Offsets]:
    tokens = rec.get("tokens") or []
    if isinstance(preferred, str) and preferred.strip():
        offsets = locate(preferred, tokens)
        if offsets is not None:
            return preferred, offsets
    return detokenize(tokens, rec.get("lang") or lang)


def _item(where: str, rec: dict, lang: str, preferred: Optional[str] = None) -> SourceItem:
    if not rec.get("tokens"):
        return SourceItem(where, rec, "", [], problem="empty sentence")
    text, offsets = _text_of(rec, lang, preferred)
    return SourceItem(where, rec, text, offsets)


def record_item(rec: dict, lang: str, where: str = "record") -> SourceItem:
    """A corpus record already in memory (the pipeline's batches) as a source item."""
    if "tokens" not in rec and isinstance(rec.get("text"), str):
        rec["tokens"] = moses_tokenize(rec["text"], rec.get("lang") or lang)[0]
    return _item(f"{where} {rec.get('id')}", rec, lang, rec.get("text"))


def _jsonl(path, lang: str) -> Iterator[SourceItem]:
    from ..formats.jsonl import read_jsonl, validate_sentence
    for line, rec in read_jsonl(path):
        if "tokens" not in rec and isinstance(rec.get("text"), str):
            rec["tokens"] = moses_tokenize(rec["text"], rec.get("lang") or lang)[0]
        sent = validate_sentence(rec, path, line)
        rec["id"] = sent.id
        yield _item(f"{path}:{line}", rec, lang, rec.get("text"))


def _text(path, lang: str) -> Iterator[SourceItem]:
    for line, text, _ in iter_lines(path):
        rec: dict = {"id": str(line), "lang": lang}
        if text is None:
            rec.update(text="", tokens=[])
            yield SourceItem(f"{path}:{line}", rec, "", [], problem="a line that is not valid UTF-8")
            continue
        text = text.strip()
        tokens, offsets = moses_tokenize(text, lang)
        rec.update(text=text, tokens=tokens)
        problem = None if tokens else "empty line"
        yield SourceItem(f"{path}:{line}", rec, text if tokens else "", offsets, problem)


def _conll(path, lang: str) -> Iterator[SourceItem]:
    from ..formats.conll import read_conll
    for sent in read_conll(path, lang=lang):
        yield _item(f"{path}: sentence {sent.id}", sent.to_json(), lang)


def _multiword_offsets(rec: dict, text: str) -> Optional[Offsets]:
    """Offsets of a CoNLL-U sentence's syntactic words in its ``# text`` through its
    multiword tokens (``4-5 al`` covers ``a el``: both words get the span of ``al``), so MT
    reads the sentence as written ("Vámonos al mar"), not its words ("Vamos nos a el mar")."""
    tokens = rec.get("tokens") or []
    ranges: dict[int, tuple[int, str]] = {}
    for _, line in (rec.get("conllu") or {}).get("extra_lines") or []:
        cols = line.split("\t")
        first, _, last = cols[0].partition("-")
        if first.isdigit() and last.isdigit() and len(cols) > 1:
            ranges[int(first)] = (int(last), cols[1])
    if not ranges:
        return None
    forms: list[str] = []
    owner: list[int] = []   # word -> its surface form
    i = 1
    while i <= len(tokens):
        last, form = ranges.get(i, (i, tokens[i - 1]))
        if not i <= last <= len(tokens):
            return None
        forms.append(form)
        owner += [len(forms) - 1] * (last - i + 1)
        i = last + 1
    found = locate(text, forms)
    return None if found is None else [found[k] for k in owner]


def _conllu(path, lang: str) -> Iterator[SourceItem]:
    from ..formats.conllu import read_conllu
    for sent in read_conllu(path, lang=lang):
        rec = sent.to_json()
        meta = (rec.get("conllu") or {}).get("meta") or {}
        where = f"{path}: sentence {sent.id}"
        text = meta.get("text")
        offsets = _multiword_offsets(rec, text) if isinstance(text, str) and rec.get("tokens") \
            else None
        if offsets is not None:
            yield SourceItem(where, rec, text, offsets)
        else:
            yield _item(where, rec, lang, text)


def _relx(path, lang: str) -> Iterator[SourceItem]:
    from ..formats.relx import read_relx
    for sent in read_relx(path, lang=lang):
        rec = sent.to_json()
        yield _item(f"{path}: sentence {sent.id}", rec, lang, rec.get("text"))


_READERS = {"jsonl": _jsonl, "text": _text, "conll": _conll, "conllu": _conllu, "relx": _relx}


def read_source(path: str | Path, src_lang: str, fmt: str = "auto") -> Iterator[SourceItem]:
    """Stream :class:`SourceItem` records; malformed input raises with file and line."""
    if fmt not in FORMATS:
        raise UnknownNameError("input format", fmt, FORMATS)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt not in _READERS:
        raise XlieError(f"{path} is {fmt}, which xlie translate cannot read",
                        f"give one of: {', '.join(_READERS)}")
    return _READERS[fmt](path, src_lang)
