"""Fixed word pairs of the target corpus, learnt from the corpus itself.

A multi-word name recurs as a fixed pair of words (``Unione europea``, ``Fondi strutturali``,
``Vereinigten Staaten``), and the aligner often links only one of them (intersection keeps
one link of a one-to-many translation: EU -> ``europea``). A projected span may grow over an
unlinked neighbour that forms such a pair with its edge word. A pair is fixed when it is
seen at least ``MIN_COUNT`` times and its Dice coefficient 2·c(xy) / (c(x) + c(y)) is at
least ``MIN_DICE``; pairs with a function word or punctuation are left out. Both values
were chosen on one language of the Europarl NER set and checked on the other, both ways
(benchmarks/RESULTS.md, project-crosslingual).
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

MIN_COUNT = 3
MIN_DICE = 0.3
MAX_PAIRS = 2_000_000  # past this many distinct pairs, pairs seen once are forgotten


def _wordlike(token: str) -> bool:
    return any(c.isalpha() for c in token)


class PairCounter:
    """Streaming counts of words and of adjacent word pairs of one corpus side."""

    def __init__(self) -> None:
        self.words: Counter = Counter()
        self.pairs: Counter = Counter()

    def add(self, tokens: list[str]) -> None:
        self.words.update(tokens)
        self.pairs.update((x, y) for x, y in zip(tokens, tokens[1:])
                          if _wordlike(x) and _wordlike(y))
        if len(self.pairs) > MAX_PAIRS:  # bounded memory on a large corpus; rare pairs go
            self.pairs = Counter({k: c for k, c in self.pairs.items() if c > 1})

    def fixed(self, function_words: frozenset[str], min_count: int = MIN_COUNT,
              min_dice: float = MIN_DICE) -> frozenset[tuple[str, str]]:
        def content(t: str) -> bool:  # pairs hold only words with letters: no punctuation
            return t not in function_words and t.lower() not in function_words
        return frozenset((x, y) for (x, y), c in self.pairs.items()
                         if c >= min_count and content(x) and content(y)
                         and 2 * c / (self.words[x] + self.words[y]) >= min_dice)


def fixed_pairs(sentences: Iterable[list[str]], function_words: frozenset[str]
                ) -> frozenset[tuple[str, str]]:
    """The fixed word pairs of a corpus side (see the module docstring)."""
    counter = PairCounter()
    for tokens in sentences:
        counter.add(tokens)
    return counter.fixed(function_words)


def grow_pair(tokens: list[str], a: int, b: int, unlinked,
              pairs: frozenset[tuple[str, str]]) -> tuple[int, int]:
    """Extend ``a:b`` by one unlinked word on each side that forms a fixed pair with the
    span's edge word (``unlinked(j)``: target word j has no link)."""
    if a > 0 and (tokens[a - 1], tokens[a]) in pairs and unlinked(a - 1):
        a -= 1
    if b < len(tokens) and (tokens[b - 1], tokens[b]) in pairs and unlinked(b):
        b += 1
    return a, b
