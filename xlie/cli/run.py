"""`xlie run CONFIG`: the whole pipeline from one YAML file."""
from __future__ import annotations

import click


@click.command("run")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config key (dotted, value read as YAML), e.g. --set align.layer=6. "
                   "Repeatable.")
@click.option("--from", "start", metavar="STAGE",
              help="Start at this stage; earlier stages are not checked, their finished "
                   "output is used as it is.")
@click.option("--until", metavar="STAGE", help="Stop after this stage.")
@click.option("--force", is_flag=True, help="Re-run the selected stages even if up to date.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary at the end.")
@click.pass_obj
def run_cmd(obj, config, overrides, start, until, force, as_json):
    """Run translate -> align -> project -> selftrain as CONFIG says.

    Each stage writes a folder in the run directory (01-translate/, 02-align/, 03-project/,
    04-selftrain/) with its output, manifest.json and a DONE marker. A stage whose manifest
    matches its inputs and config is skipped; an interrupted run resumes where it stopped.

    \b
    Example:
      xlie run configs/demo.yaml
      xlie run configs/demo.yaml --set align.layer=6 --set run_dir=runs/l6
      xlie run configs/demo.yaml --from project --until project
    """
    from ..pipeline import load_config, run_pipeline
    from ..pipeline.runner import format_metrics, result_json

    # the stages: the built-in ones, unless the caller's click context object names others
    cfg = load_config(config, list(overrides), stages=(obj or {}).get("stages"))
    result = run_pipeline(cfg, start=start, until=until, force=force,
                          echo=lambda s: click.echo(s, err=True))
    if as_json:
        click.echo(result_json(result))
        return
    for line in format_metrics(result.metrics):
        click.echo(line)
    click.echo(f"run directory: {result.run_dir}  (xlie status {result.run_dir})")
    if result.report is not None:
        click.echo(f"report: {result.report}  (open it in a browser)")
