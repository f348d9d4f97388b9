"""The `xlie` command: a click group with one small module per command.

Each command module only parses options and calls one typed function of a stage package.
"""
from __future__ import annotations

import click

from ._group import XlieGroup, exit_on_sigterm
from .align import align_cli
from .convert import convert_cmd
from .demo import demo_cmd
from .models import models_cli
from .project import project_cli
from .report import report_cmd
from .run import run_cmd
from .selftrain import selftrain_cli
from .status import status_cmd
from .translate import translate_cli


@click.group(cls=XlieGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xlie")
def cli():
    """xlie: cross-lingual information extraction.

    translate -> align -> project -> self-train: make labeled data and taggers for a
    language without any, from English data.
    """


for command in (models_cli, align_cli, demo_cmd, translate_cli, project_cli, convert_cmd,
                selftrain_cli, run_cmd, status_cmd, report_cmd):
    cli.add_command(command)


def main() -> None:
    exit_on_sigterm()
    cli(prog_name="xlie")
