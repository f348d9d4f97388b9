"""Which words may be trimmed from the edges of a projected span: punctuation, and function
words learnt from the corpus itself (frequent lowercase words), so no language list is needed."""
from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Iterable


def is_punct(token: str) -> bool:
    return bool(token) and all(unicodedata.category(c)[0] in "PS" for c in token)


MAX_LEN = 5  # function words are short; long frequent words are content words (e.g. adjectives)


def function_words(sentences: Iterable[list[str]], top: int = 100) -> frozenset[str]:
    """The ``top`` most frequent lowercase word types (seen at least 3 times) of a corpus side."""
    counts = Counter(t for toks in sentences for t in toks if t.islower() or not t.isalpha())
    frequent = [t for t, c in counts.most_common() if c >= 3 and not is_punct(t)
                and len(t) <= MAX_LEN and not any(ch.isdigit() for ch in t)]
    return frozenset(frequent[:top])


def trimmable(token: str, words: frozenset[str]) -> bool:
    """Punctuation, or a function word as written (a capitalised form may be a name part:
    German ``Europäischen`` in a name, ``europäischen`` as a frequent lowercase adjective)."""
    return is_punct(token) or token in words


def trim(tokens: list[str], a: int, b: int, words: frozenset[str],
         keep_left: bool = False, keep_right: bool = False) -> tuple[int, int]:
    """Shrink ``a:b`` past trimmable edge words (never to nothing). ``keep_*``: the source
    span itself starts/ends with such a word, so the target may too."""
    while not keep_left and b - a > 1 and trimmable(tokens[a], words):
        a += 1
    while not keep_right and b - a > 1 and trimmable(tokens[b - 1], words):
        b -= 1
    return a, b


def grow(tgt_tokens: list[str], a: int, b: int, n_left: int, n_right: int,
         unlinked, words: frozenset[str], inside=lambda j: False,
         max_skip: int = 2) -> tuple[int, int]:
    """Extend ``a:b`` over up to ``n_left``/``n_right`` unlinked target words beside it.

    The source span's own unlinked edge words (``Committee`` in "Committee on Regional
    Policy", which the aligner missed) most likely sit beside the projection on an equally
    unlinked target word (``Ausschuss für Regionalpolitik``); up to ``max_skip`` function
    words may lie between if they are unlinked or linked into the span (``inside(j)``).
    ``unlinked(j)`` tells whether target word j has no link at all."""
    def step(edge: int, direction: int, budget: int) -> int:
        while budget > 0:
            j, skipped = edge + direction, 0
            while (0 <= j < len(tgt_tokens) and skipped < max_skip and tgt_tokens[j] in words
                   and (unlinked(j) or inside(j))):
                j += direction
                skipped += 1
            if not (0 <= j < len(tgt_tokens)) or not unlinked(j) or trimmable(tgt_tokens[j], words):
                break
            edge, budget = j, budget - 1
        return edge
    return step(a, -1, n_left), step(b - 1, 1, n_right) + 1
