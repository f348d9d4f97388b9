"""Projection stage: source annotations + word links -> target annotations (scored by
``xlie.scoring``).

``project`` is imported lazily so that ``import xlie.projection`` stays cheap.
"""
from __future__ import annotations

from ..lazy import lazy_exports

_API = {"project": "api", "ProjectionOptions": "options", "ProjectionReport": "report"}
__getattr__ = lazy_exports(__name__, _API)
__all__ = list(_API)
