"""Sentence ends in word-split text: moved to :mod:`xlie.boundaries` (a low-level module, so
that readers in ``formats/`` split sentences with the same rules as the aligner); the names
stay importable from here."""
from ..boundaries import (ALT, CLAUSE, NONE, STRONG, WEAK, boundary_evidence,  # noqa: F401
                          cut_costs, sentence_ends, sentence_spans, sentence_terminal)
