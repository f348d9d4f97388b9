"""The run directory's housekeeping: one runner at a time, leftovers of a crash removed,
stage folders swapped into place whole."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import XlieError
from .manifest import fsync_dir

LOCK = ".lock"


class RunLock:
    """An exclusive lock file holding the runner's pid; a lock of a dead process is taken over."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK

    def __enter__(self) -> "RunLock":
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pid = read_pid(self.path)
                if pid is not None and pid != os.getpid() and alive(pid):
                    raise XlieError(f"{self.path.parent} is in use by another xlie run (pid {pid})",
                                    "wait for it to finish, or use another run_dir") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            return self
        raise XlieError(f"cannot lock {self.path.parent}", "remove its .lock file")

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(run_dir: Path) -> None:
    """Remove half-written stage folders of a crashed run (``.partial`` shards are kept)."""
    for p in Path(run_dir).iterdir():
        if p.is_dir() and p.name.startswith(".") and p.name.endswith((".tmp", ".old")):
            shutil.rmtree(p)


def commit_folder(tmp: Path, folder: Path) -> None:
    """Swap a complete ``tmp`` folder into ``folder``: the old one stays until the new is in."""
    old = folder.with_name(f".{folder.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    fsync_dir(folder.parent)
    if old.exists():
        shutil.rmtree(old)
