"""Progress a run reports on stdout when it is no terminal (a log file, a pipe, a job
scheduler), where the bar (stderr, on a terminal) is not seen: a line every few steps with the
step, the losses, and elapsed and remaining time. Each evaluation gets a line in any case."""
from __future__ import annotations

import sys
import time


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class ProgressLines:
    """Writes on ``stream`` (stdout) from the main process (``enabled``); step lines only when
    the stream is no terminal."""

    def __init__(self, total: int, start: int, every: int, enabled: bool, stream=None):
        self.total, self.start, self.every, self.enabled = total, start, max(1, every), enabled
        self.stream = stream or sys.stdout
        self.step_lines = enabled and not (hasattr(self.stream, "isatty") and self.stream.isatty())
        self.t0 = time.perf_counter()

    def emit(self, text: str) -> None:
        if self.enabled:
            print(f"align train: {text}", file=self.stream, flush=True)

    def timing(self, step: int) -> str:
        """Elapsed, and remaining at the pace of this session's steps so far."""
        elapsed = time.perf_counter() - self.t0
        done = step - self.start
        left = f", ~{duration(elapsed / done * (self.total - step))} left" if done > 0 else ""
        return f"{duration(elapsed)} elapsed{left}"

    def step(self, step: int, losses: dict[str, float], weights: dict[str, float], lr: float) -> None:
        if not self.step_lines or (step % self.every and step != self.total):
            return
        total_loss = sum(weights.get(k, 1.0) * v for k, v in losses.items())
        parts = " ".join(f"{k} {v:.3f}" for k, v in losses.items())
        self.emit(f"step {step}/{self.total} ({100 * step / self.total:.0f}%), loss "
                  f"{total_loss:.4f} ({parts}), lr {lr:.2e}, {self.timing(step)}")

    def evaluation(self, step: int, entry: dict, key: str, best: bool) -> None:
        figures = []
        if "aer" in entry:
            how = (f" (threshold {entry['threshold']:g}, band {entry.get('band') or 'none'})"
                   if entry.get("threshold") is not None else "")
            figures.append(f"AER {100 * entry['aer']:.2f}{how}")
        if "heldout_loss" in entry:
            figures.append(f"held-out loss {entry['heldout_loss']:.4f}")
        mark = f" (best {key.replace('_', ' ')} so far)" if best else ""
        self.emit(f"step {step}: {', '.join(figures)}{mark}, {self.timing(step)}")
