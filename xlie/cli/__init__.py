"""The `xlie` command: a click group with one small module per command.

Each command module only parses options and calls one typed function of a stage package.
"""
from __future__ import annotations

import click

from ._group import XlieGroup, exit_on_sigterm


@click.group(cls=XlieGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xlie")
def cli():
    """xlie: cross-lingual information extraction.

    translate -> align -> project -> self-train: make labeled data and taggers for a
    language without any, from English data.
    """


def _register() -> None:
    from .models import models_cli
    cli.add_command(models_cli)
    # stage commands register here, one import each
    for module, attr in [
        ("xlie.cli.align", "align_cli"),
        ("xlie.cli.demo", "demo_cmd"),
        ("xlie.cli.translate", "translate_cli"),
        ("xlie.cli.project", "project_cli"),
        ("xlie.cli.convert", "convert_cmd"),
        ("xlie.cli.selftrain", "selftrain_cli"),
        ("xlie.cli.run", "run_cmd"),
        ("xlie.cli.status", "status_cmd"),
    ]:
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError as e:
            if e.name == module:  # the command is not written yet
                continue
            raise
        cli.add_command(getattr(mod, attr))


_register()


def main() -> None:
    exit_on_sigterm()
    cli(prog_name="xlie")
