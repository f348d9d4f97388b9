"""Which words may be trimmed from the edges of a projected span: punctuation, and function
words learnt from the corpus itself (frequent lowercase words), so no language list is needed."""
from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Collection, Iterable, NamedTuple

from .phrases import PairCounter


def is_punct(token: str) -> bool:
    return bool(token) and all(unicodedata.category(c)[0] in "PS" for c in token)


MAX_LEN = 5  # function words are short; long frequent words are content words (e.g. adjectives)


def count_words(counts: Counter, tokens: Iterable[str]) -> None:
    """Add a sentence's lowercase (or non-alphabetic) tokens to ``counts``."""
    counts.update(t for t in tokens if t.islower() or not t.isalpha())


def most_frequent(counts: Counter, top: int = 100) -> frozenset[str]:
    """The ``top`` most frequent counted types seen at least 3 times: short, no punctuation,
    no digits."""
    frequent = [t for t, c in counts.most_common() if c >= 3 and not is_punct(t)
                and len(t) <= MAX_LEN and not any(ch.isdigit() for ch in t)]
    return frozenset(frequent[:top])


def function_words(sentences: Iterable[list[str]], top: int = 100) -> frozenset[str]:
    """The ``top`` most frequent lowercase word types (seen at least 3 times) of a corpus side."""
    counts: Counter = Counter()
    for toks in sentences:
        count_words(counts, toks)
    return most_frequent(counts, top)


class EdgeWords(NamedTuple):
    """What span edges are decided with, learnt from a whole corpus: target and source
    function words (trimmed at edges) and the target's fixed word pairs (grown over)."""

    target: frozenset[str]
    source: frozenset[str]
    pairs: frozenset[tuple[str, str]] = frozenset()


def edge_words_of(records: Iterable[dict], top: int = 100) -> EdgeWords:
    """Function words and fixed pairs of aligned records (``tokens`` and ``translation``
    as in an alignment JSONL), counted in one streaming pass: a corpus projected batch by
    batch decides edges with the same words as a whole-file ``xlie project``."""
    src: Counter = Counter()
    tgt: Counter = Counter()
    pairs = PairCounter()
    for rec in records:
        count_words(src, rec.get("tokens") or [])
        tr = rec.get("translation") or {}
        tokens = tr.get("tokens") or (tr.get("text") or "").split()
        count_words(tgt, tokens)
        pairs.add(tokens)
    target = most_frequent(tgt, top)
    return EdgeWords(target, most_frequent(src, top), pairs.fixed(target))


def trimmable(token: str, words: frozenset[str]) -> bool:
    """Punctuation, or a function word as written (a capitalised form may be a name part:
    German ``Europäischen`` in a name, ``europäischen`` as a frequent lowercase adjective)."""
    return is_punct(token) or token in words


def trim(tokens: list[str], a: int, b: int, words: frozenset[str],
         keep_left: bool = False, keep_right: bool = False,
         keep: Collection[int] = ()) -> tuple[int, int]:
    """Shrink ``a:b`` past trimmable edge words (never to nothing). ``keep_*``: the source
    span itself starts/ends with such a word, so the target may too. Trimming stops at a
    position in ``keep`` (a word that translates part of the span)."""
    while not keep_left and b - a > 1 and a not in keep and (
            trimmable(tokens[a], words) or (a == 0 and tokens[0].lower() in words)):
        a += 1  # a sentence-initial function word is capitalised: "Das Gemeinschaftsrecht"
    while not keep_right and b - a > 1 and b - 1 not in keep and trimmable(tokens[b - 1], words):
        b -= 1
    return a, b


def same_case(src_word: str, tgt_word: str) -> bool:
    """Capitalised on both sides or on neither; always true where a side has no case."""
    a, b = src_word[:1], tgt_word[:1]
    if not (a.isupper() or a.islower()) or not (b.isupper() or b.islower()):
        return True
    return a.isupper() == b.isupper()


def grow(tgt_tokens: list[str], a: int, b: int, left: list[str], right: list[str],
         unlinked, words: frozenset[str], inside=lambda j: False,
         max_skip: int = 2) -> tuple[int, int]:
    """Extend ``a:b`` over unlinked target words beside it, one per unlinked source edge word.

    The source span's own unlinked edge words (``Committee`` in "Committee on Regional
    Policy", which the aligner missed; ``left``/``right`` list them from the edge inwards)
    most likely sit beside the projection on an equally unlinked target word (``Ausschuss
    für Regionalpolitik``), written in the same case. Up to ``max_skip`` function words may
    lie between if they are unlinked or linked into the span (``inside(j)``: "für" - "on").
    ``unlinked(j)`` tells whether target word j has no link at all."""
    def step(edge: int, direction: int, sources: list[str]) -> int:
        for word in sources:
            j, skipped = edge + direction, 0
            while (0 <= j < len(tgt_tokens) and skipped < max_skip and tgt_tokens[j] in words
                   and (unlinked(j) or inside(j))):
                j += direction
                skipped += 1
            if (not any(c.isalpha() for c in word) or not (0 <= j < len(tgt_tokens))
                    or not unlinked(j) or trimmable(tgt_tokens[j], words)
                    or tgt_tokens[j].lower() in words or not same_case(word, tgt_tokens[j])):
                break  # numbers and symbols are not grown for: "Objective 2" -> "Ziel-2-..."
            edge = j
        return edge
    return step(a, -1, left), step(b - 1, 1, right) + 1
