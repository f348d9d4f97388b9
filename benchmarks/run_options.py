"""The command-line tail the projection benchmarks share: ``--cache`` for the links,
``--no-write`` for a dry run, and torch's thread count taken from ``--threads`` before any
model loads, so that a run's threads are always the ones its command line asked for."""
from __future__ import annotations

import argparse
from pathlib import Path


def parse_run_args(ap: argparse.ArgumentParser,
                   cache_help: str | None = "read/write the links here",
                   no_write_help: str | None = None) -> argparse.Namespace:
    """Add ``--cache`` and ``--no-write`` to ``ap`` (which must define ``--threads``), parse the
    command line and set torch's threads; returns the parsed arguments."""
    ap.add_argument("--cache", type=Path, help=cache_help)
    ap.add_argument("--no-write", action="store_true", help=no_write_help)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    return args
