"""File helpers shared by every stage: atomic writes and line-numbered text reading."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import OutputExistsError


@contextlib.contextmanager
def atomic_write(path: str | Path, *inputs: str | Path | None, mode: str = "w") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it into place when done, so a
    crash never leaves half a file under the final name. ``-`` writes to stdout.
    Refuses to write over any of ``inputs``."""
    if str(path) == "-":
        yield sys.stdout if "b" not in mode else sys.stdout.buffer
        return
    check_not_input(path, *inputs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def iter_lines(path: str | Path) -> Iterator[tuple[int, str | None, bytes]]:
    """Yield ``(line_number, text, raw)`` for each line, 1-based, without the newline.
    ``text`` is None when the line is not valid UTF-8, so one bad line never stops a stream."""
    if str(path) == "-":
        f = sys.stdin.buffer
        close = False
    else:
        f = open(path, "rb")
        close = True
    try:
        for i, raw in enumerate(f, 1):
            raw = raw.rstrip(b"\n").rstrip(b"\r")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            yield i, text, raw
    finally:
        if close:
            f.close()


def check_not_input(output: str | Path, *inputs: str | Path | None) -> None:
    """Raise if ``output`` is the same file as one of ``inputs`` (nothing writes over an input)."""
    out = Path(output)
    if str(output) == "-":
        return
    for inp in inputs:
        if inp is None or str(inp) == "-":
            continue
        p = Path(inp)
        try:
            same = out.exists() and p.exists() and out.samefile(p)
        except OSError:
            same = False
        if same or out.resolve() == p.resolve():
            raise OutputExistsError(out)
