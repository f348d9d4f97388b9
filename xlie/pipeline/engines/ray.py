"""The Ray engine: a batch stage runs as Ray Data ``map_batches`` over its shards.

Each row of the dataset is one shard (a byte range of the input file, so the driver never
holds the corpus); an actor sets the stage up once and calls the same
:func:`~xlie.pipeline.shards.process_chunk` as the local engine. Rows come back in order
(``preserve_order``), so the output is byte-identical to a local run. On a cluster the input
and run folder must be on storage every node can read.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..config import RayConfig
from ..shards import Chunk, ChunkResult, process_chunk
from ..stages import Stage, StageContext


class _ShardWorker:
    """A Ray Data callable class: set up once per actor, one shard per call."""

    def __init__(self, stage: Stage, ctx: StageContext, path: str):
        self.stage, self.ctx, self.path = stage, ctx, path
        self.state = stage.setup(ctx.config, ctx) if stage.setup else None
        self.batch_size = getattr(ctx.config, "batch_size", 32)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts, counts = [], []
        for i in range(len(batch["index"])):
            chunk = Chunk(int(batch["index"][i]), int(batch["start"][i]),
                          int(batch["end"][i]), int(batch["first_line"][i]))
            res = process_chunk(self.stage, self.state, self.batch_size, self.path, chunk)
            texts.append(res.text)
            counts.append(json.dumps(res.counts))
        return {"index": batch["index"], "text": np.array(texts, dtype=object),
                "counts": np.array(counts, dtype=object)}


class RayEngine:
    name = "ray"

    def __init__(self, cfg: RayConfig):
        self.cfg = cfg
        self._started = False

    def __enter__(self) -> "RayEngine":
        return self

    def __exit__(self, *exc) -> None:
        if self._started:
            import ray
            ray.shutdown()
            self._started = False

    def _ensure_ray(self) -> None:
        import ray
        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": logging.WARNING}
        if self.cfg.runtime_env:
            kwargs["runtime_env"] = self.cfg.runtime_env
        if self.cfg.address:
            kwargs["address"] = self.cfg.address
        elif self.cfg.num_cpus:
            kwargs["num_cpus"] = self.cfg.num_cpus
        ray.init(**kwargs)
        self._started = True

    def map_chunks(self, stage: Stage, ctx: StageContext, path: Path,
                   chunks: list[Chunk]) -> Iterator[ChunkResult]:
        if not chunks:
            return
        self._ensure_ray()
        import ray.data

        dctx = ray.data.DataContext.get_current()
        dctx.execution_options.preserve_order = True
        dctx.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        rows = [{"index": c.index, "start": c.start, "end": c.end, "first_line": c.first_line}
                for c in chunks]
        ds = ray.data.from_items(rows, override_num_blocks=len(rows))
        ds = ds.map_batches(
            _ShardWorker, fn_constructor_args=(stage, ctx, str(path)), batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self.cfg.concurrency, len(rows))),
            num_cpus=self.cfg.num_cpus_per_worker, num_gpus=self.cfg.num_gpus_per_worker or None)
        for row in ds.iter_rows():
            yield ChunkResult(int(row["index"]), str(row["text"]), json.loads(row["counts"]))
