"""TimeML (``.tml``): documents with events marked inline, as TimeBank, AQUAINT, TempEval-3
and TimeBankPT ship them.

Sample (TempEval-3 style; TimeBankPT puts each sentence in ``<s>`` and the instance
attributes on the EVENT itself)::

    <?xml version="1.0" ?>
    <TimeML>
    <DOCID>wsj_0001</DOCID>
    <TEXT>
    Prices <EVENT eid="e1" class="OCCURRENCE">rose</EVENT> on <TIMEX3 tid="t1" type="DATE"
    value="1998-01-08">Monday</TIMEX3>. Traders <EVENT eid="e2" class="REPORTING">said</EVENT> so.
    </TEXT>
    <MAKEINSTANCE eventID="e1" eiid="ei1" tense="PAST" aspect="NONE" polarity="POS" pos="VERB"/>
    </TimeML>

Reading yields one corpus :class:`~xlie.corpus.Sentence` per sentence: the ``<s>`` elements
where the file has them, else the text of ``<TEXT>`` (where there is none, the root's
text around its DOCID and DCT; a file with no text at all is an error) cut by :func:`xlie.boundaries.sentence_spans`, never inside an element. Each EVENT becomes a
span labelled by its class with ``id`` = its ``eid``, and an entry of the record's
``events`` list in the event shape projection carries (``{"label", "trigger": span id,
"args": []}``) with the EVENT's other attributes under ``attrs`` and those of its
MAKEINSTANCE elements (tense, aspect, polarity, ...) under ``instances``. Every record
carries ``doc`` (the DOCID, else the file name without ``.tml``) so the sentences of a
document can be regrouped.

A trigger that ends inside a word (TimeBankPT's ``antecipá</EVENT>-la``,
``revelar</EVENT>-se``) is handled by the tokenisation, not by character offsets on the
span: words are :func:`xlie.formats.relx.split_words` (whitespace, punctuation at word
edges), each cut again before a hyphen between two letters, so the trigger is a token of
its own and the clitic another (``revelar`` ``-se``; ``write-downs`` is two tokens too).
That rule does not look at the markup, so a document read, re-tagged and read again has the
same tokens, and a tagger sees the same words in raw text. An EVENT edge still inside a
word (none in TimeBank or TimeBankPT) cuts the word there too. ``text`` and ``offsets``
keep each token's characters in the sentence, so nothing of the text is lost, and a tag
can be put back inside a word on writing.

For writing back, each record keeps its sentence's XML as it stood (``xml``) and the
file's text before it (``before``; the last record also ``after``). A document whose spans
are unchanged comes out byte for byte; a sentence whose spans changed (projected,
predicted) gets its EVENT tags rebuilt around its spans' characters (eid = span id, class =
label, other attributes from its ``events`` entry), every other element left where it was.
Elements outside the sentences (MAKEINSTANCE, TLINK ...) are written as they were read.
Records with no XML of their own get a minimal document, one ``<s>`` per sentence.
Malformed XML, an EVENT without eid or class, or an eid given twice raises
:class:`~xlie.errors.InputFormatError` naming file and line.
"""
from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from xml.sax.saxutils import quoteattr
from xml.sax.saxutils import escape as xml_escape

from ..boundaries import sentence_spans
from ..corpus import Sentence, Span
from ..errors import InputFormatError, XlieError
from ..fileio import atomic_write
from .relx import split_words

EVENT = "EVENT"
INSTANCE = "MAKEINSTANCE"
METADATA = ("DOCID", "DCT")      # a document's id and creation time: never sentence text
_TAG = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![A-Za-z][^>]*>"
                  r"|<(/?)([A-Za-z_][\w.:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>", re.S)
_ATTR = re.compile(r"([A-Za-z_][\w.:-]*)\s*=\s*(\"[^\"]*\"|'[^']*')")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# what a record keeps for writing back (left out of any output but TimeML)
RAW_KEYS = ("xml", "before", "after")


@dataclass
class _Tag:
    start: int            # raw position of '<'
    end: int              # raw position after '>'
    name: str | None      # None: a comment, declaration or processing instruction
    closing: bool
    empty: bool           # <X/>
    attrs: dict[str, str]
    at: int               # position in the decoded text where it stands


