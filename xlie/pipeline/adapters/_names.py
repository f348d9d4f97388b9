"""Check a component name of a stage section against that stage's own registry."""
from __future__ import annotations

from typing import Iterable, Optional


def check_name(kind: str, name: Optional[str], known: Iterable[str]) -> Optional[str]:
    """Raise ValueError (pydantic turns it into a config error on the key) for unknown names."""
    if name is None:
        return name
    known = sorted(known)
    if name not in known:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(known)}")
    return name
