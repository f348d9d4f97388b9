"""KBP37 / RELX (SemEval-2010 Task 8 layout): one sentence with two marked entities and the
relation between them, per example.

Sample (RELX, German; KBP37 is the same layout, pretokenized, with spaces inside the
quotes)::

    17647	"Die <e1> Sacramento Heatwave </e1> ist ein Team der American Basketball Association (ABA) mit Sitz in Sacramento, <e2> Kalifornien </e2>."
    org:stateorprovince_of_headquarters(e1,e2)


    17650	"<e1> Viva </e1> ist der Markenname für den <e2> York Region </e2> Rapid Transit Plan."
    no_relation


An example is ``ID<TAB>"sentence"``, a label line (``relation(e1,e2)``, ``relation(e2,e1)``
or a label with no direction such as ``no_relation``), then blank lines (two in KBP37 and
RELX). Reading yields a corpus :class:`~xlie.corpus.Sentence`: the text without markers,
split into words by :func:`split_words` (punctuation and apostrophe suffixes become words of
their own, so ``Kalifornien.`` and ``Sacramento'da`` give the name a word of its own; the
words never depend on where the markers are), two spans labelled ``E1`` and ``E2`` (a
marker inside a word takes the whole word, ``Kanada </e1>s`` -> ``Kanadas``) and one relation
``{"label", "head", "tail"}`` naming the spans by id (``"directed": false`` for a label
without ``(eX,eY)``). ``text``, ``offsets`` and ``markers`` keep where each marker stood, so
a sentence read and written back unchanged comes out byte for byte (lines end with LF
whatever they ended with, and a UTF-8 BOM is dropped on reading); a sentence whose spans
changed (projected, predicted) gets markers around its spans' words. Anything malformed
raises :class:`~xlie.errors.InputFormatError` naming file and line.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..corpus import Sentence, Span
from ..errors import InputFormatError
from ..fileio import iter_lines, write_each

log = logging.getLogger(__name__)

ENTITIES = ("E1", "E2")
MARKER = re.compile(r"<(/?)e(\d+)>")
HEAD = re.compile(r'^([^\t"]+)\t"(.*)"$')
LABEL = re.compile(r"^([^\s()]+)(?:\((e[12]),(e[12])\))?$")
_APOSTROPHES = "'’"

Tokenize = Callable[[str], tuple[list[str], list[tuple[int, int]]]]


def looks_like(line: str) -> bool:
    """Whether a line is the sentence line of this format (for content detection)."""
    m = HEAD.match(line.rstrip())
    return bool(m) and MARKER.search(m.group(2)) is not None


def _punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _split_chunk(chunk: str, at: int, out: list[tuple[int, int]]) -> None:
    """Peel punctuation off both ends of a whitespace-free chunk (not the apostrophe of a
    detached suffix, ``'s``); split an apostrophe that joins letters (``Sacramento'da`` ->
    ``Sacramento`` ``'da``; ``l'Université`` -> ``l'`` ``Université`` when what follows is
    capitalised or what precedes is one letter)."""
    if chunk[0] in _APOSTROPHES and chunk[1:].isalpha() and chunk[1:].islower():
        out.append((at, at + len(chunk)))  # a suffix or clitic on its own: 's, 'daki
        return
    a, b = 0, len(chunk)
    head, tail = [], []
    while a < b and _punct(chunk[a]):
        head.append((at + a, at + a + 1))
        a += 1
    while b > a and _punct(chunk[b - 1]):
        tail.append((at + b - 1, at + b))
        b -= 1
    out += head
    if a < b:
        core = chunk[a:b]
        cut = None
        for k, ch in enumerate(core):
            if ch in _APOSTROPHES and 0 < k < len(core) - 1 and core[k - 1].isalnum() \
                    and core[k + 1].isalpha():
                after = core[k + 1].isupper() or k == 1
                cut = k + 1 if after else k
                break
        if cut is None:
            out.append((at + a, at + b))
        else:
            out += [(at + a, at + a + cut), (at + a + cut, at + b)]
    out += tail[::-1]


def split_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Words of a RELX/KBP37 sentence with character offsets: whitespace, then punctuation
    at word edges and apostrophe suffixes split off (a pretokenized KBP37 sentence stays
    as it is, but for its apostrophes)."""
    offsets: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", text):
        _split_chunk(m.group(), m.start(), offsets)
    return [text[a:b] for a, b in offsets], offsets


