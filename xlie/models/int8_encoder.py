"""OpenVINO int8 for the aligner's encoder (``xlie align --dtype int8``).

The layers up to the one the aligner reads are exported once to ONNX (``torch.onnx``), and
NNCF's post-training quantization (``nncf.quantize``, transformer preset) makes their
matrix products int8, weights and activations, with activation scales calibrated on
sentences of the sample text xlie ships (Europarl English and German, PUD English). The
result is kept as OpenVINO IR under ``$XLIE_HOME``: beside the built-in model
(``models/e5-small/int8/layer7.xml``), or under ``int8/`` for any other model. Later runs
compile the file (about a second) and never touch the fp32 weights. The int8 products run
on the CPU's int8 units (AMX, VNNI); the rest in OpenVINO's default precision for the CPU
(bf16 where it has AMX or AVX512-BF16, else fp32).

ONNX Runtime's dynamic int8 (weights int8, each batch's activations quantized on the fly) was
the first choice; on the en-cs gold it was 1.24-1.33× a whole fp32 bare-forward process,
and OpenVINO's is more than 2× at about the same AER (benchmarks/RESULTS.md, align-dtype).
Needs the ``int8`` extra: ``pip install 'xlie[int8]'``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

from ..fileio import make_temp_dir
from .builtin import BUILTIN_MODELS
from .home import xlie_home
from .resolve import builtin_path

OPSET = 17
CALIBRATION_SENTENCES = 300
# the bundled text the activation scales are calibrated on (xlie/data, see SOURCE.md there)
CALIBRATION_FILES = ["demo/en-de.train.jsonl", "pud-es/en.train.jsonl"]


def int8_path(name: str, resolved: str, layer: int) -> Path:
    """Where the int8 encoder of ``name`` cut at ``layer`` lives (``.xml``, its weights in
    the ``.bin`` beside it): beside a built-in model, else under ``$XLIE_HOME/int8`` keyed
    by the model's path (and its config's time) or id."""
    if name in BUILTIN_MODELS:
        return builtin_path(name) / "int8" / f"layer{layer}.xml"
    path = Path(resolved).expanduser()
    key = resolved
    if path.is_dir():
        config = path / "config.json"
        key = f"{path.resolve()}|{config.stat().st_mtime_ns if config.exists() else 0}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.rstrip("/")).name or "model")[:40]
    return xlie_home() / "int8" / f"{tail}-{digest}" / f"layer{layer}.xml"


class _LayerOutput:
    """What the aligner reads, as one module to export: the last hidden state of a model
    already cut to its layers, or the hidden state ``layer`` of an uncut one."""

    def __new__(cls, model, layer: int | None):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask):
                if layer is None:
                    return self.model(input_ids=input_ids,
                                      attention_mask=attention_mask).last_hidden_state
                out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                 output_hidden_states=True)
                return out.hidden_states[layer]

        return Wrapped().eval()


def export_onnx(model, path: Path, layer: int | None = None) -> Path:
    """``model`` (fp32, CPU) as ONNX with dynamic batch and length axes."""
    import torch
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "hidden": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")          # tracer notices about shapes
        torch.onnx.export(_LayerOutput(model, layer), (ids, mask), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return path


def calibration_inputs(tokenizer, limit: int = CALIBRATION_SENTENCES,
                       max_length: int = 128) -> list[dict]:
    """One input per sentence of the bundled sample text (both sides of its pairs), up to
    ``limit``, as the encoder's tokenizer frames them (at most ``max_length`` subwords)."""
    import numpy as np
    data = Path(__file__).resolve().parent.parent / "data"
    sents: list[list[str]] = []
    for name in CALIBRATION_FILES:
        with open(data / name, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                sents.append(rec["tokens"])
                tr = rec.get("translation") or {}
                if tr.get("tokens"):
                    sents.append(tr["tokens"])
    ids = tokenizer(sents[:limit], is_split_into_words=True, truncation=True,
                    max_length=max_length)["input_ids"]
    return [{"input_ids": np.array([x], dtype=np.int64),
             "attention_mask": np.ones((1, len(x)), dtype=np.int64)} for x in ids]


def build_int8(model, tokenizer, target: Path, layer: int | None = None) -> Path:
    """Export ``model`` (fp32, CPU; ``layer`` None when it is already cut to the aligner's
    layers), quantize it to int8 and save it at ``target`` (``.xml`` + ``.bin``), through a
    temporary directory moved into place, the ``.xml`` last. Raises whatever the export or
    the quantizer raises."""
    import nncf
    import openvino as ov

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target.name + ".", target.parent)
    try:
        fp32 = export_onnx(model, tmp / "fp32.onnx", layer)
        # RoBERTa-style models start their positions after the padding index: 2 to spare
        longest = min(128, int(getattr(model.config, "max_position_embeddings", 514)) - 2)
        logging.disable(logging.INFO)        # NNCF's progress and notes on the root logger
        try:
            quantized = nncf.quantize(ov.Core().read_model(str(fp32)),
                                      nncf.Dataset(calibration_inputs(tokenizer,
                                                                      max_length=longest)),
                                      model_type=nncf.ModelType.TRANSFORMER,
                                      subset_size=CALIBRATION_SENTENCES)
        finally:
            logging.disable(logging.NOTSET)
        ov.save_model(quantized, str(tmp / target.name))
        os.replace(tmp / target.with_suffix(".bin").name, target.with_suffix(".bin"))
        os.replace(tmp / target.name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class Int8Encoder:
    """An int8 OpenVINO encoder called like a transformers model: ``(input_ids=,
    attention_mask=)`` -> an object with ``last_hidden_state`` (a float32 torch tensor)."""

    def __init__(self, path: str | Path, threads: int | None = None):
        import openvino as ov
        import torch
        self.path = Path(path)
        config = {"INFERENCE_NUM_THREADS": threads or torch.get_num_threads(),
                  "PERFORMANCE_HINT": "LATENCY"}
        self.request = ov.Core().compile_model(str(path), "CPU", config).create_infer_request()

    def __call__(self, input_ids, attention_mask):
        import torch
        out = self.request.infer({"input_ids": input_ids.cpu().numpy(),
                                  "attention_mask": attention_mask.cpu().numpy()})[0]
        return SimpleNamespace(last_hidden_state=torch.from_numpy(out.copy()))
