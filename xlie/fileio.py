"""File helpers shared by every stage: atomic writes and line-numbered text reading."""
from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, TypeVar

from .errors import OutputExistsError, XlieError


@contextlib.contextmanager
def atomic_write(path: str | Path, *inputs: str | Path | None, mode: str = "w") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it into place when done, so a
    crash never leaves half a file under the final name. ``-`` writes to stdout.
    Refuses to write over any of ``inputs``. A FIFO or a device (``/dev/null``, a pipe made
    with ``mkfifo``) is written through, never replaced by a regular file."""
    if str(path) == "-":
        yield sys.stdout if "b" not in mode else sys.stdout.buffer
        return
    check_output(path, *inputs)
    path = Path(path)
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    if is_special(path):
        with open(path, mode, **kwargs) as f:
            yield f
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _cannot_write(path, e) from None
    os.chmod(tmp, 0o666 & ~current_umask())   # mkstemp makes 0600; others may need to read
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def is_special(path: str | Path) -> bool:
    """True for an existing FIFO, device or socket (after links): a file to write through."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def _cannot_write(path: Path, err: OSError) -> XlieError:
    return XlieError(f"cannot write {path}: {err.strerror or err}",
                     "choose an output in a folder you can write to")


def check_output(path: str | Path, *inputs: str | Path | None, folder: bool = False) -> None:
    """Fail early, before any model loads, when ``path`` cannot be written: it is one of
    ``inputs``, a folder where a file is wanted (or a file where a ``folder`` is wanted), a
    special file given as a folder, or its nearest existing parent is a file or a folder this
    process cannot create files in. ``-`` (stdout) always passes."""
    if str(path) == "-":
        return
    check_not_input(path, *inputs)
    p = Path(path).expanduser().absolute()
    if p.exists():
        if p.is_dir() and not folder:
            raise XlieError(f"{path} is a folder, not a file", "give a file name for the output")
        if not p.is_dir() and folder:
            raise XlieError(f"{path} is a file, not a folder", "give a folder for the output")
        if is_special(p):
            if not os.access(p, os.W_OK):
                raise XlieError(f"cannot write {path}: permission denied", None)
            return
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise XlieError(f"cannot write {path}: {parent} is a file, not a folder",
                        "choose an output whose parent is a folder")
    try:   # a real probe: permission bits say nothing to root or of a read-only mount
        if not os.access(parent, os.W_OK | os.X_OK):
            raise PermissionError(13, "permission denied")
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise XlieError(f"cannot write {path}: cannot create files in {parent} "
                        f"({e.strerror or e})",
                        "choose an output in a folder you can write to") from None


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


def check_input(path: str | Path, what: str = "input") -> None:
    """A clear error, before anything loads, for an input that is missing, a folder, or
    unreadable (``-`` is stdin and always passes)."""
    if str(path) == "-":
        return
    p = Path(path)
    if not p.exists():
        raise XlieError(f"{path}: no such file", f"check the {what} path")
    if p.is_dir():
        raise XlieError(f"{path} is a folder, not a file", f"give the {what} file")
    if not os.access(p, os.R_OK):
        raise XlieError(f"{path}: permission denied", f"make the {what} readable")


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def apply_umask(path: str | Path) -> None:
    """Give every file and folder under ``path`` the mode a plain ``open``/``mkdir`` would:
    safetensors, accelerate and mkstemp write 0600 whatever the umask, so a model saved on
    shared storage would be unreadable to the others who share it."""
    mask = current_umask()
    root = Path(path)
    for p in [root, *root.rglob("*")] if root.is_dir() else [root]:
        if p.is_symlink():
            continue
        if p.is_dir():
            os.chmod(p, 0o777 & ~mask)
        elif p.is_file():
            os.chmod(p, 0o666 & ~mask)


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


def dir_fingerprint(path: Path, recursive: bool = True) -> str:
    """A directory's files as they are now: names, sizes, first and last MiB (cheap for
    GB-sized weights, yet two random models of the same shape differ). Files whose names
    start with a dot are left out."""
    import hashlib
    h = hashlib.sha256()
    found = path.rglob("*") if recursive else path.iterdir()
    for f in sorted(x for x in found if x.is_file() and not x.name.startswith(".")):
        size = f.stat().st_size
        h.update(f"{f.relative_to(path)}\x00{size}\x00".encode())
        with open(f, "rb") as fh:
            h.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(-(1 << 20), 2)
                h.update(fh.read())
    return "dir:" + h.hexdigest()[:32]
