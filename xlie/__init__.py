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
    "train_tagger": ("xlie.selftrain", "train"),
    "self_train": "xlie.selftrain",
    "Tagger": "xlie.selftrain",
    "train_aligner": "xlie.aligners.training",
}


def __getattr__(name):
    if name in _API:
        import importlib
        target = _API[name]
        module, attr = target if isinstance(target, tuple) else (target, name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'xlie' has no attribute {name!r}")


__all__ = ["__version__", *_API]
