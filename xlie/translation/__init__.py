"""The translation stage: source-language corpus -> the same corpus with its translation.

Hugging Face seq2seq models (Marian/opus-mt, M2M100, NLLB) or CTranslate2; length-sorted
batching by token budget; a persistent cache; resumable output; Moses/spaCy/whitespace word
tokenization with character offsets; marker-based translation for projection.
"""
from .api import TranslateReport, open_session, translate
from .options import BatchOptions, GenerationOptions
from .session import Counts, TranslationSession
from .settings import TranslateSettings

__all__ = ["BatchOptions", "Counts", "GenerationOptions", "TranslateReport", "TranslateSettings",
           "TranslationSession", "open_session", "translate"]
