"""Training progress that is visible wherever the output goes: a tqdm bar on a terminal,
otherwise a plain line every ``log_every`` steps (and at least once a minute), and one line
per dev evaluation either way: step, loss, dev score, elapsed and remaining time."""
from __future__ import annotations

import sys
import time
from typing import Optional

from ..progress import progress, progress_enabled

MIN_SECONDS = 60.0


def clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class StepLog:
    """Progress of one training run; silent on every process but the main one."""

    def __init__(self, total_steps: int, start_step: int, max_epochs: int,
                 every: Optional[int], enabled: bool, metric: str):
        self.total, self.start, self.max_epochs = total_steps, start_step, max_epochs
        self.every = every or max(10, total_steps // 20)
        self.enabled, self.metric = enabled, metric
        self.t0 = self.t_line = time.monotonic()
        self.bar = None
        if enabled and progress_enabled():
            self.bar = progress(total=total_steps, initial=start_step, desc="train", unit="step")

    def _times(self, step: int) -> str:
        elapsed = time.monotonic() - self.t0
        done = step - self.start
        left = elapsed / done * max(0, self.total - step) if done > 0 else None
        return f"{clock(elapsed)} elapsed" + (f", <= {clock(left)} left" if left is not None else "")

    def _line(self, text: str) -> None:
        self.t_line = time.monotonic()
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def step(self, step: int, epoch: int, loss: float) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        elif step % self.every == 0 or time.monotonic() - self.t_line >= MIN_SECONDS:
            self._line(f"train: step {step}/{self.total} (epoch {epoch + 1}/{self.max_epochs}) "
                       f"loss {loss:.4f} | {self._times(step)}")

    def dev(self, step: int, epoch: int, loss: Optional[float], score: float,
            best: Optional[float], collapsed: bool) -> None:
        if not self.enabled:
            return
        loss_text = f"loss {loss:.4f} " if loss is not None else ""
        self._line(f"train: step {step}/{self.total} (epoch {epoch}/{self.max_epochs}) "
                   f"{loss_text}| dev {self.metric} {score:.2f} (best {best:.2f}) | "
                   f"{self._times(step)}" + (" | COLLAPSED: one label on ~all dev words"
                                             if collapsed else ""))

    def message(self, text: str) -> None:
        if self.enabled:
            self._line(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
