"""`xlie status RUN_DIR`: which stages of a run are done."""
from __future__ import annotations

import click


@click.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def status_cmd(obj, run_dir, as_json):
    """Show what is done in RUN_DIR: each stage's state, counts, time and metrics.

    \b
    Example:
      xlie status runs/demo
    """
    from ..pipeline.status import format_status, run_status, status_json

    rows = run_status(run_dir, stages=(obj or {}).get("stages"))
    click.echo(status_json(rows) if as_json else format_status(run_dir, rows))
