"""File-level alignment: parallel text in, Pharaoh (and optional side files) out.

Output is always line-for-line with the input: an unusable line gives an empty output line
and a warning naming file:line (or, with ``strict``, an error and a non-zero exit).
"""
from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..errors import InputFormatError
from ..fileio import atomic_write, check_distinct_outputs
from ..formats.parallel import ParallelPair, parse_parallel_line, read_parallel
from ..fileio import iter_lines
from ..progress import progress
from .api import Aligner
from ..batching import chunked
from .core import PairAlignment, unusable

log = logging.getLogger("xlie.align")


@dataclass
class AlignReport:
    pairs: int = 0
    aligned: int = 0
    skipped: list[str] = field(default_factory=list)  # "file:line: expected ..."


@dataclass
class _Item:
    pair: ParallelPair
    src_offsets: list | None = None
    tgt_offsets: list | None = None


def _raw_pairs(path, tokenizer: str, src_lang: str, tgt_lang: str) -> Iterator[_Item]:
    """Untokenized input: split each side with a word tokenizer that keeps offsets."""
    from ..translation.wordtok import get_word_tokenizer
    tok_src = get_word_tokenizer(tokenizer, src_lang)
    tok_tgt = get_word_tokenizer(tokenizer, tgt_lang)
    for line, text, _ in iter_lines(path):
        pair = parse_parallel_line(text, line)
        if pair.ok:
            src_text, tgt_text = text.split("|||", 1)
            src, so = tok_src(src_text.strip())
            tgt, to = tok_tgt(tgt_text.strip())
            yield _Item(ParallelPair(line, src, tgt), so, to)
        else:
            yield _Item(pair)


def check_outputs(output_path, prob_file=None, word_file=None, jsonl_file=None) -> None:
    """Each output its own file (checked before a model loads)."""
    check_distinct_outputs({"OUTPUT": output_path, "--output_prob_file": prob_file,
                            "--output_word_file": word_file, "--output-jsonl": jsonl_file})


def align_file(input_path: str | Path, output_path: str | Path, aligner: Aligner, *,
               prob_file: str | Path | None = None, word_file: str | Path | None = None,
               jsonl_file: str | Path | None = None, strict: bool = False,
               tokenize: str | None = None, src_lang: str = "en", tgt_lang: str = "en",
               chunk_size: int = 2048, warn: Callable[[str], None] | None = None) -> AlignReport:
    """Align every line of ``input_path``; returns counts and the skipped lines."""
    check_outputs(output_path, prob_file, word_file, jsonl_file)
    report = AlignReport()
    warn = warn or log.warning
    inputs = [input_path]
    if tokenize:
        items = _raw_pairs(input_path, tokenize, src_lang, tgt_lang)
    else:
        items = (_Item(p) for p in read_parallel(input_path))
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(atomic_write(output_path, *inputs))
        side = {name: stack.enter_context(atomic_write(p, *inputs))
                for name, p in (("prob", prob_file), ("word", word_file), ("jsonl", jsonl_file)) if p}
        bar = stack.enter_context(progress(desc="align", unit="pair"))
        for chunk in chunked(items, chunk_size):
            for item in chunk if strict else ():   # the first bad line, before any work
                p = item.pair
                why = p.error if not p.ok else unusable(p.src, p.tgt)
                if why:
                    raise InputFormatError(input_path, p.line, why)
            ok = [it for it in chunk if it.pair.ok]
            results = iter(aligner.align_pairs([(it.pair.src, it.pair.tgt) for it in ok]))
            for it in chunk:
                res = next(results) if it.pair.ok else PairAlignment(error=it.pair.error)
                if res.error:
                    msg = f"{input_path}:{it.pair.line}: expected {res.error}; wrote an empty line"
                    if strict:
                        raise InputFormatError(input_path, it.pair.line, res.error)
                    warn(msg)
                    report.skipped.append(msg)
                else:
                    report.aligned += 1
                report.pairs += 1
                _write(out, side, it, res)
            bar.update(len(chunk))
    return report


def _write(out, side: dict, it: _Item, res: PairAlignment) -> None:
    out.write(res.pharaoh() + "\n")
    if "prob" in side:
        side["prob"].write(" ".join(f"{p:.4f}" for _, _, p in res.links) + "\n")
    if "word" in side:
        src, tgt = it.pair.src, it.pair.tgt
        side["word"].write(" ".join(f"{src[i]}<sep>{tgt[j]}" for i, j, _ in res.links) + "\n")
    if "jsonl" in side:
        rec = {"line": it.pair.line, "src": it.pair.src, "tgt": it.pair.tgt,
               "alignment": [list(link) for link in res.links], "score": res.score}
        if it.src_offsets is not None:
            rec["src_offsets"], rec["tgt_offsets"] = it.src_offsets, it.tgt_offsets
        if res.error:
            rec["error"] = res.error
        side["jsonl"].write(json.dumps(rec, ensure_ascii=False) + "\n")
