"""CTranslate2 backend: the same models converted to CTranslate2 (C++ inference, int8 on
CPU, fp16/bf16/int8 on GPU). Optional: ``pip install 'xlie[ct2]'``.

``--model`` is either a converted directory (``model.bin``; made by
``ct2-transformers-converter --copy_files ...`` or by xlie) or a Hugging Face model, which is
converted once into ``$XLIE_HOME/ct2/`` and reused. The Hugging Face tokenizer tokenizes
and detokenizes; CTranslate2 only sees subword strings.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ...errors import ModelNotFoundError, XlieError
from ...fileio import make_temp_dir
from ...models.resolve import loadable_model, model_not_found
from ...models.home import xlie_home
from ..langcodes import MTTokenizer
from ..options import GenerationOptions
from .base import (Backend, Hypothesis, cap_new_tokens, decoder_positions, model_fingerprint,
                   pick_device)
from .hf import input_limit, load_mt_tokenizer

COMPUTE_TYPES = ("auto", "float32", "float16", "bfloat16", "int8", "int8_float32",
                 "int8_float16", "int8_bfloat16", "int16")
SOURCE_NOTE = "xlie-source.json"


def _ctranslate2():
    try:
        import ctranslate2
    except ImportError:
        raise XlieError("the ct2 backend needs CTranslate2, which is not installed",
                        "pip install 'xlie[ct2]' (or ctranslate2), or use --backend hf") from None
    return ctranslate2


def _m2m100_vocab_fix(ct2) -> None:
    """transformers 5 no longer lists M2M100's ``__xx__`` language tokens in get_vocab(), so
    CTranslate2's converter builds a vocabulary shorter than the model's: list it by id."""
    from ctranslate2.converters import transformers as conv

    base = conv._MODEL_LOADERS.get("M2M100Config")
    if base is None or getattr(base, "_xlie_fixed", False):
        return

    class Fixed(type(base)):
        _xlie_fixed = True

        def get_vocabulary(self, model, tokenizer):
            n = model.config.vocab_size
            toks = tokenizer.convert_ids_to_tokens(list(range(n)))
            return [t if t else f"madeupword{i}" for i, t in enumerate(toks)]

    conv._MODEL_LOADERS["M2M100Config"] = Fixed()


def convert_to_ct2(hf_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Convert a Hugging Face seq2seq model (float32 weights; quantization is chosen when
    loading) into ``out_dir``, default ``$XLIE_HOME/ct2/<fingerprint>``; done once."""
    ct2 = _ctranslate2()
    hf_path = loadable_model(hf_path)
    # one flat folder per model: a hub id's "/" must not leave an empty parent folder behind
    # when its conversion fails
    name = model_fingerprint(hf_path).replace(":", "-").replace("/", "--")
    out = Path(out_dir) if out_dir else xlie_home() / "ct2" / name
    if (out / "model.bin").exists():
        return out
    _m2m100_vocab_fix(ct2)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(out.name + ".", out.parent)
    try:
        ct2.converters.TransformersConverter(str(hf_path)).convert(str(tmp), force=True)
        (tmp / SOURCE_NOTE).write_text(json.dumps({"hf_model": str(hf_path)}))
        os.replace(tmp, out)
    except Exception as e:
        raise XlieError(f"CTranslate2 could not convert {hf_path}: {e}",
                        "convert it yourself with ct2-transformers-converter, or use --backend hf") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


