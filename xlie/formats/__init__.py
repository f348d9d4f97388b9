"""Readers and writers, one module per format; each docstring shows a sample."""
