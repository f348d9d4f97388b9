"""Running a launcher (``accelerate launch``) as a child whose workers stop with xlie.

The launcher runs in a process group of its own. When xlie is interrupted (Ctrl-C, or an
error while waiting), the whole group gets SIGINT, then SIGTERM, then SIGKILL, a few seconds
apart. Killing only the launcher, as ``subprocess.run`` does, would leave its training
workers running on as orphans that nobody reads or stops.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Sequence

GRACE_S = 10.0   # how long each signal gets before the next, stronger one


def run_process_group(cmd: Sequence[str], env: dict | None = None, grace_s: float = GRACE_S) -> int:
    """Run ``cmd`` and return its exit status; on any interruption, stop its group and re-raise."""
    proc = subprocess.Popen(list(cmd), env=env, start_new_session=hasattr(os, "killpg"))
    try:
        return proc.wait()
    except BaseException:
        stop_group(proc, grace_s)
        raise


def stop_group(proc: subprocess.Popen, grace_s: float) -> None:
    if not hasattr(os, "killpg"):   # no process groups (Windows): the launcher alone
        proc.kill()
        proc.wait()
        return
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:   # the whole group is gone
            break
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and _group_alive(proc):
            time.sleep(0.1)
        if not _group_alive(proc):
            break
    proc.wait()


def _group_alive(proc: subprocess.Popen) -> bool:
    proc.poll()   # reap the launcher, or it would count as a member while a zombie
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True
