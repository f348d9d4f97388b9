"""Encode pre-split sentences with any Hugging Face encoder, one layer, no truncation.

Words become subwords through the fast tokenizer (``word_ids()`` maps them back); special
tokens come from ``build_inputs_with_special_tokens``, never hard-coded ids. Sentences longer
than the model's position limit are cut into overlapping windows; each subword keeps the
vector from the window in which it sits furthest from an edge. Only the layers up to the one
the aligner reads are run.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Sequence

import torch

from ..batching import plan_batches
from ..models import load_pretrained, load_tokenizer, resolve_model
from ..models.builtin import align_defaults
from ..models.quantize import check_dtype, for_inference, quantize_error, warn_line
from .settings import TOKEN_BUDGET


@dataclass
class EncodedSentence:
    """Subword vectors of one sentence at the chosen layer."""

    vectors: torch.Tensor       # (n_subwords, hidden)
    word_ids: torch.Tensor      # (n_subwords,) word index of each subword
    n_words: int


@dataclass
class _Segment:
    sentence: int               # index of the sentence in the batch
    start: int                  # first subword (of the sentence) inside this window
    ids: list[int]              # content ids of the window (no special tokens)


class _Stop(Exception):
    pass


def layer_states(base_model, input_ids, attention_mask, layer: int) -> torch.Tensor:
    """Hidden states of ``layer`` (0 = embeddings), running only the layers up to it when
    the architecture exposes ``encoder.layer``: (R, T, H)."""
    layers = getattr(getattr(base_model, "encoder", None), "layer", None)
    if layer == 0 or not isinstance(layers, torch.nn.ModuleList) or layer > len(layers):
        out = base_model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return out.hidden_states[layer]
    seen: list[torch.Tensor] = []

    def grab(_module, _inputs, output):
        seen.append(output[0] if isinstance(output, tuple) else output)
        raise _Stop

    handle = layers[layer - 1].register_forward_hook(grab)
    try:
        base_model(input_ids=input_ids, attention_mask=attention_mask)
    except _Stop:
        pass
    finally:
        handle.remove()
    return seen[0]


class _Stitcher:
    """Joins overlapping windows: each subword keeps the vector from the window in which it
    sits furthest from an inner edge (the sentence's own ends count as far from any edge)."""

    def __init__(self, length: int, hidden: int):
        self.length = length
        self.vectors = torch.zeros(length, hidden)
        self.margin = torch.full((length,), -1, dtype=torch.long)

    def add(self, start: int, vec: torch.Tensor) -> None:
        n = len(vec)
        pos = torch.arange(n)
        margin = torch.minimum(pos, n - 1 - pos)                 # distance to the window's edges
        if start == 0:
            margin = torch.where(pos < n // 2, n, margin)
        if start + n >= self.length:
            margin = torch.where(pos >= n // 2, n, margin)
        span = slice(start, start + n)
        better = margin > self.margin[span]
        self.vectors[span][better] = vec[better]
        self.margin[span] = torch.where(better, margin, self.margin[span])


class Encoder:
    """Loads a model once and turns batches of word lists into subword vectors."""

    def __init__(self, model: str = "e5-small", layer: int | None = None,
                 device: str | None = None, dtype: str | None = None,
                 window_stride: float = 0.5, multi_gpu: bool = True,
                 warn: Callable[[str], None] | None = None):
        from transformers import AutoModel

        self.dtype = check_dtype(dtype)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.dtype == "int8" and self._load_int8(str(model), layer, window_stride, warn):
            return
        # bf16 weights straight from the file: no fp32 copy at the peak
        kw = {"dtype": torch.bfloat16} if self.dtype == "bf16" else {}
        self._setup(str(model), load_pretrained(AutoModel, model, **kw), load_tokenizer(model),
                    layer, window_stride)
        self._keep_layers(self.layer)
        self.model.to(self.device)
        self.model = for_inference(self.model, self.dtype, self.device, warn)
        self._forward_model = self.model
        # several GPUs: split each batch across them (the model is small; data parallel is enough)
        if multi_gpu and self.device.type == "cuda" and torch.cuda.device_count() > 1:
            self._forward_model = torch.nn.DataParallel(self.model)

    def _load_int8(self, name: str, layer: int | None, window_stride: float,
                   warn: Callable[[str], None] | None) -> bool:
        """OpenVINO int8 of the layers up to ``layer``, built once under $XLIE_HOME
        (models/int8_encoder.py). False, after one warning line, where it cannot be had (a
        GPU, no openvino, a model that does not export or quantize): the caller loads fp32."""
        from transformers import AutoConfig

        warn = warn or warn_line
        if self.device.type != "cpu":
            warn("int8 runs on a CPU only; running in fp32 (on a GPU use --dtype bf16)")
            self.dtype = "fp32"
            return False
        config = load_pretrained(AutoConfig, name)
        self._setup(name, SimpleNamespace(config=config), load_tokenizer(name), layer,
                    window_stride)
        try:
            from ..models.int8_encoder import Int8Encoder, build_int8, int8_path
            path = int8_path(name, resolve_model(name), self.layer)
            session = None
            if path.is_file():
                try:
                    session = Int8Encoder(path)
                except Exception as e:   # a file cut short or damaged: built again, once
                    warn(f"the int8 encoder {path} does not load ({quantize_error(e)}); "
                         "building it again")
            if session is None:
                from transformers import AutoModel
                model = load_pretrained(AutoModel, name).eval()
                layers = getattr(getattr(model, "encoder", None), "layer", None)
                cut = isinstance(layers, torch.nn.ModuleList) and 0 < self.layer <= len(layers)
                if cut:
                    model.encoder.layer = layers[:self.layer]
                build_int8(model, self.tokenizer, path, None if cut else self.layer)
                session = Int8Encoder(path)
            self._forward_model = session
            self.int8_file = path
        except ImportError as e:    # the int8 extra is not installed
            warn(f"int8 needs openvino, nncf and onnx ({quantize_error(e)}): pip install "
                 "'xlie[int8]'; running in fp32")
            self.dtype = "fp32"
            return False
        except Exception as e:      # an unusual encoder that does not export or quantize
            warn(f"could not quantize {name} to int8 ({quantize_error(e)}); running in fp32")
            self.dtype = "fp32"
            return False
        self._layers_cut = True     # the session's output is the aligner's layer
        return True

    @classmethod
    def wrap(cls, name: str, model, tokenizer, layer: int, window_stride: float = 0.5) -> "Encoder":
        """An encoder over a model that is already loaded and is not ours to change (the one
        under training, scored at each checkpoint): its layers are all kept and the forward
        pass stops at ``layer``; the caller puts it in eval mode."""
        self = cls.__new__(cls)
        self.dtype = "fp32"
        self._setup(name, model, tokenizer, layer, window_stride)
        self.device = next(model.parameters()).device
        return self

    def _setup(self, name: str, model, tokenizer, layer: int | None, window_stride: float) -> None:
        self.name, self.model, self.tokenizer = name, model, tokenizer
        cfg = model.config
        self.num_layers = int(getattr(cfg, "num_hidden_layers", 12))
        self.layer = layer if layer is not None else align_defaults(self.name, self.num_layers).layer
        if not 0 <= self.layer <= self.num_layers:
            from ..errors import XlieError
            raise XlieError(f"layer {self.layer} is out of range for {self.name} "
                            f"({self.num_layers} layers)", f"choose a layer from 0 to {self.num_layers}")
        self.hidden_size = int(cfg.hidden_size)
        self._forward_model = model
        self._layers_cut = False   # True once the layers above ``layer`` are dropped
        self._before, self._after = self._special_frame()
        self._prefix = len(self._before)
        self.max_content = self._max_content_length()
        self.window_stride = window_stride
        self._empty_piece: dict[int, bool] = {}

    # ---- model surgery and limits -------------------------------------------------------
    def _keep_layers(self, layer: int) -> None:
        """Drop the layers above ``layer``: the aligner never reads them."""
        enc = getattr(self.model, "encoder", None)
        layers = getattr(enc, "layer", None)
        if isinstance(layers, torch.nn.ModuleList):
            enc.layer = layers[:layer]
            self._layers_cut = True   # the last hidden state is the wanted layer

    def _max_content_length(self) -> int:
        cfg = self.model.config
        limit = int(getattr(cfg, "max_position_embeddings", 512))
        if "roberta" in str(getattr(cfg, "model_type", "")):
            limit -= int(getattr(cfg, "pad_token_id", 1) or 0) + 1  # positions start after pad
        tok_max = getattr(self.tokenizer, "model_max_length", None)
        if tok_max and tok_max < 1_000_000:
            limit = min(limit, int(tok_max))
        return max(8, limit - len(self._before) - len(self._after))

    def _special_frame(self) -> tuple[list[int], list[int]]:
        """The special tokens the tokenizer puts before and after a sentence, read off a
        probe encoding (no ids are hard-coded)."""
        enc = self.tokenizer(["a"], is_split_into_words=True, return_special_tokens_mask=True)
        ids, special = enc["input_ids"], enc["special_tokens_mask"]
        first = special.index(0) if 0 in special else len(ids)
        last = len(special) - special[::-1].index(0) if 0 in special else len(ids)
        return ids[:first], ids[last:]

    def build_inputs(self, content: list[int]) -> list[int]:
        return self._before + content + self._after

    def is_empty_piece(self, token_id: int) -> bool:
        """A piece that carries no character of its word (a lone '▁' before punctuation or
        CJK). Such pieces are near-identical vectors that link to each other falsely."""
        hit = self._empty_piece.get(token_id)
        if hit is None:
            hit = self.tokenizer.decode([token_id]).strip() == ""
            self._empty_piece[token_id] = hit
        return hit

    # ---- encoding -----------------------------------------------------------------------
    def tokenize(self, sentences: Sequence[Sequence[str]]):
        enc = self.tokenizer([list(s) for s in sentences], is_split_into_words=True,
                             add_special_tokens=False)
        out = []
        for k in range(len(sentences)):
            ids = enc["input_ids"][k]
            wids = enc.word_ids(k)
            empty = [self.is_empty_piece(t) for t in ids]
            # a word made only of empty pieces keeps them
            kept_words = {w for w, e in zip(wids, empty) if not e}
            keep = [i for i in range(len(ids)) if not empty[i] or wids[i] not in kept_words]
            out.append(([ids[i] for i in keep], [wids[i] for i in keep]))
        return out

    def _segments(self, k: int, ids: list[int]) -> list[_Segment]:
        size = self.max_content
        if len(ids) <= size:
            return [_Segment(k, 0, ids)]
        step = max(1, int(size * self.window_stride))
        segs, start = [], 0
        while True:
            segs.append(_Segment(k, start, ids[start:start + size]))
            if start + size >= len(ids):
                return segs
            start = min(start + step, len(ids) - size)

    @torch.inference_mode()
    def encode(self, sentences: Sequence[Sequence[str]], token_budget: int = TOKEN_BUDGET
               ) -> list[EncodedSentence]:
        """Encode word-split sentences; one forward pass per token-budget batch."""
        tokenized = self.tokenize(sentences)
        per_sentence = [self._segments(k, ids) for k, (ids, _) in enumerate(tokenized)]
        segments = [s for segs in per_sentence for s in segs]
        windowed = {k: _Stitcher(len(tokenized[k][0]), self.hidden_size)
                    for k, segs in enumerate(per_sentence) if len(segs) > 1}
        vectors: list[torch.Tensor | None] = [None] * len(tokenized)
        n_extra = len(self._before) + len(self._after)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for batch in plan_batches([len(s.ids) + n_extra for s in segments], token_budget):
            rows = [torch.tensor(self.build_inputs(segments[b].ids)) for b in batch]
            input_ids = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad)
            mask = torch.nn.utils.rnn.pad_sequence([torch.ones_like(r) for r in rows], batch_first=True)
            h = self._forward(input_ids.to(self.device), mask.to(self.device))  # (B, T, H)
            h = h.float().cpu()
            for r, b in enumerate(batch):
                seg = segments[b]
                vec = h[r, self._prefix:self._prefix + len(seg.ids)]             # (n, H)
                if seg.sentence in windowed:
                    windowed[seg.sentence].add(seg.start, vec)
                else:
                    vectors[seg.sentence] = vec
        for k, stitcher in windowed.items():
            vectors[k] = stitcher.vectors
        return [EncodedSentence(vectors[k], torch.tensor(wids, dtype=torch.long), len(sentences[k]))
                for k, (_, wids) in enumerate(tokenized)]

    def _forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self._layers_cut:
            return self._forward_model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        # a wrapped model (stops at the layer) or an unknown architecture (all hidden states)
        return layer_states(self._forward_model, input_ids, mask, self.layer)