def _unescape(s: str) -> str:
    def one(m: re.Match) -> str:
        e = m.group(1)
        if e[0] == "#":
            return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))
        return _NAMED[e]
    return _ENTITY.sub(one, s)


def _attrs(body: str) -> dict[str, str]:
    return {k: _unescape(v[1:-1]) for k, v in _ATTR.findall(body)}


def _scan(raw: str, a: int = 0, b: int | None = None) -> tuple[str, list[int], list[int], list[_Tag]]:
    """Decoded text of ``raw[a:b]``, the raw start and end of each of its characters, and
    its tags (each with the text position it stands at)."""
    b = len(raw) if b is None else b
    text: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    tags: list[_Tag] = []

    def add_text(p: int, q: int) -> None:
        k = p
        for m in _ENTITY.finditer(raw, p, q):
            for i in range(k, m.start()):
                text.append(raw[i]); starts.append(i); ends.append(i + 1)
            text.append(_unescape(m.group())); starts.append(m.start()); ends.append(m.end())
            k = m.end()
        for i in range(k, q):
            text.append(raw[i]); starts.append(i); ends.append(i + 1)

    cur = a
    for m in _TAG.finditer(raw, a, b):
        add_text(cur, m.start())
        name = m.group(2)
        tags.append(_Tag(m.start(), m.end(), name, bool(m.group(1)), bool(m.group(4)),
                         _attrs(m.group(3) or "") if name else {}, len(text)))
        cur = m.end()
    add_text(cur, b)
    return "".join(text), starts, ends, tags


_HYPHENS = "-\u2010"


