"""ONNX Runtime's dynamic int8 for the aligner's encoder: the alternative `xlie align --dtype
int8` used before OpenVINO, kept here to measure against it (`align_dtype.py`, setting
``xlie:int8-ort``; needs ``pip install onnxruntime``). Weights int8 per channel, each
batch's activations quantized on the fly; the FFN down projections stay fp32 (their inputs
carry outlier activations: quantizing them cost +0.46 AER on en-cs)."""
from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

FFN_DOWN = re.compile(r"layer\.\d+/output/dense/")   # torch.onnx's names of BERT FFN outputs


def use_ort_int8() -> None:
    """Make ``xlie.models.int8_encoder`` build and run ONNX Runtime's int8 instead."""
    import xlie.models.int8_encoder as m
    path_of = m.int8_path
    m.int8_path = lambda *a: path_of(*a).with_name(path_of(*a).stem + "-ort.onnx")
    m.build_int8 = build
    m.Int8Encoder = Session


def build(model, tokenizer, target: Path, layer=None) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from xlie.fileio import make_temp_dir
    from xlie.models.int8_encoder import export_onnx
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target.name + ".", target.parent)
    try:
        fp32 = export_onnx(model, tmp / "fp32.onnx", layer)
        keep = [n.name for n in onnx.load(str(fp32), load_external_data=False).graph.node
                if n.op_type in ("MatMul", "Gemm") and FFN_DOWN.search(n.name)
                and "attention" not in n.name]
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(str(fp32), str(tmp / target.name), weight_type=QuantType.QInt8,
                             per_channel=True, nodes_to_exclude=keep)
        finally:
            logging.disable(logging.NOTSET)
        os.replace(tmp / target.name, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class Session:
    def __init__(self, path, threads=None):
        import onnxruntime as ort
        import torch
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads or torch.get_num_threads(), 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids, attention_mask):
        import torch
        out = self.session.run(None, {"input_ids": input_ids.cpu().numpy(),
                                      "attention_mask": attention_mask.cpu().numpy()})[0]
        return SimpleNamespace(last_hidden_state=torch.from_numpy(out))