def _strip_markers(body: str, path, line: int) -> tuple[str, list[list], dict[str, tuple[int, int]]]:
    """Text without markers, the markers removed (``[position in text, string]``) and each
    entity's character range."""
    found = list(MARKER.finditer(body))
    seen: dict[str, int] = {}
    for m in found:
        tag = m.group()
        if m.group(2) not in ("1", "2"):
            raise InputFormatError(path, line, "only <e1> and <e2> markers", tag)
        if tag in seen:
            raise InputFormatError(path, line, f"one {tag} marker", f"{tag} twice",
                                   hint="each sentence marks exactly one e1 and one e2")
        seen[tag] = len(seen)
    for e in ("e1", "e2"):
        for tag in (f"<{e}>", f"</{e}>"):
            if tag not in seen:
                raise InputFormatError(path, line, f"a {tag} marker", body,
                                       hint="mark both entities: <e1> … </e1> and <e2> … </e2>")
        if seen[f"</{e}>"] < seen[f"<{e}>"]:
            raise InputFormatError(path, line, f"<{e}> before </{e}>", body,
                                   hint="the markers are not balanced")
    o1, c1, o2, c2 = (seen[t] for t in ("<e1>", "</e1>", "<e2>", "</e2>"))
    if o1 < o2 < c1 < c2 or o2 < o1 < c2 < c1:
        raise InputFormatError(path, line, "entities that do not cross", body,
                               hint="close one entity before the other opens, or nest them")
    text, markers, pos = [], [], 0
    cursor = 0
    for m in found:
        a, b = m.span()
        opening = not m.group(1)
        # the space on the entity's side of a marker belongs to the marker, unless the
        # marker is glued to a word on its other side (``en<e1> Japon``: keep the space)
        if opening and body[b:b + 1] == " " and not (a > 0 and body[a - 1].isalnum()):
            b += 1
        elif not opening and a > cursor and body[a - 1] == " ":
            a -= 1
        text.append(body[cursor:a])
        pos += a - cursor
        markers.append([pos, body[a:b]])
        cursor = b
    text.append(body[cursor:])
    ranges: dict[str, tuple[int, int]] = {}
    tags = [m.group() for m in found]
    for e in ("e1", "e2"):
        ranges[e] = (markers[tags.index(f"<{e}>")][0], markers[tags.index(f"</{e}>")][0])
    return "".join(text), markers, ranges


def _word_range(offsets: list[tuple[int, int]], a: int, b: int) -> tuple[int, int] | None:
    """The words a character range touches (a word partly covered counts whole)."""
    hit = [k for k, (s, e) in enumerate(offsets) if s < b and a < e]
    return (hit[0], hit[-1] + 1) if hit else None


def _parse_label(label: str, path, line: int) -> tuple[str, str | None]:
    m = LABEL.match(label.strip())
    if not m or (m.group(2) and m.group(2) == m.group(3)):
        raise InputFormatError(path, line, "a label line such as per:employee_of(e1,e2), "
                               "org:founded_by(e2,e1) or no_relation", label,
                               hint="each sentence line is followed by its label line")
    return m.group(1), m.group(2)


