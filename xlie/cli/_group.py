"""Click groups: error handling for XlieError, and a group with a default command so that
``xlie align IN OUT`` and ``xlie align eval GOLD PRED`` can live side by side."""
from __future__ import annotations

import signal
import sys

import click

from ..errors import XlieError


class XlieGroup(click.Group):
    """Turns an :class:`XlieError` into a message and hint on stderr and a non-zero exit, and
    Ctrl-C into exit 130, as shells expect (click's own handler exits 1)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlieError as e:
            click.secho(f"error: {e.message}", err=True, fg="red")
            if e.hint:
                click.echo(f"  hint: {e.hint}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(128 + signal.SIGINT)


def exit_on_sigterm() -> None:
    """Make SIGTERM (a scheduler's or `kill`'s stop) unwind like an exception, so open
    outputs remove their temporary files, and exit 143 as a shell user expects."""
    def stop(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)


class DefaultCommandGroup(XlieGroup):
    """A group that runs ``default_command`` when the first argument names no subcommand."""

    def __init__(self, *args, default_command: str = "run", **kwargs):
        super().__init__(*args, **kwargs)
        self.default_command = default_command

    def parse_args(self, ctx, args):
        if not args or args[0] in ("--help", "-h"):
            return super().parse_args(ctx, args)
        if args[0] not in self.commands:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx, formatter):
        cmd = self.commands.get(self.default_command)
        if cmd is not None:
            pieces = cmd.collect_usage_pieces(ctx)
            formatter.write_usage(ctx.command_path, " ".join(pieces))
            formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")
        else:
            super().format_usage(ctx, formatter)

    def format_help_text(self, ctx, formatter):
        super().format_help_text(ctx, formatter)
        cmd = self.commands.get(self.default_command)
        if cmd is not None:
            formatter.write_paragraph()
            with formatter.section(f"Options of the default command ({self.default_command})"):
                cmd.format_options(ctx, formatter)
