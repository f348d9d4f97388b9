"""`xlie models`: build and list the built-in offline models."""
from __future__ import annotations

import click

from ._group import XlieGroup


@click.group("models", cls=XlieGroup)
def models_cli():
    """Built-in models that xlie can build without a model hub."""


@models_cli.command("build")
@click.argument("name")
@click.option("--force", is_flag=True, help="Rebuild even if it is already in the cache.")
@click.option("--int8", is_flag=True, help="Also build its int8 encoder for `xlie align "
              "--dtype int8` (at the aligner's default layer; else built on first use).")
def build_cmd(name: str, force: bool, int8: bool):
    """Build a built-in model (e.g. e5-small) into $XLIE_HOME/models."""
    from ..models import build_builtin, is_built
    if is_built(name) and not force:
        from ..models.resolve import builtin_path
        click.echo(f"{name}: already built at {builtin_path(name)}")
    else:
        click.echo(f"building {name} ...", err=True)
        path = build_builtin(name, force=force)
        click.echo(f"{name}: built at {path}")
    if int8:
        from ..aligners.encoder import Encoder
        enc = Encoder(name, device="cpu", dtype="int8")
        if enc.dtype == "int8":
            click.echo(f"{name}: int8 encoder at {enc.int8_file}")


@models_cli.command("list")
def list_cmd():
    """List the built-in models and whether each is built."""
    from ..models import BUILTIN_MODELS, is_built
    for name, m in BUILTIN_MODELS.items():
        state = "built" if is_built(name) else "not built"
        click.echo(f"{name}\t{state}\talign layer {m.align.layer}\t{m.description}")
