"""Claim: the run report `xlie run` writes at the end of every run costs little beside the
run (the Apertium demo must stay under 5 minutes, report included); figures: wall and CPU
seconds of `xlie report RUN_DIR` with and without tagging the test set again, the page's
size, its plots, and whether it names any URL.

    python benchmarks/report_cost.py RUN_DIR      # e.g. runs/demo-apertium after make demo

Each variant runs in a fresh Python process, as `xlie report` does (imports included).
"""
from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, table, write_section  # noqa: E402


def _run(run_dir: str, out: Path, predict: bool) -> tuple[float, float]:
    cmd = [sys.executable, "-c", "from xlie.cli import main; main()", "report", run_dir,
           "-o", str(out)] + ([] if predict else ["--no-predict"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for predict in (True, False):
            out = Path(tmp) / f"report-{predict}.html"
            wall, cpu = _run(args.run_dir, out, predict)
            text = out.read_text(encoding="utf-8")
            plots = re.findall(r'data-plot="([^"]+)"', text)
            urls = len(re.findall(r"(?:https?|ftp)://", text))
            rows.append(["xlie report" + ("" if predict else " --no-predict"), f"{wall:.1f}",
                         f"{cpu:.1f}", f"{len(text) / 1024:.0f}", len(plots), urls])
    body = "\n".join([
        f"### The run report: `xlie report {args.run_dir}`", "", f"Machine: {machine()}", "",
        "Each in a fresh process (imports of torch, transformers and matplotlib included); "
        "with prediction, the final and the source-only tagger tag the test set again "
        "(per-tag scores, confusion matrix, worst sentences).", "",
        table(["command", "wall s", "CPU s", "page KiB", "plots", "URLs in the page"], rows),
    ])
    write_section("report-cost", body)
    print(body)


if __name__ == "__main__":
    main()
