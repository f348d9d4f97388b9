"""Shards of a batch stage's input: byte ranges of a JSONL file, processed the same way by
every engine, so local and Ray runs write the same bytes.

A shard is ``shard_size`` records; within it the stage's ``process_batch`` sees batches of
``batch_size`` records. Shards are the unit of resume: a finished shard is kept on disk and
not computed again after an interruption.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


from ..formats.jsonl import dumps, parse_line, validate_sentence
from .stages import Stage


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int        # byte offset of the first line
    end: int          # byte offset after the last line
    first_line: int   # 1-based line number of the first line


@dataclass
class ChunkResult:
    index: int
    text: str                 # the output JSON lines of the shard, newline-terminated
    counts: dict[str, int]


def plan_chunks(path: str | Path, shard_size: int) -> list[Chunk]:
    """Split a JSONL file into shards of ``shard_size`` non-blank lines (one pass, no parse)."""
    chunks: list[Chunk] = []
    start, first, n, pos, lineno = 0, 1, 0, 0, 0
    with open(path, "rb") as f:
        for raw in f:
            lineno += 1
            pos += len(raw)
            if raw.strip():
                n += 1
            if n == shard_size:
                chunks.append(Chunk(len(chunks), start, pos, first))
                start, first, n = pos, lineno + 1, 0
    if n:
        chunks.append(Chunk(len(chunks), start, pos, first))
    return chunks


def read_chunk(path: str | Path, chunk: Chunk) -> list[dict[str, Any]]:
    """The validated records of a shard; a bad line raises with file and line number."""
    with open(path, "rb") as f:
        f.seek(chunk.start)
        data = f.read(chunk.end - chunk.start)
    records = []
    for k, raw in enumerate(data.split(b"\n")):
        line = chunk.first_line + k
        rec = parse_line(path, line, raw)
        if rec is None:
            continue
        validate_sentence(rec, path, line)
        records.append(rec)
    return records


def process_chunk(stage: Stage, state: Any, batch_size: int, path: str | Path,
                  chunk: Chunk) -> ChunkResult:
    """Run ``stage.process_batch`` over one shard; the one code path of every engine."""
    records = read_chunk(path, chunk)
    out: list[str] = []
    counts: dict[str, int] = {"records_in": len(records)}
    for i in range(0, len(records), batch_size):
        res = stage.process_batch(state, records[i:i + batch_size])
        out.extend(dumps(r) for r in res.records)
        for k, v in res.counts.items():
            counts[k] = counts.get(k, 0) + v
    counts["records_out"] = len(out)
    return ChunkResult(chunk.index, "".join(line + "\n" for line in out), counts)
