"""Gold data and AER scoring shared by the align_* benchmarks.

Kept independent of ``xlie`` on purpose: every tool (xlie, awesome-align, SimAlign) is scored
by the same few lines here, so no tool grades its own homework.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("XLIE_SHARED", REPO.parent / "shared")) / "data" / "align"
MODEL = Path(os.environ.get("XLIE_HOME", "/tmp/xh")) / "models" / "e5-small"

Links = set[tuple[int, int]]
Pair = tuple[list[str], list[str]]


@dataclass
class Gold:
    sure: Links
    possible: Links   # includes the sure links


def load_pairs(limit: int | None = None, data: Path = DATA) -> tuple[list[Pair], list[Gold]]:
    """The en-cs gold set: pairs split on single spaces, gold 1-indexed ``i-j`` / ``ipj``
    turned 0-indexed."""
    pairs: list[Pair] = []
    for line in (data / "encs.src-tgt").read_text(encoding="utf-8").splitlines():
        src, tgt = line.split(" ||| ")
        pairs.append((src.split(" "), tgt.split(" ")))
    gold: list[Gold] = []
    for line in (data / "encs.gold").read_text(encoding="utf-8").splitlines():
        sure: Links = set()
        possible: Links = set()
        for tok in line.split():
            sep = "-" if "-" in tok else "p"
            a, b = tok.split(sep)
            link = (int(a) - 1, int(b) - 1)
            possible.add(link)
            if sep == "-":
                sure.add(link)
        gold.append(Gold(sure, possible))
    assert len(pairs) == len(gold), "src-tgt and gold differ in length"
    if limit:
        pairs, gold = pairs[:limit], gold[:limit]
    return pairs, gold


def join_pairs(pairs: Sequence[Pair], gold: Sequence[Gold], k: int) -> tuple[list[Pair], list[Gold]]:
    """Join each run of ``k`` consecutive pairs into one long pair, shifting gold links."""
    out_p: list[Pair] = []
    out_g: list[Gold] = []
    for start in range(0, len(pairs), k):
        src: list[str] = []
        tgt: list[str] = []
        sure: Links = set()
        possible: Links = set()
        for (s, t), g in zip(pairs[start:start + k], gold[start:start + k]):
            di, dj = len(src), len(tgt)
            sure |= {(i + di, j + dj) for i, j in g.sure}
            possible |= {(i + di, j + dj) for i, j in g.possible}
            src += s
            tgt += t
        out_p.append((src, tgt))
        out_g.append(Gold(sure, possible))
    return out_p, out_g


def aer(predicted: Iterable[Links], gold: Sequence[Gold]) -> dict[str, float]:
    """Och & Ney 2003, in percent: 1 - (|A&S| + |A&P|) / (|A| + |S|); with P and R."""
    a_s = a_p = n_a = n_s = 0
    for pred, g in zip(predicted, gold):
        pred = set(pred)
        a_s += len(pred & g.sure)
        a_p += len(pred & g.possible)
        n_a += len(pred)
        n_s += len(g.sure)
    return {"aer": 100 * (1 - (a_s + a_p) / max(1, n_a + n_s)),
            "p": 100 * a_p / max(1, n_a), "r": 100 * a_s / max(1, n_s)}
