"""Word tokenizers for translations (and for plain-text sources), with character offsets.

The aligner needs words; projection of marker spans and users need to map words back to the
text, so every tokenizer returns ``(tokens, offsets)`` with ``text[s:e] == token`` for each
``(s, e)`` in offsets.

- ``moses``: sacremoses, per language (the default; what MT and alignment work uses).
- ``spacy``: spaCy's rule-based blank-language tokenizer (``pip install 'xlie[spacy]'``).
- ``whitespace``: split on whitespace, for pre-tokenized MT output.
- ``punct``: whitespace, then punctuation at word edges and apostrophe suffixes split off
  (``Kalifornien.``, ``(ABA)``, ``Sacramento'da``); the KBP37/RELX reader's words.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable

from ..errors import UnknownNameError, XlieError

Offsets = list[tuple[int, int]]
_FALLBACK = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_NONSPACE = re.compile(r"\S+")


def locate(text: str, tokens: list[str]) -> Offsets | None:
    """Character offsets of ``tokens`` found left to right in ``text``, or None when a token
    is not there as written (the tokenizer changed characters)."""
    out: Offsets = []
    pos = 0
    for tok in tokens:
        i = text.find(tok, pos)
        if i < 0 or text[pos:i].strip():
            return None
        out.append((i, i + len(tok)))
        pos = i + len(tok)
    return out if not text[pos:].strip() else None


_ZWJ = "\u200d"


def _attaches(ch: str) -> bool:
    """A character that belongs to the one before it: a combining mark (``e`` + U+0301), a
    variation selector, an emoji skin tone, or the zero-width joiner of an emoji sequence."""
    return ch == _ZWJ or unicodedata.category(ch)[0] == "M" or "\U0001F3FB" <= ch <= "\U0001F3FF"


def join_clusters(tokens: list[str], offsets: Offsets) -> tuple[list[str], Offsets]:
    """Glue back what a tokenizer split inside one user-perceived character: ``cafe`` +
    U+0301, or the parts of a ZWJ emoji (man ZWJ woman ZWJ girl), when they touch."""
    out_t: list[str] = []
    out_o: list[tuple[int, int]] = []
    for tok, (s, e) in zip(tokens, offsets):
        if out_t and out_o[-1][1] == s and tok and (_attaches(tok[0]) or out_t[-1].endswith(_ZWJ)):
            out_t[-1] += tok
            out_o[-1] = (out_o[-1][0], e)
        else:
            out_t.append(tok)
            out_o.append((s, e))
    return out_t, out_o


def whitespace_tokenize(text: str) -> tuple[list[str], Offsets]:
    ms = list(_NONSPACE.finditer(text))
    return [m.group() for m in ms], [m.span() for m in ms]


def _regex_tokenize(text: str) -> tuple[list[str], Offsets]:
    ms = list(_FALLBACK.finditer(text))
    return join_clusters([m.group() for m in ms], [m.span() for m in ms])


def _punct_tokenize(text: str) -> tuple[list[str], Offsets]:
    from ..formats.relx import split_words
    return join_clusters(*split_words(text))


@lru_cache(maxsize=32)
def _moses(lang: str):
    from sacremoses import MosesTokenizer
    return MosesTokenizer(lang=lang)


def moses_tokenize(text: str, lang: str) -> tuple[list[str], Offsets]:
    """Moses tokens; if Moses rewrote a character (it rarely does with escaping off), the
    sentence falls back to a Unicode word/punctuation split so offsets stay exact."""
    tokens = _moses(lang).tokenize(text, escape=False, aggressive_dash_splits=False)
    offsets = locate(text, tokens)
    if offsets is None:
        return _regex_tokenize(text)
    return join_clusters(tokens, offsets)


@lru_cache(maxsize=8)
def _spacy(lang: str):
    try:
        import spacy
    except ImportError:
        raise XlieError("the spacy word tokenizer needs spaCy",
                        "pip install 'xlie[spacy]', or use --word-tokenizer moses") from None
    try:
        return spacy.blank(lang)
    except Exception:  # spaCy has no rules for this language: its generic tokenizer
        return spacy.blank("xx")


def spacy_tokenize(text: str, lang: str) -> tuple[list[str], Offsets]:
    doc = _spacy(lang).make_doc(text)
    toks = [(t.text, (t.idx, t.idx + len(t.text))) for t in doc if not t.is_space]
    return join_clusters([t for t, _ in toks], [o for _, o in toks])


WORD_TOKENIZERS: dict[str, Callable[[str, str], tuple[list[str], Offsets]]] = {
    "moses": moses_tokenize,
    "spacy": spacy_tokenize,
    "whitespace": lambda text, lang: whitespace_tokenize(text),
    "punct": lambda text, lang: _punct_tokenize(text),
}


def get_word_tokenizer(name: str, lang: str) -> Callable[[str], tuple[list[str], Offsets]]:
    """``text -> (tokens, offsets)`` for ``lang``; checks the name and loads the tokenizer now,
    so a missing package fails before any translation starts."""
    if name not in WORD_TOKENIZERS:
        raise UnknownNameError("word tokenizer", name, WORD_TOKENIZERS)
    fn = WORD_TOKENIZERS[name]
    fn("", lang)
    return lambda text: fn(text, lang)


@lru_cache(maxsize=32)
def _detok(lang: str):
    from sacremoses import MosesDetokenizer
    return MosesDetokenizer(lang=lang)


def detokenize(tokens: list[str], lang: str) -> tuple[str, Offsets]:
    """Text for MT from corpus tokens, with each token's offsets in it (tokens joined by
    spaces when Moses' detokenizer changed one)."""
    text = _detok(lang).detokenize(tokens, unescape=False)
    offsets = locate(text, tokens)
    if offsets is None:
        text = " ".join(tokens)
        offsets = locate(text, tokens)
    return text, offsets  # type: ignore[return-value]
