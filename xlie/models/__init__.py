"""Model names: hub ids, local directories, and built-in offline models."""
from .builtin import BUILTIN_MODELS, KNOWN_ALIGN_DEFAULTS, AlignDefaults, fallback_layer
from .resolve import build_builtin, is_built, load_pretrained, load_tokenizer, resolve_model

__all__ = ["BUILTIN_MODELS", "KNOWN_ALIGN_DEFAULTS", "AlignDefaults", "fallback_layer",
           "build_builtin", "is_built", "load_pretrained", "load_tokenizer", "resolve_model"]