def read_relx(path: str | Path, lang: str | None = None,
              tokenize: Tokenize = split_words) -> Iterator[Sentence]:
    """Stream the examples of a KBP37/RELX file as corpus sentences (see the module doc)."""
    pending: tuple[int, str, str] | None = None  # (line, id, body) waiting for its label
    for line, text, raw in iter_lines(path):
        if text is None:
            raise InputFormatError(path, line, "valid UTF-8 text", raw.decode("utf-8", "replace"))
        if pending is None:
            if not text.strip():
                continue
            m = HEAD.match(text)
            if not m:
                raise InputFormatError(path, line, 'ID<TAB>"sentence with <e1> … </e1> and '
                                       '<e2> … </e2>"', text)
            pending = (line, m.group(1), m.group(2))
            continue
        if not text.strip():
            raise InputFormatError(path, line, "a label line after the sentence on line "
                                   f"{pending[0]}", "a blank line")
        if HEAD.match(text):
            raise InputFormatError(path, line, "a label line after the sentence on line "
                                   f"{pending[0]}", text)
        yield _example(path, pending, text, line, lang, tokenize)
        pending = None
    if pending is not None:
        raise InputFormatError(path, pending[0], "a label line after this sentence",
                               "the end of the file")


def _example(path, pending: tuple[int, str, str], label_line: str, label_no: int,
             lang: str | None, tokenize: Tokenize) -> Sentence:
    line, sid, body = pending
    label, first = _parse_label(label_line, path, label_no)
    text, markers, ranges = _strip_markers(body, path, line)
    tokens, offsets = tokenize(text)
    spans, empty = [], []
    for e, name in zip(("e1", "e2"), ENTITIES):
        r = _word_range(offsets, *ranges[e])
        if r is None:  # ``<e1> </e1>``: KBP37 has some (a name lost when it was made)
            empty.append(e)
        else:
            spans.append(Span(start=r[0], end=r[1], label=name, id=f"{sid}-{e}"))
    e1, e2 = f"{sid}-e1", f"{sid}-e2"
    rel: dict = {"label": label, "head": e2 if first == "e2" else e1,
                 "tail": e1 if first == "e2" else e2}
    if first is None:
        rel["directed"] = False
    extra: dict = {"empty": empty} if empty else {}
    if label_line != label_line.strip():
        extra["label_line"] = label_line  # its stray spaces come back on writing
    return Sentence(id=sid, lang=lang, tokens=tokens, spans=spans, relations=[rel], text=text,
                    offsets=[list(o) for o in offsets], markers=markers, **extra)


def _entities(sentence: Sentence) -> tuple[Span | None, Span | None]:
    """The E1 and E2 spans (None for one read as ``<eN> </eN>``, with nothing inside)."""
    by = {s.label: s for s in sentence.spans}
    empty = set(getattr(sentence, "empty", None) or [])
    if not all(e in by or e.lower() in empty for e in ENTITIES) or len(sentence.spans) > 2:
        raise InputFormatError(None, None, "two spans labelled E1 and E2",
                               f"sentence {sentence.id}: {[s.label for s in sentence.spans]}",
                               hint="a relation example marks exactly two entities")
    return by.get("E1"), by.get("E2")


def _label(sentence: Sentence) -> str:
    rel = next(iter(sentence.relations or []), None)
    if rel is None:
        raise InputFormatError(None, None, "a relation between E1 and E2",
                               f"sentence {sentence.id}")
    if rel.get("directed") is False:
        return rel["label"]
    by = {s.label: str(s.id) for s in sentence.spans}
    head = str(rel.get("head"))
    if "E2" in by:
        second = head == by["E2"]
    elif "E1" in by:
        second = head != by["E1"]
    else:
        second = head == f"{sentence.id}-e2"
    return f"{rel['label']}(e2,e1)" if second else f"{rel['label']}(e1,e2)"


