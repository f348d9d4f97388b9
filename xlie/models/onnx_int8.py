"""ONNX Runtime int8 for the aligner's encoder (``xlie align --dtype int8``).

The layers up to the one the aligner reads are exported once to ONNX (``torch.onnx``),
quantized with ONNX Runtime's dynamic int8 (per-channel weight scales, activations
quantized per batch) and kept under ``$XLIE_HOME``: beside the built-in model
(``models/e5-small/int8/layer7.onnx``), or under ``int8/`` for any other model. Later runs
load the file and never touch the fp32 weights.

The feed-forward down projections (BERT/XLM-R ``layer.N.output.dense``) stay fp32: their
inputs carry outlier activations that per-batch int8 flattens. On the en-cs gold,
quantizing them too cost +0.46 AER; keeping them, +0.06 (benchmarks/RESULTS.md,
align-dtype). Needs the ``int8`` extra: ``pip install 'xlie[int8]'``.
"""
from __future__ import annotations

import hashlib
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

# MatMul nodes that torch.onnx names after the FFN's down projection of a BERT-style layer
FFN_DOWN = re.compile(r"layer\.\d+/output/dense/")
OPSET = 17


def int8_path(name: str, resolved: str, layer: int) -> Path:
    """Where the int8 encoder of ``name`` cut at ``layer`` lives: beside a built-in model,
    else under ``$XLIE_HOME/int8`` keyed by the model's path (and its config's time) or id."""
    if name in BUILTIN_MODELS:
        return builtin_path(name) / "int8" / f"layer{layer}.onnx"
    path = Path(resolved).expanduser()
    key = resolved
    if path.is_dir():
        config = path / "config.json"
        key = f"{path.resolve()}|{config.stat().st_mtime_ns if config.exists() else 0}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.rstrip("/")).name or "model")[:40]
    return xlie_home() / "int8" / f"{tail}-{digest}" / f"layer{layer}.onnx"


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


def build_int8(model, target: Path, layer: int | None = None) -> Path:
    """Export ``model`` (fp32, CPU; ``layer`` None when it is already cut to the aligner's
    layers) to ONNX and quantize it to int8 at ``target``, through a temporary directory
    renamed into place. Raises whatever the export or the quantizer raises."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    import onnx

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target.name + ".", target.parent)
    try:
        fp32 = tmp / "fp32.onnx"
        ids = torch.full((2, 8), 5, dtype=torch.long)
        mask = torch.ones_like(ids)
        axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                "hidden": {0: "batch", 1: "tokens"}}
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")          # tracer notices about shapes
            torch.onnx.export(_LayerOutput(model, layer), (ids, mask), str(fp32),
                              input_names=["input_ids", "attention_mask"],
                              output_names=["hidden"], dynamic_axes=axes, opset_version=OPSET,
                              dynamo=False)
        graph = onnx.load(str(fp32), load_external_data=False).graph
        keep_fp32 = [n.name for n in graph.node
                     if n.op_type in ("MatMul", "Gemm") and FFN_DOWN.search(n.name)
                     and "attention" not in n.name]
        quantized = tmp / target.name
        logging.disable(logging.WARNING)     # the quantizer's advice on the root logger
        try:
            quantize_dynamic(str(fp32), str(quantized), weight_type=QuantType.QInt8,
                             per_channel=True, nodes_to_exclude=keep_fp32)
        finally:
            logging.disable(logging.NOTSET)
        os.replace(quantized, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class OnnxEncoder:
    """An int8 ONNX encoder called like a transformers model: ``(input_ids=, attention_mask=)``
    -> an object with ``last_hidden_state`` (a float32 torch tensor)."""

    def __init__(self, path: str | Path, threads: int | None = None):
        import onnxruntime as ort
        import torch
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids, attention_mask):
        import torch
        out = self.session.run(None, {"input_ids": input_ids.cpu().numpy(),
                                      "attention_mask": attention_mask.cpu().numpy()})[0]
        return SimpleNamespace(last_hidden_state=torch.from_numpy(out))
