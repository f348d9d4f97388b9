"""`xlie report RUN_DIR`: one self-contained HTML page of a pipeline run."""
from __future__ import annotations

import click


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-o", "--out", "output", type=click.Path(dir_okay=False),
              help="The HTML file to write (default: RUN_DIR/report.html).")
@click.option("--no-predict", is_flag=True,
              help="Do not tag the test set again (no per-tag scores, confusion matrix or "
                   "worst test sentences for POS); quicker.")
def report_cmd(run_dir, output, no_predict):
    """Write one HTML page about RUN_DIR: config and versions, each stage's counts and
    times, projection losses, link and span score distributions, MT unknown words, training
    curves, per-label scores, with-silver against source-only, and the worst sentences.
    The page fetches nothing: open it offline or mail it.

    \b
    Example:
      xlie report runs/demo-apertium -o report.html
    """
    from ..report import write_report
    out = write_report(run_dir, output, predict=not no_predict)
    click.echo(f"report: {out}")
