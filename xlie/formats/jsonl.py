"""JSON Lines, one record per line; the corpus format of DESIGN.md.

Sample::

    {"id": "s1", "lang": "en", "tokens": ["John", "lives", "in", "Berlin"], "spans": [{"start": 0, "end": 1, "label": "PER"}]}
    {"id": "s2", "lang": "en", "tokens": ["Hello"], "spans": []}

Readers stream and report the file and line of anything that does not parse.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import ValidationError

from ..corpus import Sentence
from ..errors import InputFormatError
from ..fileio import iter_lines, write_each


def parse_line(path: str | Path, line: int, raw: bytes) -> dict[str, Any] | None:
    """One JSON Lines line -> a record (None for a blank line); anything else raises with
    file and line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFormatError(path, line, "valid UTF-8", raw.decode("utf-8", "replace")) from None
    if not text.strip():
        return None
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(path, line, f"a JSON object ({e.msg})", text) from None
    if not isinstance(rec, dict):
        raise InputFormatError(path, line, "a JSON object", text)
    return rec


def validate_sentence(rec: dict[str, Any], path: str | Path, line: int) -> Sentence:
    """A corpus record -> :class:`Sentence`, or an error naming the field, file and line."""
    try:
        sent = Sentence.model_validate(rec)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        raise InputFormatError(path, line, f"a corpus sentence ({loc}: {err['msg']})",
                               json.dumps(rec, ensure_ascii=False)) from None
    _check_relation_spans(sent, path, line)
    return sent


def _check_relation_spans(sent: Sentence, path: str | Path, line: int) -> None:
    """Every span a relation or event names (``head``, ``tail``, ``trigger``, an argument's
    ``span``) must be one of the sentence's spans (by ``id``, else ``{sentence id}-{k}``), or
    an entity the RELX reader found empty (``empty``): else it would be dropped unseen."""
    events = getattr(sent, "events", None)
    if events is not None and not (isinstance(events, list)
                                   and all(isinstance(e, dict) for e in events)):
        raise InputFormatError(path, line, "`events` to be a list of objects "
                               '({"label", "trigger", "args"})', json.dumps(events)[:80])
    if not sent.relations and not events:
        return
    known = {str(s.id) if s.id is not None else f"{sent.id}-{k}" for k, s in enumerate(sent.spans)}
    for n, ev in enumerate(events or []):   # an event's trigger is one of the spans
        if ev.get("trigger") is not None and str(ev["trigger"]) not in known:
            raise InputFormatError(path, line, f"event {n}'s trigger to name one of the spans "
                                   f"({', '.join(sorted(known)) or 'none'})",
                                   str(ev["trigger"]), hint="an event names its trigger span "
                                   "by the span's id")
        for a in ev.get("args") or []:      # and each argument one of the spans too
            ref = a.get("span") if isinstance(a, dict) else None
            if ref is None or str(ref) not in known:
                raise InputFormatError(path, line, f"event {n}'s arguments to be "
                                       '{"role", "span": id of one of the spans} '
                                       f"({', '.join(sorted(known)) or 'none'})",
                                       json.dumps(a)[:80], hint="an argument names its span "
                                       "by the span's id")
    if not sent.relations:
        return
    known |= {f"{sent.id}-{e}" for e in getattr(sent, "empty", None) or []}
    for n, rel in enumerate(sent.relations):
        refs = [(k, rel[k]) for k in ("head", "tail", "trigger") if rel.get(k) is not None]
        refs += [("args.span", a.get("span")) for a in rel.get("args") or []
                 if isinstance(a, dict) and a.get("span") is not None]
        for key, ref in refs:
            if str(ref) not in known:
                raise InputFormatError(path, line, f"relation {n}'s {key} to name one of the "
                                       f"spans ({', '.join(sorted(known)) or 'none'})",
                                       str(ref), hint="a relation names its spans by their id")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)``; blank lines are skipped, bad JSON raises."""
    for line, _, raw in iter_lines(path):
        rec = parse_line(path, line, raw)
        if rec is not None:
            yield line, rec


def read_corpus(path: str | Path) -> Iterator[Sentence]:
    """Stream validated corpus sentences."""
    for line, rec in read_jsonl(path):
        yield validate_sentence(rec, path, line)


def dumps(record: Any) -> str:
    if isinstance(record, Sentence):
        record = record.to_json()
    return json.dumps(record, ensure_ascii=False)


def write_jsonl(path: str | Path, records: Iterable[Any], *inputs: str | Path | None) -> int:
    """Write records atomically; refuses to write over ``inputs``. Returns the count."""
    return write_each(path, records, lambda rec: dumps(rec) + "\n", *inputs)
