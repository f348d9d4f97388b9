"""Relations that agree with the target sentence's own tags and word order.

A projected relation is the source word's; where the two languages build a phrase
differently, UD's definitions give the target another relation. English noun compounds
(*party leader*, head last) come out in head-initial languages as a noun after its head
(*líder del partido*): UD calls a nominal dependent after its nominal head there ``nmod``,
not ``compound``. And UD ties some relations to the dependent's word class: a determiner
under a nominal is ``det``, an adjective under a nominal is ``amod`` (English possessive
pronouns are ``nmod:poss``, Spanish and German possessives are determiners), and a numeral
under a nominal is ``nummod`` (Chinese 一 "one" for the English article *a*, ``det``).

Chosen on PUD Spanish, checked on German and Chinese (benchmarks/RESULTS.md, PUD trees);
the numeral rule was chosen on Chinese and checked on Spanish and German.
"""
from __future__ import annotations

from typing import Optional

NOMINAL = frozenset({"NOUN", "PROPN", "PRON", "NUM"})


def agree_relations(tags: list[str], heads: list[Optional[int]], deprels: list[str]
                    ) -> list[str]:
    """``deprels`` with the relations above replaced (a word without a head keeps its)."""
    out = list(deprels)
    for d, h in enumerate(heads, 1):
        if not h:
            continue
        rel, tag, htag = deprels[d - 1].split(":")[0], tags[d - 1], tags[h - 1]
        if htag not in NOMINAL:
            continue
        if tag == "ADJ" and rel in ("compound", "nmod"):
            out[d - 1] = "amod"
        elif tag == "DET" and rel in ("nmod", "amod", "case", "compound"):
            out[d - 1] = "det"
        elif tag == "NUM" and rel in ("det", "amod"):
            out[d - 1] = "nummod"
        elif tag in NOMINAL and rel == "compound" and h < d:
            out[d - 1] = "nmod"
    return out
