"""Thin adapters that register the real stages; each calls its stage's public function."""
from . import align, project, selftrain  # noqa: F401
