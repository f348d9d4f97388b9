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
    from ..fileio import atomic_write
    from .collect import collect
    from .page import render
    summary = collect(run_dir, predict=predict)
    out = Path(output) if output is not None else Path(run_dir) / REPORT
    with atomic_write(out) as f:
        f.write(render(summary))
    return out


__all__ = ["REPORT", "write_report"]
