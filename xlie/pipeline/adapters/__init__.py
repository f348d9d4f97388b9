"""Thin adapters that register the real stages; each calls its stage's public function."""
from . import align, project, selftrain, translate  # noqa: F401
