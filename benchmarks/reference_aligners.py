"""Drive awesome-align's and SimAlign's OWN code on a local encoder directory.

Nothing of theirs is copied or edited; where their 2020-era code meets transformers 5 or an
XLM-R (sentencepiece) model, this harness adapts around it, and each adaptation is named:

awesome-align 0.1.7
- Its CLI loads the tokenizer with its own WordPiece ``BertTokenizer`` (needs ``vocab.txt``)
  and weights with its own ``from_pretrained`` (needs ``pytorch_model.bin``): both fail on
  e5-small (sentencepiece ``tokenizer.json``, ``model.safetensors``); see ``cli_failure``.
- So: its ``BertForMaskedLM`` is built from its own ``BertConfig`` and given e5-small's weights
  (``embeddings.*``/``encoder.*`` -> ``bert.*``); its ``LineByLineTextDataset`` (word-by-word
  tokenization, truncation to ``max_len``) runs with ``AwesomeTokenizer``, an adapter giving
  transformers 5's tokenizer the ``prepare_for_model``/``max_len`` it calls; its module-level
  ``PAD_ID/CLS_ID/SEP_ID`` are set from the tokenizer as its CLI does; extraction is its
  ``get_aligned_word`` (``BertGuideHead``) unchanged.
- All layers in one pass: ``AllLayersBert`` replaces ``model.bert`` by a module that runs
  its BertModel once to the top layer and hands each requested ``align_layer`` its states
  (identical to stopping there: its encoder just ``break``s at ``align_layer``).

SimAlign 0.4
- ``SentenceAligner(model=<dir>, token_type="bpe", matching_methods="mai", layer=L)`` takes
  a local directory through its AutoModel branch and works on transformers 5 unpatched.
- All layers in one pass: ``CachedModel`` wraps its ``embed_loader.emb_model`` and returns
  the last forward's output when the same inputs come again; the harness sets
  ``embed_loader.layer`` before each ``get_word_aligns`` call. For the quality sweep only, its
  model is cut above the highest layer read (``top_layer``): ``hidden_states[L]`` is the same.
"""
from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import torch

Pair = tuple[list[str], list[str]]


# ---------------------------------------------------------------- awesome-align
class AwesomeTokenizer:
    """What awesome-align's dataset and CLI call on a tokenizer, over a transformers 5 one."""

    def __init__(self, tok):
        self.tok = tok
        self.max_len = int(tok.model_max_length)          # 512, as awesome-align reads it
        self.pad_token_id, self.cls_token_id, self.sep_token_id = (
            tok.pad_token_id, tok.cls_token_id, tok.sep_token_id)

    def tokenize(self, word: str) -> list[str]:
        return self.tok.tokenize(word)

    def convert_tokens_to_ids(self, tokens):
        return self.tok.convert_tokens_to_ids(tokens)

    def prepare_for_model(self, ids, return_tensors=None, max_length=None):
        # awesome-align's own prepare_for_model: truncate from the end (single sequence,
        # 'longest_first') so that ids + specials fit max_length, then add specials.
        if max_length and len(ids) + 2 > max_length:
            ids = ids[:max_length - 2]
        seq = [self.cls_token_id] + list(ids) + [self.sep_token_id]
        return {"input_ids": torch.tensor([seq]) if return_tensors == "pt" else seq}


