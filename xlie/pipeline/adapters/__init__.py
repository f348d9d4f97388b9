"""Thin adapters that register the real stages; each calls its stage's public function."""
