"""File helpers shared by every stage: atomic writes and line-numbered text reading."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, TypeVar

from .errors import OutputExistsError, XlieError


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
    os.chmod(tmp, 0o666 & ~current_umask())   # mkstemp makes 0600; others may need to read
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


T = TypeVar("T")


def write_each(path: str | Path, items: Iterable[T], render: Callable[[T], str],
               *inputs: str | Path | None) -> int:
    """Write ``render(item)`` for each item atomically (never over ``inputs``) and return how
    many were written: the one loop behind every text format's writer."""
    n = 0
    with atomic_write(path, *inputs) as f:
        for item in items:
            f.write(render(item))
            n += 1
    return n


def check_distinct_outputs(outputs: dict[str, str | Path | None]) -> None:
    """Refuse two outputs that name one file (``{option name: path}``): the second would
    overwrite the first without a word."""
    seen: dict[Path, str] = {}
    for name, path in outputs.items():
        if path is None or str(path) == "-":
            continue
        key = Path(path).resolve()
        if key in seen:
            raise XlieError(f"{seen[key]} and {name} both name {path}: one would overwrite the "
                            "other", "give each output its own path")
        seen[key] = name


UTF8_BOM = b"\xef\xbb\xbf"


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_temp_dir(prefix: str, parent: Path) -> Path:
    """``tempfile.mkdtemp`` with the mode a plain ``mkdir`` would give (mkdtemp makes 0700,
    so a directory renamed into place would be unreadable on shared storage)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(tmp, 0o777 & ~current_umask())
    return tmp


def iter_lines(path: str | Path) -> Iterator[tuple[int, str | None, bytes]]:
    """Yield ``(line_number, text, raw)`` for each line, 1-based, without the newline.
    ``text`` is None when the line is not valid UTF-8, so one bad line never stops a stream.
    A UTF-8 byte-order mark at the start of the file is dropped (Windows editors add one), so
    every reader treats it alike instead of keeping it inside the first token."""
    if str(path) == "-":
        f = sys.stdin.buffer
        close = False
    else:
        f = open(path, "rb")
        close = True
    try:
        for i, raw in enumerate(f, 1):
            raw = raw.rstrip(b"\n").rstrip(b"\r")
            if i == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM):]
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
