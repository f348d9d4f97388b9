"""How long a run trains, at what learning rate, and which pairs it holds out, when the
config leaves them open: the same command must learn on a thousand pairs and on a million.

On 1,250 en-cs pairs, two epochs at lr 1e-4 learned best on the dev split (benchmarks/
RESULTS.md, ``align_finetune_dev_xlie``); the paper's one epoch at 2e-5, made for millions of
pairs, gained almost nothing there. So a run is two epochs long, at least ``MIN_STEPS`` (a
few hundred pairs still get enough updates) and at most ``MAX_STEPS`` (64,000 pairs seen:
the gain comes early, and a million pairs would otherwise train for days). The learning rate
is 1e-4 up to ``BASE_STEPS`` steps and falls as 1/sqrt(steps) beyond, to reach the paper's
2e-5 at ``MAX_STEPS``: a longer run takes more, smaller steps. Without a gold set, a slice of
the pairs (``HOLDOUT``) is held out to score the aligning losses on: it shows convergence and
chooses ``best/``, and with ``patience`` set it stops the run once they no longer fall (off by
default: on en-cs the dev AER kept improving after the point where it would have stopped).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence, TypeVar

from .config import AlignTrainConfig

EPOCHS = 2.0
MIN_STEPS, MAX_STEPS = 100, 8000
BASE_LR, BASE_STEPS = 1e-4, 320
HOLDOUT, HOLDOUT_MIN, HOLDOUT_MAX = 0.05, 16, 200
EVALS_PER_RUN = 10

T = TypeVar("T")


@dataclass(frozen=True)
class RunPlan:
    steps: int
    lr: float
    eval_every: int
    why: str      # one line for the log: where the figures came from

    def settings(self) -> dict:
        return {"max_steps": self.steps, "lr": self.lr, "eval_every": self.eval_every}


def auto_lr(steps: int) -> float:
    """1e-4 up to 320 steps, then 1e-4 * sqrt(320 / steps): 2e-5 at 8,000."""
    return BASE_LR * min(1.0, math.sqrt(BASE_STEPS / max(1, steps)))


def plan_run(cfg: AlignTrainConfig, steps_per_epoch: int) -> RunPlan:
    """The run's length, lr and eval interval: the config's where it sets them."""
    if cfg.max_steps:
        steps, how = cfg.max_steps, "max_steps"
    elif cfg.epochs:
        steps, how = max(1, math.ceil(cfg.epochs * steps_per_epoch)), f"{cfg.epochs:g} epochs"
    else:
        wanted = math.ceil(EPOCHS * steps_per_epoch)
        steps = min(MAX_STEPS, max(MIN_STEPS, wanted))
        how = (f"{EPOCHS:g} epochs" if steps == wanted else
               f"{EPOCHS:g} epochs would be {wanted}, kept within {MIN_STEPS}-{MAX_STEPS}")
    lr = cfg.lr if cfg.lr is not None else auto_lr(steps)
    lr_how = (f"lr {lr:.3g}" if cfg.lr is not None or steps <= BASE_STEPS
              else f"lr 1e-4 * sqrt({BASE_STEPS}/{steps}) = {lr:.3g}")
    every = cfg.eval_every or cfg.save_every or max(1, math.ceil(steps / EVALS_PER_RUN))
    return RunPlan(steps, lr, every, f"{steps} steps ({how}, {steps_per_epoch} per epoch), {lr_how}")


def holdout_size(cfg: AlignTrainConfig, n_pairs: int) -> int:
    """Pairs held out: ``holdout`` of them (default 5% without a gold set), capped at 200;
    none when that would be under 16 pairs, too few to tell one checkpoint from another."""
    share = cfg.holdout if cfg.holdout is not None else (0.0 if cfg.eval_gold else HOLDOUT)
    n = min(HOLDOUT_MAX, round(share * n_pairs))
    return n if n >= HOLDOUT_MIN else 0


def split_holdout(pairs: Sequence[T], n: int, seed: int) -> tuple[list[T], list[T]]:
    """(training pairs, held-out pairs): ``n`` drawn by ``seed``, the rest in their order."""
    if n <= 0:
        return list(pairs), []
    chosen = set(random.Random(seed).sample(range(len(pairs)), n))
    return ([p for i, p in enumerate(pairs) if i not in chosen],
            [p for i, p in enumerate(pairs) if i in chosen])


def should_stop(losses: Sequence[float], patience: int | None, min_delta: float) -> bool:
    """True once the last ``patience`` losses each failed to beat the best before them by
    ``min_delta`` (relative)."""
    if not patience or len(losses) <= patience:
        return False
    best, since = math.inf, 0
    for v in losses:    # the loss can be negative (SO, CO): the margin is relative to |best|
        if best == math.inf or v < best - min_delta * abs(best):
            best, since = min(best, v), 0
        else:
            since += 1
            best = min(best, v)
    return since >= patience
