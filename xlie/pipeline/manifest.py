"""Stage manifests and done markers: what a finished stage read, wrote and took.

``manifest.json`` in each stage folder::

    {"stage": "align", "xlie_version": "0.1.0", "fingerprint": "9c1e...",
     "config": {"enabled": true, "batch_size": 32, "model": "e5-small", ...},
     "inputs": {"translation": {"path": "/data/en-de.jsonl", "sha256": "ab12..."}},
     "outputs": {"alignment": {"path": "aligned.jsonl", "sha256": "77f0..."}},
     "counts": {"records_in": 240, "records_out": 240, "links": 5210},
     "metrics": {}, "engine": "local",
     "timings": {"started": "2026-11-26T01:02:03Z", "finished": "...", "seconds": 41.2}}

The fingerprint hashes the stage name, the xlie version, the stage config, the input
hashes, the run's language pair and seed, and what each model the config names holds now; a stage whose ``DONE`` marker holds the fingerprint it would have now, and whose
outputs still hash as recorded, is skipped.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Optional

from .. import __version__
from ..fileio import atomic_write, dir_fingerprint

MANIFEST = "manifest.json"
DONE = "DONE"


def sha256_path(path: str | Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and contents, sorted)."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(sub.relative_to(path)).encode() + b"\0")
            h.update(sha256_path(sub).encode())
        return h.hexdigest()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(stage: str, config: dict, input_hashes: dict[str, str],
                extra: Optional[dict] = None) -> str:
    """What decides a stage's output: if this is unchanged, so is the output."""
    payload = {"stage": stage, "xlie_version": __version__, "config": config,
               "inputs": input_hashes, "extra": extra or {}}
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def model_identity(name: str) -> str:
    """A model named in a stage section, as it is now: a local directory (or a built-in
    model already built) by its files (names, sizes, first and last MiB), a hub id as
    written. Never builds or downloads anything."""
    from ..models.builtin import BUILTIN_MODELS
    from ..models.resolve import builtin_path
    p = Path(name).expanduser()
    if not p.is_dir() and name in BUILTIN_MODELS:
        p = builtin_path(name)
    if not p.is_dir():
        return f"name:{name}"
    return dir_fingerprint(p)


def write_manifest(folder: Path, manifest: dict) -> None:
    with atomic_write(folder / MANIFEST) as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False, sort_keys=False)
        f.write("\n")


def read_manifest(folder: Path) -> Optional[dict]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def mark_done(folder: Path, fp: str) -> None:
    """Written last: its presence means every other file of the folder is complete."""
    with atomic_write(folder / DONE) as f:
        f.write(fp + "\n")


def done_fingerprint(folder: Path) -> Optional[str]:
    try:
        return (folder / DONE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def is_up_to_date(folder: Path, fp: str) -> bool:
    """Done with this fingerprint, and every recorded output is present and unchanged."""
    if done_fingerprint(folder) != fp:
        return False
    man = read_manifest(folder)
    if not man or man.get("fingerprint") != fp:
        return False
    for out in man.get("outputs", {}).values():
        p = folder / out["path"]
        if not p.exists() or sha256_path(p) != out["sha256"]:
            return False
    return True


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def shown_counts(counts: dict) -> str:
    """A manifest's counts for the terminal: the per-label ones (``label:...``, read by the
    run report) are left out."""
    return ", ".join(f"{k} {v}" for k, v in counts.items() if not str(k).startswith("label:"))
