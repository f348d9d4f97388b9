"""Thin adapters, one per stage: each defines a ``STAGE`` that calls its stage's public
function (``pipeline/registry.py`` lists them)."""
