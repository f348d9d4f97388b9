"""Load what projection needs, from either input form, with file:line errors:

* one JSONL corpus whose records carry ``translation`` and ``alignment``; or
* a source annotation file (JSONL, CoNLL, CoNLL-U) + a target file (one pretokenized
  sentence per line, or a JSONL/CoNLL/CoNLL-U file to take tokens from) + a Pharaoh file
  of 0-indexed ``i-j`` links, optionally with a file of link probabilities (one line per
  pair, one number per link in the same order, as awesome-align's ``--output_prob_file``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator


from ..corpus import Sentence, Translation
from ..errors import InputFormatError
from ..fileio import iter_lines
from ..formats.detect import detect_format, known_extension, read_any
from ..formats.jsonl import read_jsonl, validate_sentence
from .links import Links

_LINK = re.compile(r"^(\d+)-(\d+)$")


@dataclass
class Pair:
    source: Sentence
    tgt_tokens: list[str] | None
    translation: Any
    links: Links | None
    where: str  # file:line of the record, for messages
    target_surface: dict | None = None  # a CoNLL-U target's comments, multiword lines, MISC


def conllu_surface(sent: Sentence) -> dict | None:
    """What a CoNLL-U target sentence says about its surface (comments, multiword tokens,
    MISC such as SpaceAfter=No), without its annotation columns: the silver output keeps
    the target's text as it was and adds only projected columns, never the target's gold."""
    kept = getattr(sent, "conllu", None)
    if not kept:
        return None
    blank = ["_"] * 6
    return {**kept, "columns": [blank + [c[-1]] for c in kept["columns"]]}


def make_links(triples, n_src: int, n_tgt: int, path, line) -> Links:
    try:
        return Links.from_triples(triples, n_src, n_tgt)
    except (ValueError, TypeError, IndexError) as e:
        raise InputFormatError(path, line, f"alignment links within the sentence ({e})",
                               hint="was the alignment made for these tokens?") from None


def check_source_tree(sent: Sentence, path, line: int | None) -> None:
    """A source tree must be one, or part of one: projection builds on its root (MST would
    label a non-root arc ``root``) and the heuristic copies its arcs (a cycle included)."""
    from ..trees import tree_problems
    if sent.heads is None:
        return
    problems = set(tree_problems(sent.heads))
    if "partial" in problems:   # silver: arcs may be unknown, so the root may be too
        problems.discard("no_root")
    problems.discard("partial")
    if problems:
        where = "" if line is not None else f" (sentence {sent.id})"
        raise InputFormatError(path, line, f"a source dependency tree{where}: one root, no "
                               "cycle, no word its own head",
                               f"{', '.join(sorted(problems))}; heads {sent.heads}",
                               hint="fix the HEAD column of the source")


def _from_corpus(path: str | Path) -> Iterator[Pair]:
    for line, rec in read_jsonl(path):
        sent = validate_sentence(rec, path, line)
        check_source_tree(sent, path, line)
        tr = sent.translation
        toks = (tr.tokens or tr.text.split()) if tr is not None else None
        links = None
        if toks is not None and sent.alignment is not None:
            links = make_links(sent.alignment, len(sent.tokens), len(toks), path, line)
        yield Pair(sent, toks, tr, links, f"{path}:{line}")


def _target_lines(path: str | Path, lang: str | None
                  ) -> Iterator[tuple[int, list[str], dict | None]]:
    if known_extension(path) or detect_format(path, sniff=True, text=True) == "relx":
        for k, s in enumerate(read_any(path, lang=lang)):
            yield k + 1, s.tokens, conllu_surface(s)
        return
    for line, text, raw in iter_lines(path):
        if text is None:
            raise InputFormatError(path, line, "valid UTF-8 text", raw.decode("utf-8", "replace"))
        yield line, text.split(), None


def _pharaoh_lines(path, probs) -> Iterator[tuple[int, list[tuple[int, int, float]]]]:
    prob_lines = iter_lines(probs) if probs else None
    for line, text, raw in iter_lines(path):
        if text is None:
            raise InputFormatError(path, line, "valid UTF-8 text", raw.decode("utf-8", "replace"))
        pairs = []
        for item in text.split():
            m = _LINK.match(item)
            if not m:
                raise InputFormatError(path, line, "0-indexed links written 'i-j'", item)
            pairs.append((int(m.group(1)), int(m.group(2))))
        ps = [1.0] * len(pairs)
        if prob_lines is not None:
            got = next(prob_lines, None)
            if got is None:
                raise InputFormatError(probs, line, f"a line of probabilities for {path}:{line}")
            try:
                ps = [float(x) for x in (got[1] or "").split()]
            except ValueError:
                raise InputFormatError(probs, line, "numbers", got[1]) from None
            if len(ps) != len(pairs):
                raise InputFormatError(probs, line, f"{len(pairs)} probabilities, one per link "
                                       f"of {path}:{line}", got[1])
            bad = next((p for p in ps if not 0.0 <= p <= 1.0), None)   # nan is not either
            if bad is not None:
                raise InputFormatError(probs, line, "probabilities between 0 and 1", str(bad))
        yield line, [(i, j, p) for (i, j), p in zip(pairs, ps)]


def _from_files(source, target, alignment, probs, src_format, lang, tgt_lang) -> Iterator[Pair]:
    sources = read_any(source, src_format, lang=lang)
    targets = _target_lines(target, tgt_lang)
    aligns = _pharaoh_lines(alignment, probs)
    k = 0
    for sent in sources:
        k += 1
        check_source_tree(sent, source, None)
        tgt, al = next(targets, None), next(aligns, None)
        if tgt is None or al is None:
            short = target if tgt is None else alignment
            raise InputFormatError(short, None, f"a line for sentence {k} of {source}",
                                   "end of file", hint="the files must have one line per "
                                   "source sentence")
        tline, toks, surface = tgt
        aline, triples = al
        links = make_links(triples, len(sent.tokens), len(toks), alignment, aline)
        tr = Translation(lang=tgt_lang, text=" ".join(toks), tokens=toks)
        yield Pair(sent, toks, tr, links, f"{source} sentence {k}", surface)
    for path, rest in ((target, targets), (alignment, aligns)):
        extra = next(rest, None)
        if extra is not None:
            raise InputFormatError(path, extra[0], f"{k} lines, one per sentence of {source}",
                                   "a line more")


def load_pairs(input: str | Path, target: str | Path | None = None,
               alignment: str | Path | None = None, probs: str | Path | None = None,
               src_format: str | None = None, lang: str | None = None,
               tgt_lang: str | None = None) -> Iterator[Pair]:
    if target is None and alignment is None:
        return _from_corpus(input)
    if target is None or alignment is None:
        from ..errors import XlieError
        raise XlieError("a source annotation file needs both a target file and an alignment "
                        "file", "pass --target TGT.txt and --alignment ALIGN.pharaoh, or give "
                        "a JSONL corpus with translation and alignment")
    return _from_files(input, target, alignment, probs, src_format, lang, tgt_lang)
