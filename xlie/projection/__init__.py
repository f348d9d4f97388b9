"""Projection stage: source annotations + word links -> target annotations; scorers.

``project`` is imported lazily so that ``import xlie.projection`` stays cheap.
"""
from __future__ import annotations

_API = {"project": "api", "ProjectionOptions": "options", "ProjectionReport": "report",
        "score_ner": "scoring", "score_pos": "scoring", "score_dep": "scoring",
        "evaluate": "scoring"}


def __getattr__(name):
    if name in _API:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_API)
