"""The launcher's workers stop with xlie: an interrupted `xlie run` leaves no orphans."""
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")

# a "launcher" that starts a "worker" (which records its pid) and waits for it, as
# accelerate launch does
LAUNCHER = """
import subprocess, sys
w = subprocess.Popen([sys.executable, "-c",
    "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)",
    sys.argv[1]])
w.wait()
"""
# xlie's side: runs the launcher through run_process_group
PARENT = """
import sys
from xlie.pipeline.launch import run_process_group
run_process_group([sys.executable, "-c", sys.argv[1], sys.argv[2]], grace_s=2)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_interrupting_xlie_stops_the_launchers_workers(tmp_path):
    pid_file = tmp_path / "worker.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, LAUNCHER, str(pid_file)])
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    assert alive(worker)
    parent.send_signal(signal.SIGINT)            # Ctrl-C reaches xlie alone
    assert parent.wait(timeout=30) != 0          # KeyboardInterrupt, re-raised
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)


def test_a_finished_launcher_gives_its_exit_status():
    from xlie.pipeline.launch import run_process_group
    assert run_process_group([sys.executable, "-c", "raise SystemExit(3)"]) == 3
