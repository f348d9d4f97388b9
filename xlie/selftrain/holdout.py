"""A dev set when the user gives none: a slice of the target-language silver data (or of
the source data when there is no silver) held out of training, for early stopping and for
choosing which step's tagger to keep.

Silver labels are noisy, but they are the only target-language labels at hand, and the
dev score only has to rank a run's own checkpoints. The slice is drawn by the seed, so a
resumed run and every self-training round hold out the same sentences.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from .data import read_sentences

MIN_SENTENCES = 100   # under this, no sentence is spared: the whole budget is trained
MIN_DEV, MAX_DEV = 30, 300


@dataclass
class HeldOut:
    """The held-out sentences and where they came from."""

    origin: str                                  # "silver" or "source"
    keys: set[tuple[int, int]]                   # (file index, sentence index) left out
    sentences: list[Sentence] = field(default_factory=list)
    total: int = 0                               # sentences it was drawn from

    @property
    def ids(self) -> set[str]:
        return {s.id for s in self.sentences}

    def to_json(self) -> dict:
        return {"kind": "held-out", "from": self.origin, "sentences": len(self.sentences),
                "of": self.total}


def dev_size(n: int, fraction: float) -> int:
    """How many of ``n`` sentences to hold out (0: too few to spare any)."""
    if fraction <= 0 or n < MIN_SENTENCES:
        return 0
    return min(MAX_DEV, max(MIN_DEV, round(fraction * n)))


def hold_out(paths: Sequence[str | Path], origin: str, fraction: float,
             seed: int) -> Optional[HeldOut]:
    """Draw the dev slice from the non-empty sentences of ``paths``; None when too few."""
    found = [(fi, si, s) for fi, p in enumerate(paths)
             for si, (_, s) in enumerate(read_sentences(p)) if s.tokens]
    return _draw(found, origin, fraction, seed)


def hold_out_sentences(sents: Sequence[Sentence], origin: str, fraction: float,
                       seed: int) -> Optional[HeldOut]:
    """The same draw from sentences in memory; a key is ``(0, index in sents)``."""
    return _draw([(0, si, s) for si, s in enumerate(sents) if s.tokens], origin, fraction, seed)


def hold_out_training(source: Sequence[Sentence], silver: Sequence[Sentence],
                      pseudo: Sequence[Sentence], fraction: float, seed: int
                      ) -> tuple[Optional[HeldOut], list[Sentence], list[Sentence], list[Sentence]]:
    """For training data in memory: draw the dev slice from the silver sentences (from the
    source when there is no silver) and return it with the source, silver and pseudo
    sentences left to train on. A silver or pseudo sentence with a held-out id goes too: a
    translation or a pseudo-label of a dev sentence is no training data."""
    held = hold_out_sentences(silver or source, "silver" if silver else "source", fraction, seed)
    if held is None:
        return None, list(source), list(silver), list(pseudo)
    kept = lambda sents: [s for i, s in enumerate(sents) if (0, i) not in held.keys]
    source, silver = (source, kept(silver)) if held.origin == "silver" else (kept(source), silver)
    ids = held.ids
    return (held, list(source), [s for s in silver if s.id not in ids],
            [s for s in pseudo if s.id not in ids])


def _draw(found: list[tuple[int, int, Sentence]], origin: str, fraction: float,
          seed: int) -> Optional[HeldOut]:
    k = dev_size(len(found), fraction)
    if not k:
        return None
    picked = sorted(random.Random(f"dev-{seed}").sample(range(len(found)), k))
    return HeldOut(origin, {found[i][:2] for i in picked}, [found[i][2] for i in picked],
                   len(found))
