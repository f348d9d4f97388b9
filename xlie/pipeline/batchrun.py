"""Run a batch stage shard by shard: finished shards are kept in ``.NN-stage.partial/`` so an
interrupted run computes only the shards it had not finished, then the shards are joined
in order into the stage's output file."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from ..fileio import atomic_write
from ..progress import progress
from .shards import plan_chunks
from .stages import Stage, StageContext

FINGERPRINT = "FINGERPRINT"


def _shard(partial: Path, index: int) -> tuple[Path, Path]:
    return partial / f"shard-{index:06d}.jsonl", partial / f"shard-{index:06d}.counts.json"


def open_partial(partial: Path, fp: str, force: bool) -> bool:
    """Keep the work folder of an interrupted run of the same stage fingerprint (returns
    True), else start it empty; work of another config or input is worthless."""
    fp_file = partial / FINGERPRINT
    keep = (partial.exists() and not force and fp_file.exists()
            and fp_file.read_text(encoding="utf-8").strip() == fp)
    if partial.exists() and not keep:
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    if not keep:
        with atomic_write(fp_file) as f:
            f.write(fp + "\n")
    return keep and any(p.name != FINGERPRINT for p in partial.iterdir())


def run_batch_stage(st: Stage, ctx: StageContext, partial: Path, fp: str, shard_size: int,
                    engine, force: bool, echo: Callable[[str], None]) -> tuple[dict, dict]:
    """Write the stage output into ``ctx.out_dir``; returns (summed counts, metrics)."""
    src = ctx.inputs[st.needs[0]]
    open_partial(partial, fp, force)
    chunks = plan_chunks(src, shard_size)
    todo = [c for c in chunks if not all(p.exists() for p in _shard(partial, c.index))]
    if len(todo) < len(chunks):
        echo(f"  resuming: {len(chunks) - len(todo)} of {len(chunks)} shards already done")
    results = engine.map_chunks(st, ctx, src, todo)
    for res in progress(results, total=len(todo), desc=st.name, unit="shard"):
        text_path, counts_path = _shard(partial, res.index)
        with atomic_write(text_path) as f:
            f.write(res.text)
        with atomic_write(counts_path) as f:  # written last: marks the shard finished
            json.dump(res.counts, f)
    counts: dict[str, int] = {}
    out = ctx.out_dir / next(iter(st.outputs.values()))
    with atomic_write(out) as f:
        for c in chunks:
            text_path, counts_path = _shard(partial, c.index)
            with open(text_path, encoding="utf-8") as shard:
                shutil.copyfileobj(shard, f)
            for k, v in json.loads(counts_path.read_text(encoding="utf-8")).items():
                counts[k] = counts.get(k, 0) + v
    metrics = st.finalize(ctx, out) if st.finalize else {}
    return counts, metrics
