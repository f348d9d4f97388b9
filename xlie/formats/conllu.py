"""CoNLL-U (Universal Dependencies), parsed with the ``conllu`` package.

Sample (10 TAB-separated columns: ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC;
``26-27`` is a multiword token whose words follow it)::

    # sent_id = n01001011
    # text = Kori Schulman schrieb am Montag.
    1	Kori	Kori	PROPN	NNP	_	3	nsubj	_	_
    2	Schulman	Schulman	PROPN	NNP	_	1	flat:name	_	_
    3	schrieb	schreiben	VERB	VVFIN	_	0	root	_	_
    4-5	am	_	_	_	_	_	_	_	_
    4	an	an	ADP	APPR	_	6	case	_	_
    5	dem	der	DET	ART	_	6	det	_	_
    6	Montag	Montag	NOUN	NN	_	3	obl	_	SpaceAfter=No
    7	.	.	PUNCT	$.	_	3	punct	_	_

Named entities ride in MISC as IOB2 tags, ``NER=B-PER`` (an ``O`` word has none), so a
CoNLL NER file converted to CoNLL-U keeps its spans and reading it back gives them again.
HEAD and DEPREL give ``heads``/``deprels`` (``_`` = an unknown arc of a partial silver
tree); a silver arc's confidence rides in MISC as ``ArcScore=0.87``.

Reading yields corpus :class:`~xlie.corpus.Sentence` records over the syntactic words
(``an dem``, not ``am``; empty nodes ``8.1`` are left out): ``tokens`` are the forms,
``tags`` the UPOS, ``id`` the ``sent_id`` (else ``{id_prefix}{k}``, k from 0). The other
columns, the comments and the multiword tokens are kept under ``conllu`` so that writing
the sentence back gives the same lines. A sentence made elsewhere (tokens and tags only)
is written with ``_`` in the columns it lacks. Errors name file and line.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

import conllu
from conllu.exceptions import ParseException
from conllu.serializer import serialize_field

from ..corpus import Sentence
from ..errors import InputFormatError
from ..fileio import iter_lines, write_each
from .iob import TagError, spans_to_tags, tags_to_spans

log = logging.getLogger(__name__)
_ID = re.compile(r"^(\d+|\d+-\d+|\d+\.\d+)$")
_REST = ("lemma", "xpos", "feats", "head", "deprel", "deps", "misc")  # kept columns, in order
_NER = "NER="
_ARC = "ArcScore="
_HEAD, _DEPREL, _DEPS = _REST.index("head"), _REST.index("deprel"), _REST.index("deps")


def _misc_ner(misc: str) -> str:
    """The NER tag recorded in a MISC value (``O`` when there is none)."""
    return next((item[len(_NER):] for item in misc.split("|") if item.startswith(_NER)), "O")


def _with_ner(misc: str, tag: str) -> str:
    """``misc`` with its NER item set to ``tag`` (removed for ``O``)."""
    return _with_item(misc, _NER, tag if tag != "O" else None)


def _with_item(misc: str, key: str, value: str | None) -> str:
    """``misc`` with its ``key`` item set to ``value`` (removed for None)."""
    items = [i for i in misc.split("|") if i and i != "_" and not i.startswith(key)]
    if value is not None:
        items.append(key + value)
    return "|".join(items) or "_"


def _tree(path, line: int, cols: list[list[str]]) -> dict[str, Any]:
    """heads/deprels/arc_scores from the kept columns (none when no word has a head)."""
    if all(c[_HEAD] == "_" for c in cols):
        return {}
    heads: list[int | None] = []
    for k, c in enumerate(cols):
        if c[_HEAD] != "_" and not c[_HEAD].isdigit():
            raise InputFormatError(path, line, f"a HEAD number or _ for word {k + 1}", c[_HEAD])
        heads.append(int(c[_HEAD]) if c[_HEAD] != "_" else None)
        if heads[-1] is not None and heads[-1] > len(cols):
            raise InputFormatError(path, line, f"HEAD of word {k + 1} within the "
                                   f"{len(cols)} words", c[_HEAD])
    out: dict[str, Any] = {"heads": heads, "deprels": [c[_DEPREL] for c in cols]}
    scores = [next((float(i[len(_ARC):]) for i in c[-1].split("|") if i.startswith(_ARC)), None)
              for c in cols]
    if any(x is not None for x in scores):
        out["arc_scores"] = scores
    return out


def _check_no_cycle(path, heads: list[int | None], lines: list[str], numbers: list[int]) -> None:
    """A word that is its own head, or heads that lead round in a circle, make no tree nor
    part of one (silver trees may lack arcs, never that): the error names the first word's
    line."""
    from ..trees import cycle_words
    on_cycle = cycle_words(heads)
    if not on_cycle:
        return
    word_lines = [n for n, ln in zip(numbers, lines) if ln.split("\t", 1)[0].isdigit()]
    first = min(on_cycle)
    what = ("a HEAD other than the word itself" if heads[first - 1] == first else
            f"heads that reach the root (words {', '.join(map(str, sorted(on_cycle)))} "
            "form a cycle)")
    raise InputFormatError(path, word_lines[first - 1], what, lines[numbers.index(
        word_lines[first - 1])], hint="a dependency tree has no cycles; fix HEAD")


def _blocks(path: str | Path) -> Iterator[tuple[int, list[str], list[int]]]:
    """Sentence blocks as ``(first_line, lines, line_numbers)``; token lines are checked."""
    lines: list[str] = []
    numbers: list[int] = []
    for line, text, raw in iter_lines(path):
        if text is None:
            raise InputFormatError(path, line, "valid UTF-8 text", raw.decode("utf-8", "replace"))
        if not text.strip():
            if lines:
                yield numbers[0], lines, numbers
                lines, numbers = [], []
            continue
        if not text.startswith("#"):
            cols = text.split("\t")
            if len(cols) != 10:
                raise InputFormatError(path, line, f"10 TAB-separated columns, not {len(cols)}",
                                       text, hint="the file may be truncated or space-separated")
            if not _ID.match(cols[0]):
                raise InputFormatError(path, line, "a word ID like 3, 4-5 or 8.1", cols[0])
            if not cols[1]:
                raise InputFormatError(path, line, "a non-empty FORM", text)
        lines.append(text)
        numbers.append(line)
    if lines:
        yield numbers[0], lines, numbers


def _parse(path, first: int, lines: list[str], numbers: list[int]) -> conllu.TokenList:
    try:
        sents = conllu.parse("\n".join(lines) + "\n\n")
    except ParseException as e:
        raise InputFormatError(path, first, f"a CoNLL-U sentence ({e})", lines[0]) from None
    if len(sents) != 1 or not any(isinstance(t["id"], int) for t in sents[0]):
        raise InputFormatError(path, first, "a sentence with at least one word", lines[0])
    words = [t for t in sents[0] if isinstance(t["id"], int)]
    expected = list(range(1, len(words) + 1))
    if [t["id"] for t in words] != expected:
        bad = next(i for i, t in enumerate(words) if t["id"] != i + 1)
        tok_lines = [n for n, ln in zip(numbers, lines) if not ln.startswith("#")
                     and _ID.match(ln.split("\t")[0]) and ln.split("\t")[0].isdigit()]
        raise InputFormatError(path, tok_lines[bad], f"word ID {bad + 1} (IDs count from 1)",
                               str(words[bad]["id"]))
    return sents[0]


def _kept_lines(lines: list[str]) -> tuple[list[str], list[list]]:
    """Comment lines, and multiword/empty-node lines with the number of words before them."""
    comments, extra, words = [], [], 0
    for ln in lines:
        if ln.startswith("#"):
            comments.append(ln)
        elif ln.split("\t", 1)[0].isdigit():
            words += 1
        else:
            extra.append([words, ln])
    return comments, extra


def read_conllu(path: str | Path, lang: str | None = None, id_prefix: str = "") -> Iterator[Sentence]:
    """Stream sentences from a CoNLL-U file."""
    for k, (first, lines, numbers) in enumerate(_blocks(path)):
        sent = _parse(path, first, lines, numbers)
        words = [t for t in sent if isinstance(t["id"], int)]
        meta = dict(sent.metadata)
        sid = str(meta.get("sent_id") or f"{id_prefix}{k}")
        comments, extra = _kept_lines(lines)
        keep: dict[str, Any] = {"meta": meta, "comments": comments,
                                "columns": [[serialize_field(w[c]) for c in _REST] for w in words]}
        if extra:
            keep["extra_lines"] = extra
        ner = [_misc_ner(c[-1]) for c in keep["columns"]]
        try:
            spans = tags_to_spans(ner)
        except TagError as e:
            raise InputFormatError(path, first, f"NER tags in MISC like NER=B-PER ({e})") from None
        tree = _tree(path, first, keep["columns"])
        if tree:
            _check_no_cycle(path, tree["heads"], lines, numbers)
        yield Sentence(id=sid, lang=lang, tokens=[w["form"] for w in words],
                       tags=[w["upos"] or "_" for w in words], conllu=keep,
                       spans=[{"start": s, "end": e, "label": lab} for s, e, lab in spans],
                       **tree)


def format_conllu(sentence: Sentence) -> str:
    """One sentence as CoNLL-U lines, ending with the blank line. Kept comments, multiword
    tokens and empty nodes are written back only while the words are the ones read."""
    kept = getattr(sentence, "conllu", None) or {}
    cols = kept.get("columns")
    same = bool(cols) and len(cols) == len(sentence.tokens)
    if not same:
        cols = [["_"] * len(_REST) for _ in sentence.tokens]
    tags = sentence.tags or ["_"] * len(sentence.tokens)
    out = list(kept.get("comments") or []) if same else []
    if not out:
        out = [f"# sent_id = {sentence.id}", f"# text = {' '.join(sentence.tokens)}"]
    extra: dict[int, list[str]] = {}
    for pos, line in (kept.get("extra_lines") or []) if same else []:
        extra.setdefault(pos, []).append(line)
    ner = spans_to_tags(len(sentence.tokens), [(s.start, s.end, s.label) for s in sentence.spans])
    heads, rels, arcs = sentence.heads, sentence.deprels, sentence.arc_scores
    if heads is not None:   # the sentence's own tree wins over kept columns
        tree = [["_" if h is None else str(h), "_" if h is None or not rels else rels[i]]
                for i, h in enumerate(heads)]
        # enhanced dependencies (DEPS) describe the kept tree: another tree voids them all
        stale = any([c[_HEAD], c[_DEPREL]] != t for c, t in zip(cols, tree))
    for i, (form, upos, rest, tag) in enumerate(zip(sentence.tokens, tags, cols, ner)):
        out += extra.get(i, [])
        misc = _with_ner(rest[-1], tag) if tag != "O" or _NER in rest[-1] else rest[-1]
        if heads is not None:
            h = heads[i]
            rest = list(rest)
            rest[_HEAD], rest[_DEPREL] = tree[i]
            if stale:
                rest[_DEPS] = "_"
            score = arcs[i] if arcs and h is not None else None
            if score is not None or _ARC in misc:
                misc = _with_item(misc, _ARC, None if score is None else f"{score:.3g}")
        out.append("\t".join([str(i + 1), form, rest[0], upos or "_", *rest[1:-1], misc]))
    out += extra.get(len(sentence.tokens), [])
    return "\n".join(out) + "\n\n"


def write_conllu(path: str | Path, sentences: Iterable[Sentence], *inputs: str | Path | None) -> int:
    """Write sentences atomically (never over ``inputs``); returns the count. A sentence
    with no words has no CoNLL-U form (a block needs a word; the reader refuses one without):
    it is left out, and a warning names the file, how many and which."""
    empty: list[str] = []

    def with_words() -> Iterator[Sentence]:
        for s in sentences:
            if s.tokens:
                yield s
            else:
                empty.append(s.id)

    n = write_each(path, with_words(), format_conllu, *inputs)
    if empty:
        shown = ", ".join(empty[:5]) + (", ..." if len(empty) > 5 else "")
        log.warning("%s: %d of %d sentences left out, with no words to write as CoNLL-U: %s",
                    path, len(empty), n + len(empty), shown)
    return n