def _words(text: str, cuts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Token offsets: :func:`split_words`, each word cut again before a hyphen between two
    letters (``revelar-se`` -> ``revelar`` ``-se``) and at the positions ``cuts``."""
    _, offsets = split_words(text)
    cuts = sorted(set(cuts) | {p for a, b in offsets for p in range(a + 1, b - 1)
                               if text[p] in _HYPHENS and text[p - 1].isalpha()
                               and text[p + 1].isalpha()})
    out = []
    for a, b in offsets:
        inner = cuts[bisect.bisect_right(cuts, a):bisect.bisect_left(cuts, b)]
        out += list(zip([a, *inner], [*inner, b]))
    return out


def _token_range(offsets: list[tuple[int, int]], a: int, b: int) -> tuple[int, int] | None:
    hit = [k for k, (s, e) in enumerate(offsets) if s < b and a < e]
    return (hit[0], hit[-1] + 1) if hit else None


def _events(tags: list[_Tag]) -> list[tuple[_Tag, int]]:
    """Each EVENT opening tag with the text position of its closing tag."""
    out, open_ = [], []
    for t in tags:
        if t.name != EVENT:
            continue
        if t.empty:
            out.append((t, t.at))
        elif not t.closing:
            open_.append(t)
        elif open_:
            o = open_.pop()
            out.append((o, t.at))
    return sorted(out, key=lambda x: x[0].start)


def _balanced(tags: list[_Tag]) -> bool:
    depth = 0
    for t in tags:
        if t.name is None or t.empty:
            continue
        depth += -1 if t.closing else 1
        if depth < 0:
            return False
    return depth == 0


class _Doc:
    """One TimeML file read whole: the raw text, its tags, and line numbers for messages."""

    def __init__(self, path: str | Path):
        self.path = path
        data = Path(path).read_bytes()
        try:
            self.raw = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[:e.start].count(b"\n") + 1
            raise InputFormatError(path, line, "UTF-8 text", repr(data[e.start:e.start + 8]),
                                   hint="TimeML files are UTF-8") from None
        try:
            self.root = ET.fromstring(data)
        except ET.ParseError as e:
            line = e.position[0] if getattr(e, "position", None) else None
            raise InputFormatError(path, line, "well-formed XML", str(e).split(":")[0],
                                   hint="a TimeML document is one XML element; check the tag "
                                   "named (an unclosed EVENT or TIMEX3, a stray '&' or '<')"
                                   ) from None
        self._newlines = [m.start() for m in re.finditer("\n", self.raw)]
        _, _, _, self.tags = _scan(self.raw)
        docid = self.root.find(".//DOCID")
        name = Path(path).name
        stem = name[:-4] if name.lower().endswith(".tml") else Path(path).stem
        self.doc = (docid.text or "").strip() if docid is not None and (docid.text or "").strip() \
            else stem
        self.eids: dict[str, int] = {}      # eid -> line of its EVENT, for duplicates
        self.instances: dict[str, list[dict[str, str]]] = {}
        for el in self.root.iter(INSTANCE):
            ev = el.get("eventID")
            if ev:
                self.instances.setdefault(ev, []).append(
                    {k: v for k, v in el.attrib.items() if k != "eventID"})

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self._newlines, pos - 1) + 1

    def _inner(self, name: str) -> list[tuple[int, int]]:
        """Raw ranges of the content of every ``name`` element (outermost ones)."""
        out, stack = [], []
        for t in self.tags:
            if t.name is None or t.empty:
                continue
            if not t.closing:
                stack.append(t)
            else:
                o = stack.pop()
                if o.name == name and not any(s.name == name for s in stack):
                    out.append((o.end, t.start))
        return out

    def _children(self) -> list[tuple[str, int, int, bool]]:
        """The root's child elements: (name, raw range of the content, holds an EVENT)."""
        out, stack = [], []
        for t in self.tags:
            if t.name is None:
                continue
            if t.empty:
                if len(stack) >= 2 and t.name == EVENT:
                    stack[1][1] = True
                continue
            if not t.closing:
                stack.append([t, False])
                if len(stack) >= 3 and t.name == EVENT:
                    stack[1][1] = True
            else:
                o, has = stack.pop()
                if len(stack) == 1:
                    out.append((o.name, o.end, t.start, has))
        return out

    def sentences(self) -> list[tuple[int, int]]:
        """Raw ranges of the sentences: the ``<s>`` elements, else the text of ``<TEXT>``
        and of any other element of the root that holds an EVENT (TimeBank marks events
        in some headlines), cut into sentences where no element is open."""
        found = self._inner("s")
        if found:
            return found
        regions = [(a, b) for name, a, b, has in self._children() if name == "TEXT" or has]
        if not regions:
            regions = self._root_text()
        pieces = [piece for a, b in regions for piece in self._split(a, b)]
        if not pieces and not any(name == "TEXT" for name, *_ in self._children()):
            raise InputFormatError(self.path, None, "a <TEXT> element (or <s> sentences) "
                                   "holding the document's text", "no text outside "
                                   f"{'/'.join(METADATA)}",
                                   hint="TimeML puts the document's text in <TEXT>")
        return pieces

    def _root_text(self) -> list[tuple[int, int]]:
        """Raw ranges of the root's content around its DOCID and DCT elements: the text of
        a document with no ``<TEXT>`` (its id and date are never part of a sentence)."""
        root = [t for t in self.tags if t.name is not None]
        cur, end = root[0].end, root[-1].start
        out, stack = [], []
        for t in self.tags:
            if t.name is None or t.empty or t.start < cur or t.end > end:
                continue
            if not t.closing:
                stack.append(t)
                continue
            o = stack.pop()
            if not stack and o.name in METADATA:
                out.append((cur, o.start))
                cur = t.end
        return out + [(cur, end)]

    def _split(self, a: int, b: int) -> list[tuple[int, int]]:
        text, starts, ends, tags = _scan(self.raw, a, b)
        offsets = _words(text, [t.at for t in tags if t.name == EVENT])
        if not offsets:
            return []
        cuts = [0, *[s for s, _ in sentence_spans([text[p:q] for p, q in offsets])[1:]],
                len(offsets)]
        pieces: list[tuple[int, int]] = []
        first = 0
        for k, nxt in zip(cuts[1:], cuts[2:] + [None]):
            ra, rb = self._extent(starts[offsets[first][0]], ends[offsets[k - 1][1] - 1], tags)
            inside = [t for t in tags if ra <= t.start and t.end <= rb]
            if nxt is None or _balanced(inside):
                pieces.append((ra, rb))
                first = k
        return pieces

    @staticmethod
    def _extent(ra: int, rb: int, tags: list[_Tag]) -> tuple[int, int]:
        """Widen a raw range over the opening tags right before it and the closing tags
        right after it (the element that holds its first or last word)."""
        by_end = {t.end: t for t in tags}
        by_start = {t.start: t for t in tags}
        while ra in by_end and not by_end[ra].closing and by_end[ra].name is not None \
                and not by_end[ra].empty:
            ra = by_end[ra].start
        while rb in by_start and by_start[rb].closing:
            rb = by_start[rb].end
        return ra, rb


def _sentence(doc: _Doc, k: int, a: int, b: int, lang: str | None) -> Sentence | None:
    text, _, _, tags = _scan(doc.raw, a, b)
    events = _events(tags)
    offsets = _words(text, [p for t, q in events for p in (t.at, q)])
    if not offsets:
        return None
    spans, records = [], []
    for tag, end in events:
        eid, cls = tag.attrs.get("eid"), tag.attrs.get("class")
        if not eid or not cls:
            raise InputFormatError(doc.path, doc.line(tag.start), "an EVENT with eid and class "
                                   "attributes", doc.raw[tag.start:tag.end])
        if eid in doc.eids:
            raise InputFormatError(doc.path, doc.line(tag.start), f"an eid of its own (eid "
                                   f"{eid!r} is already the EVENT of line {doc.eids[eid]})",
                                   doc.raw[tag.start:tag.end],
                                   hint="each EVENT needs its own eid: MAKEINSTANCE, TLINK "
                                   "and the projected events name events by it")
        doc.eids[eid] = doc.line(tag.start)
        r = _token_range(offsets, tag.at, end)
        if r is None:
            continue   # an EVENT around no word: kept in the XML, no span
        spans.append(Span(start=r[0], end=r[1], label=cls, id=eid))
        ev: dict[str, Any] = {"label": cls, "trigger": eid, "args": []}
        attrs = {k2: v for k2, v in tag.attrs.items() if k2 not in ("eid", "class")}
        if attrs:
            ev["attrs"] = attrs
        if eid in doc.instances:
            ev["instances"] = doc.instances[eid]
        records.append(ev)
    return Sentence(id=f"{doc.doc}-s{k}", lang=lang, tokens=[text[p:q] for p, q in offsets],
                    spans=spans, doc=doc.doc, text=text, offsets=[list(o) for o in offsets],
                    events=records, xml=doc.raw[a:b])


def read_timeml(path: str | Path, lang: str | None = None) -> Iterator[Sentence]:
    """The sentences of one TimeML document (see the module doc)."""
    doc = _Doc(path)
    out: list[Sentence] = []
    cur = 0
    for a, b in doc.sentences():
        s = _sentence(doc, len(out) + 1, a, b, lang)
        if s is None:
            continue      # a sentence with no words stays in the text around the others
        s.before = doc.raw[cur:a]
        cur = b
        out.append(s)
    if out:
        out[-1].after = doc.raw[cur:]
    yield from out


# --- writing -----------------------------------------------------------------------------

def _consistent(sent: Sentence) -> bool:
    text, offsets = getattr(sent, "text", None), getattr(sent, "offsets", None)
    return (isinstance(text, str) and isinstance(offsets, list)
            and len(offsets) == len(sent.tokens)
            and all(text[p:q] == t for (p, q), t in zip(offsets, sent.tokens)))


def _event_tag(span: Span, events: dict[str, dict], n: int) -> str:
    ev = events.get(str(span.id)) if span.id is not None else None
    attrs = {"eid": str(span.id) if span.id is not None else f"e{n}", "class": span.label}
    for k, v in ((ev or {}).get("attrs") or {}).items():
        if k not in attrs:
            attrs[k] = str(v)
    return "<EVENT " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + ">"


def _by_trigger(sent: Sentence) -> dict[str, dict]:
    return {str(e.get("trigger")): e for e in getattr(sent, "events", None) or []
            if isinstance(e, dict)}


def _with_events(raw: str, sent: Sentence) -> str:
    """The sentence's XML with its EVENT tags rebuilt around its spans (unchanged where
    the spans are those the XML marks)."""
    text, starts, ends, tags = _scan(raw)
    offsets = [tuple(o) for o in sent.offsets]
    marked = set()
    for tag, end in _events(tags):
        r = _token_range(offsets, tag.at, end)
        if r is not None:
            marked.add((r[0], r[1], tag.attrs.get("class"), tag.attrs.get("eid")))
    wanted = {(s.start, s.end, s.label, s.id) for s in sent.spans}
    if marked == wanted and len(wanted) == len(sent.spans):
        return raw
    drop = {(t.start, t.end) for t in tags if t.name == EVENT}
    events = _by_trigger(sent)
    inserts: list[tuple[int, int, str]] = []
    for n, s in enumerate(sorted(sent.spans, key=lambda s: (s.start, -s.end))):
        a, b = offsets[s.start][0], offsets[s.end - 1][1]
        inserts.append((starts[a], 1, _event_tag(s, events, n + 1)))
        inserts.append((ends[b - 1], 0, "</EVENT>"))
    pieces = sorted([(p, o, s) for p, o, s in inserts]
                    + [(t.start, 2, "") for t in tags if (t.start, t.end) in drop])
    out, cur = [], 0
    for p, order, s in pieces:
        if p < cur:
            continue
        out.append(raw[cur:p])
        cur = p
        if order == 2:          # a dropped EVENT tag: skip it
            cur = next(t.end for t in tags if t.start == p)
        else:
            out.append(s)
    out.append(raw[cur:])
    return "".join(out)


def _plain(sent: Sentence) -> str:
    """A sentence with no XML of its own: its tokens, EVENT tags around its spans."""
    events = _by_trigger(sent)
    opens: dict[int, list[str]] = {}
    closes: dict[int, int] = {}
    for n, s in enumerate(sorted(sent.spans, key=lambda s: (s.start, -s.end))):
        opens.setdefault(s.start, []).append(_event_tag(s, events, n + 1))
        closes[s.end - 1] = closes.get(s.end - 1, 0) + 1
    words = []
    for k, t in enumerate(sent.tokens):
        words.append("".join(opens.get(k, [])) + xml_escape(t) + "</EVENT>" * closes.get(k, 0))
    return " ".join(words)


def _body(sent: Sentence) -> str:
    raw = getattr(sent, "xml", None)
    if isinstance(raw, str) and _consistent(sent) and _scan(raw)[0] == sent.text:
        return _with_events(raw, sent)
    return _plain(sent)


def format_timeml(sentences: list[Sentence]) -> str:
    """The TimeML text of one document's sentences, in order."""
    if not sentences:
        return ""
    kept = all(isinstance(getattr(s, "before", None), str) and isinstance(getattr(s, "xml", None), str)
               for s in sentences) and isinstance(getattr(sentences[-1], "after", None), str)
    if kept:
        return "".join(s.before + _body(s) for s in sentences) + sentences[-1].after
    doc = getattr(sentences[0], "doc", None) or sentences[0].id
    lines = ['<?xml version="1.0" ?>', "<TimeML>", f"<DOCID>{xml_escape(str(doc))}</DOCID>",
             "<TEXT>"]
    lines += [f"<s>{_body(s)}</s>" for s in sentences]
    lines += ["</TEXT>", "</TimeML>", ""]
    return "\n".join(lines)


def write_timeml(path: str | Path, sentences: Iterable[Sentence], *inputs: str | Path | None) -> int:
    """Write one document atomically (never over ``inputs``); sentences of more than one
    document are an error (a ``.tml`` file holds one)."""
    sents = list(sentences)
    docs = list(dict.fromkeys(str(getattr(s, "doc", None)) for s in sents))
    if len(docs) > 1:
        raise XlieError(f"{path}: a TimeML file holds one document, these sentences come from "
                        f"{len(docs)} ({', '.join(docs[:3])}{', ...' if len(docs) > 3 else ''})",
                        "write JSONL, or write each document to its own .tml file")
    with atomic_write(path, *inputs) as f:
        f.write(format_timeml(sents))
    return len(sents)
