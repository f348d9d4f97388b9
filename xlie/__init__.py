"""xlie: cross-lingual information extraction.

translate -> align -> project -> self-train. The public Python API is re-exported here;
imports are lazy so that `import xlie` stays fast.
"""
from __future__ import annotations

__version__ = "0.1.0"

_API = {
    "align": "xlie.aligners.api",
    "Aligner": "xlie.aligners.api",
    "translate": "xlie.translation.api",
    "project": "xlie.projection.api",
}


def __getattr__(name):
    if name in _API:
        import importlib
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'xlie' has no attribute {name!r}")


__all__ = ["__version__", *_API]
