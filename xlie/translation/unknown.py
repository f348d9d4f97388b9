"""Unknown-word marks in a translation, kept out of its text and recorded per token.

A backend that knows which output words it could not translate (Apertium marks them ``*``,
``@`` or ``#``) puts one private-use character before each such word in its hypothesis
text, so the cache keeps the marks. The session takes them out (:func:`split_marks`) and
records, per target token, the mark of the word it starts (``translation.unknown``: ``""``
for a translated token). Untranslated words are mostly names: a strong signal for
projecting them.
"""
from __future__ import annotations

# Apertium's marks: * not in the analyser, @ not in the bilingual dictionary, # not generated
MARK_CHARS = {"*": "\ue001", "@": "\ue002", "#": "\ue003"}
_MARK_OF = {v: k for k, v in MARK_CHARS.items()}


def drop_mark_chars(text: str) -> str:
    """A source text without the private-use mark characters (so none is mistaken for one)."""
    return "".join(c for c in text if c not in _MARK_OF) if any(c in _MARK_OF for c in text) else text


def split_marks(text: str) -> tuple[str, dict[int, str]]:
    """``text`` without marks, and ``{position in that text: mark}`` for each marked word."""
    if not any(c in _MARK_OF for c in text):
        return text, {}
    out: list[str] = []
    marks: dict[int, str] = {}
    for c in text:
        if c in _MARK_OF:
            marks[len(out)] = _MARK_OF[c]
        else:
            out.append(c)
    return "".join(out), marks


def token_marks(marks: dict[int, str], offsets: list[tuple[int, int]]) -> list[str]:
    """The mark of each token (``""`` when none): a mark at a position inside a token, or
    in the spaces just before it, belongs to that token."""
    out = [""] * len(offsets)
    if not marks:
        return out
    k = 0
    for pos in sorted(marks):
        while k < len(offsets) and offsets[k][1] <= pos:
            k += 1
        if k < len(offsets):
            out[k] = out[k] or marks[pos]
    return out
