"""The run report: one self-contained HTML page per pipeline run (``xlie report RUN_DIR``).

collect.py reads a run directory into a typed summary, predictions.py scores the final
tagger word by word on the test set, plots.py draws SVG plots with matplotlib, page.py
renders the page. ``xlie run`` writes ``RUN_DIR/report.html`` at the end of every run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

REPORT = "report.html"


def write_report(run_dir: str | Path, output: Optional[str | Path] = None,
                 predict: bool = True) -> Path:
    """Write the report of ``run_dir`` to ``output`` (default ``RUN_DIR/report.html``)."""
    from ..fileio import atomic_write, check_output
    from .collect import collect, read_files
    from .page import render
    out = Path(output) if output is not None else Path(run_dir) / REPORT
    read = read_files(run_dir)
    check_output(out, *read)     # before anything is read or tagged; never over what it reads
    summary = collect(run_dir, predict=predict)
    with atomic_write(out, *read) as f:
        f.write(render(summary))
    return out


__all__ = ["REPORT", "write_report"]
