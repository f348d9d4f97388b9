"""Hugging Face seq2seq backend: Marian/opus-mt, M2M100, NLLB, mBART-50 and any other
``AutoModelForSeq2SeqLM``, in fp32 on CPU and fp16/bf16 on GPU."""
from __future__ import annotations

import copy
from pathlib import Path

from ...errors import XlieError
from ...models.resolve import loadable_model, model_not_found
from ..langcodes import MTTokenizer
from ..options import GenerationOptions
from .base import (Backend, Hypothesis, cap_new_tokens, decoder_positions, model_fingerprint,
                   pick_device)

_DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
           "bfloat16": "bfloat16", "bf16": "bfloat16"}


def load_mt_tokenizer(name: str | Path):
    """AutoTokenizer for an MT model. Slow (sentencepiece) tokenizers are fine here: MT needs
    no word_ids(), and Marian and M2M100 only have slow ones."""
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(loadable_model(name))
    except (OSError, ValueError) as e:
        raise model_not_found(str(name), str(e).splitlines()[0]) from e


def pick_dtype(dtype: str, device: str) -> str:
    import torch
    if dtype == "auto":
        if not device.startswith("cuda"):
            return "float32"
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if dtype not in _DTYPES:
        raise XlieError(f"the hf backend has no dtype {dtype!r}",
                        "choose auto, float32, float16 or bfloat16 (int8 needs --backend ct2)")
    dtype = _DTYPES[dtype]
    if dtype == "float16" and not device.startswith("cuda"):
        raise XlieError("float16 needs a GPU", "use --dtype float32 or bfloat16 on CPU")
    return dtype


def input_limit(config, tokenizer) -> int:
    """The longest input the model takes: its position table, or the tokenizer's limit."""
    limits = [getattr(config, "max_position_embeddings", None),
              getattr(tokenizer, "model_max_length", None)]
    limits = [x for x in limits if isinstance(x, int) and 0 < x < 100_000]
    return min(limits) if limits else 512


class HFBackend(Backend):
    name = "hf"

    def __init__(self, model: str | Path, src_lang: str, tgt_lang: str,
                 options: GenerationOptions, device: str = "auto", dtype: str = "auto",
                 tokenizer: str | Path | None = None):
        super().__init__()
        import torch
        from transformers import AutoModelForSeq2SeqLM

        path = loadable_model(model)
        self.device = pick_device(device)
        self.dtype = pick_dtype(dtype, self.device)
        self.mt = MTTokenizer(load_mt_tokenizer(tokenizer or path), src_lang, tgt_lang)
        try:
            self.model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=getattr(torch, self.dtype))
        except OSError as e:
            raise model_not_found(str(model), str(e).splitlines()[0]) from e
        except ValueError as e:
            raise model_not_found(str(model), "not a sequence-to-sequence (MT) model: "
                                     + str(e).splitlines()[0]) from e
        self.model.to(self.device).eval()
        # output = [decoder start, forced language token?, words..., eos, pad...]
        self.skip = 1 + (self.mt.lang.forced_bos_token_id is not None)
        self.options = options = cap_new_tokens(options, decoder_positions(self.model.config),
                                                self.skip)
        self.max_input_tokens = input_limit(self.model.config, self.mt.tok)
        # max_new_tokens rules (HF's default max_length of 20 would cut outputs); the model's
        # own config is merged in by generate(), so clear it there too
        self.model.generation_config.max_length = None
        gen = copy.deepcopy(self.model.generation_config)
        gen.update(**options.hf_kwargs())
        if self.mt.lang.forced_bos_token_id is not None:
            gen.forced_bos_token_id = self.mt.lang.forced_bos_token_id
        self.generation_config = gen
        self.eos = gen.eos_token_id if gen.eos_token_id is not None else self.model.config.eos_token_id
        self.eos_ids = set(self.eos if isinstance(self.eos, list) else [self.eos])
        self.key = f"hf:{model_fingerprint(path)}:{self.dtype}"

    def encode(self, texts: list[str]) -> list[list[int]]:
        return self.mt.encode(texts)

    def _inputs(self, batch: list[list[int]]):
        enc = self.mt.tok.pad({"input_ids": batch}, padding=True, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}  # (B, S)

    def _generate(self, inputs) -> "list[list[int]]":
        import torch
        if self.options.do_sample:
            torch.manual_seed(self.options.seed)
        with torch.inference_mode():
            out = self.model.generate(**inputs, generation_config=self.generation_config)
        return out.tolist()  # (B, 1 + T)

    def _translate(self, batch: list[list[int]]) -> list[Hypothesis]:
        hyps = []
        for row in self._generate(self._inputs(batch)):
            words = row[self.skip:]
            end = next((i for i, t in enumerate(words) if t in self.eos_ids), None)
            # reaching the length cap counts as cut even with an EOS there: Marian's
            # forced_eos_token_id puts one at the cap
            made = (self.skip - 1) + (len(words) if end is None else end + 1)
            cut = end is None or made >= self.options.max_new_tokens
            hyps.append(Hypothesis(self.mt.decode(words if end is None else words[:end]), cut))
        return hyps
