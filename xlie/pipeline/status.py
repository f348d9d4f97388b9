"""What a run directory holds: per stage, done or not, counts, timings and metrics."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from ..errors import XlieError
from .manifest import done_fingerprint, read_manifest, shown_counts
from .rundir import LOCK, alive, read_pid
from .registry import stages_of
from .stages import Stage


@dataclass
class StageStatus:
    name: str
    folder: str
    state: str                       # done | running | partial | incomplete | not run
    seconds: Optional[float] = None
    finished: Optional[str] = None
    counts: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    shards_done: int = 0


def running_pid(run_dir: str | Path) -> Optional[int]:
    """The pid of a live runner holding the run directory's lock, if any."""
    pid = read_pid(Path(run_dir) / LOCK)
    return pid if pid is not None and alive(pid) else None


def run_status(run_dir: str | Path, stages: Optional[Iterable[Stage]] = None) -> list[StageStatus]:
    """Read the run folder for ``stages`` (default: the built-in ones); never runs or
    changes anything."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise XlieError(f"no run directory at {run_dir}", "give the run_dir of a config that ran")
    live = running_pid(run_dir) is not None
    out = []
    for st in stages_of(stages).values():
        folder = run_dir / st.dirname
        partial = run_dir / f".{st.dirname}.partial"
        man = read_manifest(folder)
        if done_fingerprint(folder) and man:
            t = man.get("timings", {})
            out.append(StageStatus(st.name, st.dirname, "done", t.get("seconds"),
                                   t.get("finished"), man.get("counts", {}),
                                   man.get("metrics", {})))
        elif partial.is_dir():
            n = len(list(partial.glob("shard-*.counts.json")))
            out.append(StageStatus(st.name, st.dirname, "running" if live else "partial",
                                   shards_done=n))
        elif folder.exists() or any(run_dir.glob(f".{st.dirname}.*")):
            out.append(StageStatus(st.name, st.dirname, "incomplete"))
        else:
            out.append(StageStatus(st.name, st.dirname, "not run"))
    return out


def format_status(run_dir: str | Path, rows: list[StageStatus]) -> str:
    pid = running_pid(run_dir)
    lines = [f"run {run_dir}" + (f"  (in use by a running xlie, pid {pid})" if pid else "")]
    for r in rows:
        if r.state == "done":
            counts = shown_counts(r.counts)
            line = f"  {r.folder:<14} done     {r.seconds or 0:8.1f} s  {r.finished}  {counts}"
            for k, v in r.metrics.items():
                shown = f"{v:.2f}" if isinstance(v, float) else str(v)
                line += f"\n  {'':<14} {k}: {shown}"
        elif r.state == "running":
            done = f": {r.shards_done} shard(s) finished" if r.shards_done else ""
            line = f"  {r.folder:<14} running{done}"
        elif r.state == "partial":
            done = f"{r.shards_done} shard(s) finished" if r.shards_done else "interrupted"
            line = f"  {r.folder:<14} partial  {done}; `xlie run` resumes it"
        else:
            line = f"  {r.folder:<14} {r.state}"
        lines.append(line)
    from ..report import REPORT
    report = Path(run_dir) / REPORT
    if report.exists():
        lines.append(f"report: {report}  (open it in a browser; `xlie report {run_dir}` "
                     "writes it again)")
    return "\n".join(lines)


def status_json(rows: list[StageStatus]) -> str:
    return json.dumps([r.__dict__ for r in rows], indent=2)
