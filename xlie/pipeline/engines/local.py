"""The in-process engine: one ``setup`` per stage, then the shards one after another."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..shards import Chunk, ChunkResult, process_chunk
from ..stages import Stage, StageContext


class LocalEngine:
    name = "local"

    def __enter__(self) -> "LocalEngine":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map_chunks(self, stage: Stage, ctx: StageContext, path: Path,
                   chunks: list[Chunk]) -> Iterator[ChunkResult]:
        """Yield each shard's result in order; the stage is set up only if there is work."""
        if not chunks:
            return
        state = stage.setup(ctx.config, ctx) if stage.setup else None
        batch_size = getattr(ctx.config, "batch_size", 32)
        for chunk in chunks:
            yield process_chunk(stage, state, batch_size, path, chunk)
