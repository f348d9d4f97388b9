"""Write a benchmark's figures into its own section of benchmarks/RESULTS.md.

Each benchmark owns one section, delimited by HTML comments, so benchmarks can be re-run
in any order without clobbering each other's figures.
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nFigures as seen by each script under `benchmarks/`; each section names its machine.\n"


def machine() -> str:
    """One line describing where the figures were measured."""
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        model = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        cpu = model or cpu
    except Exception:
        pass
    gpu = torch.cuda.is_available()
    dev = f"CUDA {torch.cuda.get_device_name(0)}" if gpu else "CPU only"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    # on the CPU other processes may share the cores: the load average says how much
    shared = "" if gpu else " (other processes may share the cores, so times are upper bounds)"
    return (f"{cpu}, {os.cpu_count()} cores, {dev}; torch {torch.__version__} "
            f"({torch.get_num_threads()} threads); load average at write {load}{shared}; "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``body`` (Markdown)."""
    begin, end = f"<!-- begin:{name} -->", f"<!-- end:{name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:   # a new section, with the anchor the summary's links point at
        text = text.rstrip() + f'\n\n<a id="{name}"></a>\n' + block
    path.write_text(text, encoding="utf-8")


def publish(name: str, text: str, write: bool = True) -> None:
    """Print a benchmark's section and, unless it is a dry run (``--no-write``), write it as
    the section ``name`` of RESULTS.md: what a run prints is what it wrote."""
    print(text)
    if write:
        write_section(name, text)


def mean_spread(xs: list[float]) -> str:
    """Mean ± sample standard deviation over seeds (the value alone for one seed)."""
    if len(xs) == 1:
        return f"{xs[0]:.2f}"
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}"


def table(header: list[str], rows: list[list]) -> str:
    def fmt(x):
        return f"{x:.2f}" if isinstance(x, float) else str(x)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)
