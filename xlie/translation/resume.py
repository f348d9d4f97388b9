"""Output that survives interruption: records are appended to a hidden partial file beside
the output (flushed and fsynced window by window) and renamed to the output when complete.
A rerun with the same settings keeps the complete lines and continues after them.
A FIFO or a device as output is written straight through (nothing to resume, nothing
renamed over it)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Iterator

from ..fileio import check_output, is_special


class PartialOutput:
    def __init__(self, output: str | Path, settings_key: str, *inputs: str | Path):
        check_output(output, *inputs)
        self.output = Path(output)
        self.through = is_special(self.output)
        self.partial = self.output.parent / f".{self.output.name}.partial"
        self.meta = self.output.parent / f".{self.output.name}.partial.json"
        self.settings = settings_key
        self.fh: IO[str] | None = None

    def resumable(self) -> int:
        """Complete lines of a partial output written with the same settings (0 if none).
        A torn last line (killed mid-write) is cut off."""
        if self.through:
            return 0
        if not (self.partial.exists() and self.meta.exists()):
            return 0
        try:
            if json.loads(self.meta.read_text(encoding="utf-8")).get("settings") != self.settings:
                return 0
        except (OSError, ValueError):
            return 0
        n, good = 0, 0
        with open(self.partial, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break
                n += 1
                good += len(line)
        with open(self.partial, "r+b") as f:
            f.truncate(good)
        return n

    def done_ids(self) -> Iterator[str]:
        with open(self.partial, encoding="utf-8") as f:
            for line in f:
                yield str(json.loads(line).get("id"))

    def open(self, keep: bool) -> IO[str]:
        """Append to the kept partial output, or start a new one."""
        if self.through:
            self.fh = open(self.output, "w", encoding="utf-8", newline="\n")
            return self.fh
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if not keep:
            self.meta.write_text(json.dumps({"settings": self.settings}), encoding="utf-8")
        self.fh = open(self.partial, "a" if keep else "w", encoding="utf-8", newline="\n")
        return self.fh

    def commit(self, lines: list[str]) -> None:
        assert self.fh is not None
        self.fh.write("".join(line + "\n" for line in lines))
        self.fh.flush()
        if not self.through:   # a pipe or a device cannot be fsynced
            os.fsync(self.fh.fileno())

    def finish(self) -> None:
        if self.fh is not None:
            self.fh.close()
        if self.through:
            return
        os.replace(self.partial, self.output)
        self.meta.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the partial output and its settings (a run that cannot be resumed)."""
        self.close()
        if self.through:
            return
        self.partial.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    def close(self) -> None:
        if self.fh is not None and not self.fh.closed:
            self.fh.close()
