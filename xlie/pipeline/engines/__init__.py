"""Engines map a batch stage over the shards of its input: in process, or on Ray Data.

Both call :func:`xlie.pipeline.shards.process_chunk` and yield results in shard order, so the
runner writes the same bytes whichever engine ran.
"""
from __future__ import annotations

from ..config import PipelineRunConfig


def make_engine(run: PipelineRunConfig):
    """The engine named by ``run.engine``; use it as a context manager."""
    if run.engine == "ray":
        from .ray import RayEngine
        return RayEngine(run.ray)
    from .local import LocalEngine
    return LocalEngine()