def _body(sentence: Sentence, e1: Span | None, e2: Span | None) -> str:
    text = getattr(sentence, "text", None)
    offsets = getattr(sentence, "offsets", None)
    markers = getattr(sentence, "markers", None)
    if not (isinstance(text, str) and offsets and len(offsets) == len(sentence.tokens)
            and all(text[a:b] == t for (a, b), t in zip(offsets, sentence.tokens))):
        text = " ".join(sentence.tokens)
        offsets, markers = [], None
        for t in sentence.tokens:
            a = offsets[-1][1] + 1 if offsets else 0
            offsets.append((a, a + len(t)))
    if markers:
        tags = [MARKER.search(s).group() if MARKER.search(s) else "" for _, s in markers]
        try:
            ranges = {e: (markers[tags.index(f"<{e}>")][0], markers[tags.index(f"</{e}>")][0])
                      for e in ("e1", "e2")}
        except ValueError:
            ranges = {}
        if ranges and all(_word_range(offsets, *ranges[e]) == ((s.start, s.end) if s else None)
                          for e, s in (("e1", e1), ("e2", e2))):
            inserts = [(p, 0, s) for p, s in markers]  # as read, in file order
            return _insert(text, inserts)
    inserts = []
    for e, s in (("e1", e1), ("e2", e2)):  # at one position a closing marker goes first
        if s is None:   # read as ``<eN> </eN>``: an empty pair again, before the text
            inserts.append((0, -1, f"<{e}> </{e}> "))
            continue
        inserts.append((offsets[s.start][0], 1, f"<{e}> "))
        inserts.append((offsets[s.end - 1][1], 0, f" </{e}>"))
    return _insert(text, inserts)


def _insert(text: str, inserts: list[tuple[int, int, str]]) -> str:
    out, cur = [], 0
    for p, _, s in sorted(inserts, key=lambda x: (x[0], x[1])):  # stable
        out += [text[cur:p], s]
        cur = p
    out.append(text[cur:])
    return "".join(out)


def format_relx(sentence: Sentence) -> str:
    """One example: the sentence line and the label line (no blank lines)."""
    e1, e2 = _entities(sentence)
    label = _label(sentence)
    raw = getattr(sentence, "label_line", None)
    if isinstance(raw, str) and raw.strip() == label:
        label = raw
    return f'{sentence.id}\t"{_body(sentence, e1, e2)}"\n{label}'


def unwritable(sentence: Sentence) -> str | None:
    """Why a sentence cannot be a RELX example, when it lost what one needs (an entity lost
    in projection, a pair the classifier gave no relation): None when it can be written."""
    by = {s.label for s in sentence.spans}
    empty = set(getattr(sentence, "empty", None) or [])
    lost = [e for e in ENTITIES if e not in by and e.lower() not in empty]
    if lost:
        return f"no {' or '.join(lost)}"
    if not sentence.relations:
        return "no relation"
    return None


def write_relx(path: str | Path, sentences: Iterable[Sentence], *inputs: str | Path | None) -> int:
    """Write examples atomically (never over ``inputs``), two blank lines after each. A
    sentence that lost E1, E2 or its relation cannot be an example: it is left out, and a
    warning names the file, how many and which; the rest is written."""
    left_out: list[str] = []

    def render(sent: Sentence) -> str:
        try:
            return format_relx(sent) + "\n\n\n"
        except InputFormatError as e:   # two spans of other labels, three spans: not RELX data
            raise InputFormatError(path, None, f"{e.expected} to write as RELX", e.got,
                                   hint=e.hint) from None

    def writable() -> Iterator[Sentence]:
        for sent in sentences:
            why = unwritable(sent)
            if why is None:
                yield sent
            else:
                left_out.append(f"{sent.id} ({why})")

    n = write_each(path, writable(), render, *inputs)
    if left_out:
        shown = ", ".join(left_out[:5]) + (", ..." if len(left_out) > 5 else "")
        log.warning("%s: %d of %d sentences left out, without the E1/E2 pair and relation a "
                    "RELX example needs: %s", path, len(left_out), n + len(left_out), shown)
    return n
