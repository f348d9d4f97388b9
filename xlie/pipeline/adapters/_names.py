"""Check component names against the stages' own registries, when those are installed."""
from __future__ import annotations

import importlib
from typing import Iterable, Optional


def known_names(module: str, attr: str) -> Optional[list[str]]:
    """The names a stage registers (``None`` if that stage is not importable yet)."""
    try:
        return sorted(getattr(importlib.import_module(module), attr))
    except (ImportError, AttributeError):
        return None


def check_name(kind: str, name: Optional[str], known: Optional[Iterable[str]]) -> Optional[str]:
    """Raise ValueError (pydantic turns it into a config error on the key) for unknown names."""
    if name is None or known is None:
        return name
    known = list(known)
    if name not in known:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(known)}")
    return name