def cli_failure(model_dir: str | Path) -> str:
    """Run awesome-align's own CLI on the model directory; return what it says (it fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in.txt"
        data.write_text("a cat ||| eine Katze\n", encoding="utf-8")
        exe = str(Path(sys.executable).with_name("awesome-align"))
        r = subprocess.run([exe, "--model_name_or_path", str(model_dir),
                            "--data_file", str(data), "--output_file", str(Path(tmp) / "out"),
                            "--extraction", "softmax", "--align_layer", "5", "--num_workers", "0"],
                           capture_output=True, text=True, timeout=300)
    lines = [l for l in (r.stderr + r.stdout).strip().splitlines() if l.strip()]
    return f"exit {r.returncode}: " + (lines[-1] if lines else "(no output)")


class AllLayersBert(torch.nn.Module):
    """Stands in for awesome-align's ``model.bert``: one run of its BertModel to ``top``,
    every layer's output kept; a call with ``align_layer=L`` returns layer L's states."""

    def __init__(self, bert, top: int):
        super().__init__()
        self.bert, self.top = bert, top
        self._cache: dict = {}
        self._outs: list = []
        for layer in bert.encoder.layer[:top]:
            layer.register_forward_hook(lambda _m, _i, out: self._outs.append(out))

    def forward(self, input_ids, align_layer=-1, attention_mask=None, position_ids=None):
        key = (tuple(input_ids.shape), input_ids.cpu().numpy().tobytes())
        if key not in self._cache:
            if len(self._cache) >= 2:          # one source and one target batch at a time
                self._cache.clear()
            self._outs = []
            self.bert(input_ids, align_layer=self.top, attention_mask=attention_mask)
            self._cache[key] = self._outs
        return self._cache[key][align_layer - 1]


def load_awesome(model_dir: str | Path, top_layer: int | None = None):
    """awesome-align's BertForMaskedLM with the directory's weights, and the tokenizer
    adapter; ``top_layer`` set: ``model.bert`` serves every layer up to it from one pass."""
    from awesome_align import modeling
    from awesome_align.configuration_bert import BertConfig
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    tok = AwesomeTokenizer(AutoTokenizer.from_pretrained(str(model_dir)))
    modeling.PAD_ID, modeling.CLS_ID, modeling.SEP_ID = tok.pad_token_id, tok.cls_token_id, tok.sep_token_id
    model = modeling.BertForMaskedLM(BertConfig.from_pretrained(str(model_dir)))
    weights = {"bert." + k: v for k, v in load_file(str(Path(model_dir) / "model.safetensors")).items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    bad = [k for k in missing if k.startswith("bert.")] + [k for k in unexpected if "pooler" not in k]
    if bad:
        raise RuntimeError(f"awesome-align model does not take these weights: {bad[:5]}")
    model.eval()
    if top_layer:
        model.bert = AllLayersBert(model.bert, top_layer)
    return model, tok


def awesome_batches(tok: AwesomeTokenizer, pairs: Sequence[Pair], batch_size: int = 32):
    """awesome-align's own dataset over the pairs (written as its ``src ||| tgt`` file),
    batched in file order with its CLI's collate (pad each side separately)."""
    from awesome_align.run_align import LineByLineTextDataset
    from torch.nn.utils.rnn import pad_sequence

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.writelines(" ".join(s) + " ||| " + " ".join(t) + "\n" for s, t in pairs)
    it = iter(LineByLineTextDataset(tok, file_path=f.name))
    try:
        while batch := list(itertools.islice(it, batch_size)):
            _, src, tgt, b2w_s, b2w_t, _, _ = zip(*batch)
            yield (pad_sequence(src, batch_first=True, padding_value=tok.pad_token_id),
                   pad_sequence(tgt, batch_first=True, padding_value=tok.pad_token_id), b2w_s, b2w_t)
    finally:
        Path(f.name).unlink()


@torch.no_grad()
def awesome_align(model, tok, pairs: Sequence[Pair], layers: Sequence[int],
                  extractions: Sequence[str] = ("softmax",), threshold: float = 1e-3,
                  batch_size: int = 32) -> dict[tuple[str, int], list[set]]:
    """Word links from awesome-align's ``get_aligned_word``, for each (extraction, layer)."""
    out: dict[tuple[str, int], list[set]] = {(e, l): [] for e in extractions for l in layers}
    for src, tgt, b2w_s, b2w_t in awesome_batches(tok, pairs, batch_size):
        for e in extractions:
            for layer in layers:
                aligns = model.get_aligned_word(src, tgt, b2w_s, b2w_t, "cpu", 0, 0, align_layer=layer,
                                                extraction=e, softmax_threshold=threshold, test=True)
                out[(e, layer)] += [{(int(i), int(j)) for i, j in a if i != -1} for a in aligns]
    return out


# ---------------------------------------------------------------- SimAlign
class CachedModel:
    """Wraps SimAlign's ``emb_model``: the same inputs twice in a row run the model once."""

    def __init__(self, model):
        self.model, self._key, self._out = model, None, None

    def __call__(self, **inputs):
        key = inputs["input_ids"].cpu().numpy().tobytes() + bytes(str(tuple(inputs["input_ids"].shape)), "ascii")
        if key != self._key:
            self._key, self._out = key, self.model(**inputs)
        return self._out


def load_simalign(model_dir: str | Path, layer: int, methods: str = "mai", token_type: str = "bpe",
                  cached: bool = False, top_layer: int | None = None):
    from simalign import SentenceAligner
    import logging
    logging.getLogger("simalign.simalign").setLevel(logging.WARNING)
    al = SentenceAligner(model=str(model_dir), token_type=token_type, matching_methods=methods,
                         device="cpu", layer=layer)
    if top_layer:   # quality sweeps only: layers above the highest one read change nothing
        enc = al.embed_loader.emb_model.encoder
        enc.layer = enc.layer[:top_layer]
    if cached:
        al.embed_loader.emb_model = CachedModel(al.embed_loader.emb_model)
    return al


SIMALIGN_NAMES = {"inter": "argmax", "itermax": "itermax", "mwmf": "match"}


def simalign_align(al, pairs: Sequence[Pair], layers: Sequence[int],
                   match_layers: Sequence[int] | None = None) -> dict[tuple[str, int], list[set]]:
    """Word links from SimAlign's ``get_word_aligns``, for each (method, layer).
    ``match_layers``: the layers at which its networkx matching runs (None: all); it costs
    ~0.35 s a pair on one core, the rest of SimAlign ~0.02 s plus the forward."""
    out: dict[tuple[str, int], list[set]] = {}
    methods = list(al.matching_methods)
    for src, tgt in pairs:
        for layer in layers:
            al.embed_loader.layer = layer
            keep_match = match_layers is None or layer in match_layers
            al.matching_methods = [m for m in methods if keep_match or m != "mwmf"]
            for name, links in al.get_word_aligns(src, tgt).items():
                out.setdefault((SIMALIGN_NAMES.get(name, name), layer), []).append(set(links))
    return out
