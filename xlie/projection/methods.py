"""Span projection methods, chosen by registered name."""
from __future__ import annotations

from typing import Callable

from ..errors import UnknownNameError
from .heuristic import project_heuristic
from .markers import project_markers
from .spans import project_spans

METHODS: dict[str, Callable] = {
    "xlie": project_spans,          # xlie's own: scored contiguous spans, trimming, overlaps
    "heuristic": project_heuristic,  # the seed pipeline's first-to-last hull
    "markers": project_markers,     # marker-based translation, alignment as fallback
}


def get_method(name: str) -> Callable:
    if name not in METHODS:
        raise UnknownNameError("projection method", name, METHODS)
    return METHODS[name]
