"""Each MT family's language-code handling, behind one small object.

- Marian/opus-mt: one model per pair; multi-target models (vocab has ``>>de<<``-style tokens)
  need the target token at the start of the source text.
- M2M100: ``tokenizer.src_lang`` adds ``__en__``; the output must start with ``__de__``
  (``forced_bos_token_id``).
- NLLB / mBART-50: ``tokenizer.src_lang`` takes codes like ``eng_Latn`` / ``en_XX``; the
  output starts with the target code. ISO 639-1 codes are mapped for common languages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import UnknownNameError, XlieError

# ISO 639-1 -> FLORES-200 codes used by NLLB (common languages; pass the full code for others)
NLLB_CODES = {
    "af": "afr_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "bg": "bul_Cyrl", "bn": "ben_Beng",
    "ca": "cat_Latn", "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn", "de": "deu_Latn",
    "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn",
    "fa": "pes_Arab", "fi": "fin_Latn", "fr": "fra_Latn", "ga": "gle_Latn", "gl": "glg_Latn",
    "gu": "guj_Gujr", "ha": "hau_Latn", "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn",
    "hu": "hun_Latn", "hy": "hye_Armn", "id": "ind_Latn", "ig": "ibo_Latn", "is": "isl_Latn",
    "it": "ita_Latn", "ja": "jpn_Jpan", "ka": "kat_Geor", "kk": "kaz_Cyrl", "km": "khm_Khmr",
    "kn": "kan_Knda", "ko": "kor_Hang", "lt": "lit_Latn", "lv": "lvs_Latn", "mk": "mkd_Cyrl",
    "ml": "mal_Mlym", "mr": "mar_Deva", "ms": "zsm_Latn", "my": "mya_Mymr", "ne": "npi_Deva",
    "nl": "nld_Latn", "no": "nob_Latn", "pa": "pan_Guru", "pl": "pol_Latn", "pt": "por_Latn",
    "ro": "ron_Latn", "ru": "rus_Cyrl", "sk": "slk_Latn", "sl": "slv_Latn", "so": "som_Latn",
    "sr": "srp_Cyrl", "sv": "swe_Latn", "sw": "swh_Latn", "ta": "tam_Taml", "te": "tel_Telu",
    "th": "tha_Thai", "tl": "tgl_Latn", "tr": "tur_Latn", "uk": "ukr_Cyrl", "ur": "urd_Arab",
    "uz": "uzn_Latn", "vi": "vie_Latn", "xh": "xho_Latn", "yo": "yor_Latn", "zh": "zho_Hans",
    "zu": "zul_Latn",
}


@dataclass
class LanguageSetup:
    family: str                          # marian | m2m100 | coded (NLLB, mBART-50) | plain
    src_prefix: str = ""                 # prepended to every source text
    forced_bos_token: Optional[str] = None
    forced_bos_token_id: Optional[int] = None


def _has_src_lang(tokenizer: Any) -> bool:
    return isinstance(getattr(type(tokenizer), "src_lang", None), property)


def _in_vocab(tokenizer: Any, token: str) -> bool:
    tid = tokenizer.convert_tokens_to_ids(token)
    return tid is not None and tid != tokenizer.unk_token_id


def _coded(tokenizer: Any, lang: str) -> str | None:
    """The vocab's code for ``lang``: itself, its NLLB code, or an ``xx_YY`` mBART code."""
    for cand in (lang, NLLB_CODES.get(lang)):
        if cand and _in_vocab(tokenizer, cand):
            return cand
    pat = re.compile(rf"^{re.escape(lang)}_[A-Z]{{2}}$")
    hits = sorted(t for t in tokenizer.get_vocab() if pat.match(t))
    return hits[0] if hits else None


def _known_codes(tokenizer: Any) -> list[str]:
    pat = re.compile(r"^([a-z]{3}_[A-Z][a-z]{3}|[a-z]{2}_[A-Z]{2})$")
    return [t for t in tokenizer.get_vocab() if pat.match(t)]


def setup_languages(tokenizer: Any, src_lang: str, tgt_lang: str) -> LanguageSetup:
    """Configure ``tokenizer`` for the pair and say what generation must force."""
    name = type(tokenizer).__name__
    if name.startswith("Marian"):
        codes = list(getattr(tokenizer, "supported_language_codes", []) or [])
        if not codes:
            return LanguageSetup("marian")
        token = f">>{tgt_lang}<<"
        if token not in codes:
            raise UnknownNameError("target language of this multi-target Marian model",
                                   tgt_lang, [c[2:-2] for c in codes])
        return LanguageSetup("marian", src_prefix=token + " ")
    lang_ids = getattr(tokenizer, "lang_code_to_id", None)
    if hasattr(tokenizer, "get_lang_id") and isinstance(lang_ids, dict) and lang_ids:
        for lang in (src_lang, tgt_lang):
            if lang not in lang_ids:
                raise UnknownNameError("language code of this M2M100 model", lang, lang_ids)
        tokenizer.src_lang = src_lang
        tokenizer.tgt_lang = tgt_lang
        tid = tokenizer.get_lang_id(tgt_lang)
        return LanguageSetup("m2m100", forced_bos_token=tokenizer.convert_ids_to_tokens(tid),
                             forced_bos_token_id=tid)
    if _has_src_lang(tokenizer):
        src, tgt = _coded(tokenizer, src_lang), _coded(tokenizer, tgt_lang)
        for lang, code in ((src_lang, src), (tgt_lang, tgt)):
            if code is None:
                raise UnknownNameError(f"language code of this {name}", lang, _known_codes(tokenizer))
        tokenizer.src_lang = src
        tokenizer.tgt_lang = tgt
        return LanguageSetup("coded", forced_bos_token=tgt,
                             forced_bos_token_id=tokenizer.convert_tokens_to_ids(tgt))
    return LanguageSetup("plain")


class MTTokenizer:
    """A seq2seq tokenizer set up for one language pair: texts -> input ids, ids -> text."""

    def __init__(self, tokenizer: Any, src_lang: str, tgt_lang: str):
        self.tok = tokenizer
        self.lang = setup_languages(tokenizer, src_lang, tgt_lang)
        if tokenizer.pad_token_id is None:
            raise XlieError(f"the tokenizer {type(tokenizer).__name__} has no padding token",
                            "use a seq2seq MT model (Marian, M2M100, NLLB, mBART-50)")
        # transformers 5 no longer marks M2M100's language tokens special: drop them by id
        lang_ids = getattr(tokenizer, "lang_code_to_id", None)
        self.drop = set(lang_ids.values()) if isinstance(lang_ids, dict) else set()

    def encode(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        texts = [self.lang.src_prefix + t for t in texts]
        return self.tok(texts, add_special_tokens=True)["input_ids"]

    def decode(self, ids: list[int]) -> str:
        if self.drop:
            ids = [i for i in ids if i not in self.drop]
        return self.tok.decode(ids, skip_special_tokens=True).strip()