class CT2Backend(Backend):
    name = "ct2"

    def __init__(self, model: str | Path, src_lang: str, tgt_lang: str,
                 options: GenerationOptions, device: str = "auto", dtype: str = "auto",
                 tokenizer: str | Path | None = None, threads: int = 0):
        super().__init__()
        ct2 = _ctranslate2()
        if dtype not in COMPUTE_TYPES:
            raise XlieError(f"the ct2 backend has no compute type {dtype!r}",
                            "choose one of " + ", ".join(COMPUTE_TYPES))
        model_dir = Path(str(model)).expanduser()
        if (model_dir / "model.bin").exists():
            hf_source = None
            note = model_dir / SOURCE_NOTE
            if note.exists():
                hf_source = json.loads(note.read_text())["hf_model"]
            tok_source = tokenizer or hf_source or model_dir
        else:
            hf_source = loadable_model(model)
            model_dir = convert_to_ct2(hf_source)
            tok_source = tokenizer or hf_source
        try:
            tok = load_mt_tokenizer(tok_source)
        except ModelNotFoundError as e:
            raise XlieError(f"no tokenizer for the CTranslate2 model {model}: {e.message}",
                            "pass --tokenizer with the Hugging Face model it was converted from, "
                            "or convert with --copy_files and the tokenizer files") from e
        self.mt = MTTokenizer(tok, src_lang, tgt_lang)
        self.device = "cuda" if pick_device(device).startswith("cuda") else "cpu"
        self.compute_type = "default" if dtype == "auto" else dtype
        try:
            self.translator = ct2.Translator(str(model_dir), device=self.device,
                                             compute_type=self.compute_type,
                                             intra_threads=threads)  # 0: CTranslate2 decides
        except (RuntimeError, ValueError) as e:
            raise model_not_found(str(model), f"CTranslate2 cannot load it: {e}") from e
        prefix = self.mt.lang.forced_bos_token
        self.target_prefix = [prefix] if prefix else None
        if hf_source is not None:
            from transformers import AutoConfig
            config = AutoConfig.from_pretrained(hf_source)
            self.max_input_tokens = input_limit(config, self.mt.tok)
            # CTranslate2 counts the target prefix in max_decoding_length; the decoder start
            # takes a position too
            options = cap_new_tokens(options, decoder_positions(config), 1)
        else:
            self.max_input_tokens = input_limit(None, self.mt.tok)
        self.options = options
        self.key = f"ct2:{model_fingerprint(str(model_dir))}:{self.translator.compute_type}"

    def encode(self, texts: list[str]) -> list[list[int]]:
        return self.mt.encode(texts)

    def _kwargs(self, batch: list[list[int]]) -> dict:
        o = self.options
        kw = dict(beam_size=o.num_beams, max_decoding_length=o.max_new_tokens,
                  max_input_length=0, return_end_token=True)  # 0: never truncate inputs
        if o.do_sample:
            kw.update(sampling_topk=o.top_k or 0, sampling_topp=o.top_p or 1.0,
                      sampling_temperature=o.temperature or 1.0)
        if o.length_penalty is not None:
            kw["length_penalty"] = o.length_penalty
        return kw

    def _translate(self, batch: list[list[int]]) -> list[Hypothesis]:
        ct2 = _ctranslate2()
        if self.options.do_sample:
            ct2.set_random_seed(self.options.seed)
        tokens = [self.mt.tok.convert_ids_to_tokens(ids) for ids in batch]
        prefixes = [self.target_prefix] * len(batch) if self.target_prefix else None
        try:
            results = self.translator.translate_batch(tokens, prefixes, **self._kwargs(batch))
        except RuntimeError as e:
            if "position" not in str(e):
                raise
            raise XlieError(f"CTranslate2 stopped: {e}",
                            "lower --max-new-tokens to what the model's decoder takes, or pass "
                            "--tokenizer with the Hugging Face model so xlie can read its "
                            "limit") from e
        eos = self.mt.tok.eos_token
        hyps = []
        for res in results:
            out = list(res.hypotheses[0])
            if self.target_prefix:
                out = out[len(self.target_prefix):]
            ended = bool(out) and out[-1] == eos
            cut = not ended or len(out) + len(self.target_prefix or []) >= self.options.max_new_tokens
            if ended:
                out = out[:-1]
            hyps.append(Hypothesis(self.mt.decode(self.mt.tok.convert_tokens_to_ids(out)), cut))
        return hyps
