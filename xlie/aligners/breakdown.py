"""Where an alignment's errors are: recall by the shape of each gold link, the kind of each
false link, and the words whose links are missed most.

AER alone says how much is wrong, not what. Gold conventions differ most on words that link
to several words on the other side (an English article to the Czech noun that carries its
meaning, say), and an aligner that extracts near one-to-one links cannot reach those at any
threshold. The breakdown shows how much of the recall lies there before anyone tunes for it.

Shapes of a sure gold link i-j, by how many sure links its two words have:

    one-to-one     i has one link, j has one link
    one-to-many    i has several links, j only this one
    many-to-one    j has several links, i only this one
    many-to-many   both have several
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..formats.pharaoh import GoldAlignment, Link

SHAPES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many")
FALSE_KINDS = ("source word unaligned in gold", "target word unaligned in gold",
               "both unaligned in gold", "both aligned elsewhere")


def link_shape(link: Link, source_degree: Counter, target_degree: Counter) -> str:
    many_src, many_tgt = source_degree[link[0]] > 1, target_degree[link[1]] > 1
    return SHAPES[2 * many_tgt + many_src]


def false_kind(link: Link, source_degree: Counter, target_degree: Counter) -> str:
    src_free, tgt_free = source_degree[link[0]] == 0, target_degree[link[1]] == 0
    if src_free and tgt_free:
        return FALSE_KINDS[2]
    return FALSE_KINDS[0] if src_free else FALSE_KINDS[1] if tgt_free else FALSE_KINDS[3]


@dataclass
class Breakdown:
    sure: Counter = field(default_factory=Counter)        # shape -> sure gold links
    found: Counter = field(default_factory=Counter)       # shape -> of those, predicted
    false: Counter = field(default_factory=Counter)       # kind -> predicted links not possible
    predicted: int = 0
    missed_source: Counter = field(default_factory=Counter)   # lower-cased word -> missed links
    missed_target: Counter = field(default_factory=Counter)

    def recall(self, shape: str) -> float:
        return self.found[shape] / self.sure[shape] if self.sure[shape] else 0.0

    def as_dict(self, top: int = 10) -> dict:
        total = sum(self.sure.values())
        return {
            "shapes": {s: {"sure": self.sure[s], "share": round(self.sure[s] / total, 4) if total else 0.0,
                           "recall": round(self.recall(s), 4)} for s in SHAPES},
            "false_links": {k: self.false[k] for k in FALSE_KINDS},
            "predicted": self.predicted,
            "missed_source": self.missed_source.most_common(top),
            "missed_target": self.missed_target.most_common(top),
        }


def break_down(gold: Iterable[GoldAlignment], pred: Iterable[set[Link]],
               pairs: Sequence[tuple[list[str], list[str]]] | None = None) -> Breakdown:
    """``pairs`` (source words, target words) per line, when given, name the missed words;
    a link past the end of its sentence is named ``<out of range>``."""
    out = Breakdown()
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        src_deg = Counter(i for i, _ in g.sure)
        tgt_deg = Counter(j for _, j in g.sure)
        out.predicted += len(p)
        for link in g.sure:
            shape = link_shape(link, src_deg, tgt_deg)
            out.sure[shape] += 1
            if link in p:
                out.found[shape] += 1
            elif pairs is not None:
                out.missed_source[_word(pairs[k][0], link[0])] += 1
                out.missed_target[_word(pairs[k][1], link[1])] += 1
        possible_src = Counter(i for i, _ in g.possible)
        possible_tgt = Counter(j for _, j in g.possible)
        for link in p - g.possible:
            out.false[false_kind(link, possible_src, possible_tgt)] += 1
    return out


def _word(words: list[str], index: int) -> str:
    return words[index].lower() if index < len(words) else "<out of range>"


def format_breakdown(b: Breakdown, top: int = 10) -> str:
    total = sum(b.sure.values())
    lines = ["gold sure links by shape     links   share  recall"]
    for s in SHAPES:
        share = 100 * b.sure[s] / total if total else 0.0
        lines.append(f"  {s:<26} {b.sure[s]:>7} {share:6.1f}% {100 * b.recall(s):6.1f}%")
    wrong = sum(b.false.values())
    lines.append(f"false links: {wrong} of {b.predicted} predicted")
    for k in FALSE_KINDS:
        lines.append(f"  {k:<30} {b.false[k]:>7}")
    for side, counter in (("source", b.missed_source), ("target", b.missed_target)):
        if counter:
            words = ", ".join(f"{w} {n}" for w, n in counter.most_common(top))
            lines.append(f"most-missed {side} words: {words}")
    return "\n".join(lines)
