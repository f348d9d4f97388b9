"""Word alignment: encoder -> similarity -> extraction -> symmetrisation -> word links.

Names are imported on first use, so reading aligner settings (``xlie.aligners.settings``, as
the CLI and the pipeline config do) does not load torch."""
from __future__ import annotations

from ..lazy import lazy_exports

_WHERE = {"Aligner": "core", "align": "api", "PairAlignment": "core", "METHODS": "extraction",
          "AlignerSettings": "settings", "EXTRACTIONS": "settings",
          "SYMMETRIZATIONS": "settings"}
__getattr__ = lazy_exports(__name__, _WHERE)
__all__ = sorted(_WHERE)
