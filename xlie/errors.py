"""Every user-facing error of xlie.

Each error carries a message (what went wrong) and a hint (what to do next). The CLI prints
both and exits non-zero; Python callers catch :class:`XlieError`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable


class XlieError(Exception):
    """Base class: a message and a hint for what to do next."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class InputFormatError(XlieError):
    """A line of an input file is not what its format expects."""

    def __init__(self, path: str | Path | None, line: int | None, expected: str,
                 got: str | None = None, hint: str | None = None):
        self.path = str(path) if path is not None else "<input>"
        self.line = line
        self.expected = expected
        self.got = got
        where = f"{self.path}:{line}" if line is not None else self.path
        msg = f"{where}: expected {expected}"
        if got is not None:
            shown = got if len(got) <= 80 else got[:77] + "..."
            msg += f", got {shown!r}"
        super().__init__(msg, hint)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


class UnknownNameError(XlieError):
    """A component was asked for by a name that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        super().__init__(f"unknown {kind} {name!r}",
                         f"choose one of: {', '.join(known)}")
        self.kind, self.name, self.known = kind, name, known


class ModelNotFoundError(XlieError):
    """A model name is neither a local directory, a built-in model, nor reachable on the hub.

    ``builtin``: the built-in names to suggest (``xlie.models.resolve.model_not_found`` fills
    them in, so this module imports nothing of xlie)."""

    def __init__(self, name: str, reason: str | None = None, builtin: Iterable[str] = ()):
        msg = f"cannot load model {name!r}"
        if reason:
            msg += f": {reason}"
        hint = "pass a local model directory or a Hugging Face hub id (needs network access)"
        if builtin:
            hint = ("pass a local model directory, a Hugging Face hub id (needs network access), "
                    f"or a built-in name ({', '.join(sorted(builtin))}); build a built-in "
                    "one ahead of time with `xlie models build NAME`")
        super().__init__(msg, hint)


class ModelBuildError(XlieError):
    """The offline encoder could not be rebuilt or failed verification."""


class OutputExistsError(XlieError):
    """Refuse to write over an input file."""

    def __init__(self, path: str | Path):
        super().__init__(f"refusing to write over input file {path}",
                         "choose a different output path")


class ConfigError(XlieError):
    """A configuration key is unknown, mistyped or invalid."""

    def __init__(self, path: str | Path | None, key: str, problem: str):
        where = f"{path}: " if path else ""
        super().__init__(f"{where}config key {key!r}: {problem}", self.hint_for(path, key))
        self.path, self.key, self.problem = path, key, problem

    @staticmethod
    def hint_for(path: str | Path | None, key: str) -> str:
        """What to fix, by where the value came from: a ``--set`` item (``path`` reads
        ``--set ITEM`` or ``FILE (--set ITEM)``), a config file, or a command's option."""
        origin = str(path) if path else ""
        if "--set " in origin:
            return "fix or drop that --set item"
        if origin:
            return f"fix the key in {origin} or override it with --set KEY=VALUE"
        option = _option_for(key.rsplit(".", 1)[-1])
        if option is None:
            return "fix the value given for it (see the command's --help)"
        return f"fix the value given for it (the command's option {option})"


def _option_for(name: str) -> str | None:
    """The running click command's option that fills the setting ``name`` (``weights`` ->
    ``--weight``), or None when none does: never a guessed flag the command lacks."""
    try:
        import click
    except ImportError:      # pragma: no cover - click is a dependency
        return None
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    flag = "--" + name.replace("_", "-")
    for param in ctx.command.params:
        opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
        if isinstance(param, click.Option) and (param.name == name or flag in opts):
            return opts[0] if opts else None
    return None

