"""Word alignment: encoder -> similarity -> extraction -> symmetrisation -> word links."""
from .api import Aligner, align
from .core import PairAlignment
from .extraction import METHODS
from .symmetrize import SYMMETRIZATIONS

__all__ = ["Aligner", "align", "PairAlignment", "METHODS", "SYMMETRIZATIONS"]
