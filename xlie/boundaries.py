"""Where a sentence may end in a word-split text, in any script, and how sure that is (the
aligner's long-pair path and the readers of unsegmented documents, e.g. TimeML, use it).

What ends a sentence comes from Unicode, not from a list: the Sentence_Terminal property
('.', '!', '?', '。', '！', '？', '।', '॥', '؟', '۔', '።', '։', '၊', ... in every script) and the
Sentence_Break classes of UAX #29 (ATerm, the ambiguous full stops '.' and '．'; Close, the
quotes and brackets that may follow a terminal), read through the ``regex`` package. The
ellipsis '…', which Unicode leaves out, counts as an ambiguous full stop.

Each word boundary gets a level of evidence for a cut there. Only STRONG boundaries split a
text into sentences; the others are evidence the sentence level may still cut at, when the
similarity of the two sides agrees (``sentences.refine``).
"""
from __future__ import annotations

import unicodedata
from typing import Sequence

import numpy as np
import regex

_TERMINAL = regex.compile(r"[\p{Sentence_Terminal}\u2026]")
_AMBIGUOUS = regex.compile(r"[\p{Sentence_Break=ATerm}\u2026]")
_CLOSE = regex.compile(r"\p{Sentence_Break=Close}")
# clause punctuation (',', ';', ':', '，', '、', '،', '።'-less ones ...)
_CLAUSE = regex.compile(r"[\p{Terminal_Punctuation}--\p{Sentence_Terminal}]", regex.V1)

# levels of evidence for a cut before a word, best first
STRONG = 0   # a sentence end
ALT = 1      # the other side of a quote mark that may close the sentence or open the next
WEAK = 2     # an ambiguous end: a full stop before a digit or lower-case word, 'Jr.'
CLAUSE = 3   # after ',', ';', ':', '，', '、', '،' ...
NONE = 4

# German and Czech open with '„' and close with '“', English opens with '“': the closing
# mark a German-style opener expects
_OPENER_OF = {"“": "„", "‘": "‚", "«": "»"}


def _first_letter(word: str) -> str:
    return next((c for c in word if c.isalnum()), "")


def _is_close_word(word: str) -> bool:
    return bool(word) and all(_CLOSE.match(c) for c in word)


def _closes(words: Sequence[str], run: int, start: int) -> tuple[bool, bool]:
    """(does the quote or bracket ``words[run]``, right after a terminal, close the sentence
    that began at ``start``; is that a guess). Closing brackets and final quotes close
    ('”', '」', ')'), opening ones do not ('(', '„', '「'); '“' closes only a German-style
    '„'. An ASCII '"' closes when the sentence holds an odd number of them: a guess, as
    quotes run across sentences."""
    mark = words[run][0]
    cat = unicodedata.category(mark)
    if cat in ("Pe", "Pf"):
        return True, False
    if cat == "Ps" or mark in "'＇":
        return False, mark in "'＇"
    text = "".join(words[start:run])
    if mark in _OPENER_OF:
        return text.count(_OPENER_OF[mark]) > text.count(mark), True
    return text.count(mark) % 2 == 1, True


def _split_end(word: str) -> tuple[str, str]:
    """(the word before its sentence-final punctuation, that punctuation), closing marks
    after it aside: '.' -> ('', '.'), 'Jr.' -> ('Jr', '.'), '嗎？」' -> ('嗎', '？')."""
    k = len(word)
    while k and _CLOSE.match(word[k - 1]):
        k -= 1
    core = word[:k]
    while k and _TERMINAL.match(word[k - 1]):
        k -= 1
    return word[:k], core[k:]


def boundary_evidence(words: Sequence[str]) -> list[int]:
    """Level of evidence (STRONG ... NONE) for a cut before each word 0..n; the edges are
    STRONG.

    A terminal ends the sentence after the quotes and brackets that close it ('. ”',
    '。 」'); where a quote may as well open the next sentence ('. "'), the other side of
    it is ALT. An ambiguous full stop before a digit, and any terminal before a lower-case
    word, is WEAK ('čl . 17', '3 . 2 . 1', '? " says'); scripts without case pass. An
    ASCII terminal attached to a word ('Jr.', 'U.S.', 'Yahoo!') counts as a clause mark;
    others end the sentence: unsegmented text carries its '。' and '？' inside its words."""
    n = len(words)
    ev = [NONE] * (n + 1)
    ev[0] = ev[n] = STRONG
    start = 0                                    # first word of the current sentence
    for k, w in enumerate(words[:-1]):
        before, end = _split_end(w)
        if not end:
            if w and all(_CLAUSE.match(c) for c in w):
                ev[k + 1] = min(ev[k + 1], CLAUSE)
            continue
        j, closing, guessed = k + 1, True, []   # guessed: quote marks that may go either way
        run = k + 1
        while run < n and _is_close_word(words[run]):
            closes, guess = _closes(words, run, start)
            closing = closing and closes
            j = run + 1 if closing else j
            if guess:
                guessed.append(run)
            run += 1
        if j == n:
            continue
        ambiguous = all(_AMBIGUOUS.match(c) for c in end)
        first = next((f for f in map(_first_letter, words[j:j + 3]) if f), "")
        if before and (ambiguous or end.isascii()):
            level = WEAK if j > k + 1 else CLAUSE       # 'Männer. “' but 'U.S.', 'Jr.'

        elif first.islower() or (ambiguous and first.isdigit()):
            level = WEAK
        else:
            level = STRONG
        ev[j] = min(ev[j], level)
        if level == STRONG:
            start = j
            for p in {q + d for q in guessed for d in (0, 1)} - {j, n}:
                ev[p] = min(ev[p], ALT)
    return ev


def sentence_ends(words: Sequence[str]) -> list[int]:
    """Word indices where a new sentence starts (STRONG evidence)."""
    ev = boundary_evidence(words)
    return [k for k in range(1, len(words)) if ev[k] == STRONG]


def sentence_spans(words: Sequence[str]) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` word spans of the sentences, covering every word."""
    bounds = [0, *sentence_ends(words), len(words)]
    return list(zip(bounds, bounds[1:]))


def cut_costs(words: Sequence[str], costs: Sequence[float]) -> np.ndarray:
    """(n + 1,) cost of a cut before each word: ``costs[level]`` of its evidence."""
    return np.asarray([costs[e] for e in boundary_evidence(words)], dtype=float)


def sentence_terminal(word: str) -> bool:
    """A word made only of sentence-final punctuation ('.', '?!', '。', '।', '…')."""
    return bool(word) and all(_TERMINAL.match(c) for c in word)
