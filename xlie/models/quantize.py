"""Inference at lower precision: the one place that turns a loaded model into its bf16,
fp16 or int8 form, for the aligner's encoder and for every predictor (taggers, parser,
relation classifier).

- ``bf16``: the weights cast to bfloat16, on a GPU or a CPU (fast where the CPU has AMX or
  AVX512-BF16; elsewhere it still runs, slowly).
- ``fp16``: GPU only; on a CPU it falls back to fp32 with a warning.
- ``int8``: PyTorch's dynamic int8 (``torch.ao.quantization.quantize_dynamic``, per-channel
  weights) on every ``nn.Linear``; CPU only. The aligner's encoder uses OpenVINO's int8
  instead (``models/int8_encoder.py``): on the en-cs gold it is faster at less AER cost
  (benchmarks/RESULTS.md, align-dtype).

Whatever cannot be converted runs in fp32 after one warning line: the output is the fp32
output, never an error.
"""
from __future__ import annotations

import sys
import warnings
from typing import Callable, Literal, Optional

DTYPES = ("fp32", "fp16", "bf16", "int8")
Dtype = Literal["fp32", "fp16", "bf16", "int8"]
Warn = Callable[[str], None]


def warn_line(message: str) -> None:
    """The default warning: one line on stderr, as the CLI prints its own."""
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def check_dtype(dtype: Optional[str]) -> str:
    """``None`` is fp32; an unknown name is an error naming the known ones."""
    if dtype is None:
        return "fp32"
    if dtype not in DTYPES:
        from ..errors import UnknownNameError
        raise UnknownNameError("dtype", dtype, DTYPES)
    return dtype


def is_cuda(device) -> bool:
    return str(device).startswith("cuda")


def for_inference(model, dtype: Optional[str], device="cpu", warn: Optional[Warn] = None,
                  float_outputs: bool = False):
    """``model`` (in eval mode, on ``device``) converted to ``dtype`` for inference; fp32
    with one warning line where that dtype cannot be had here. May return a new module
    (int8); the caller uses the returned one. ``float_outputs``: a half-precision model's
    floating outputs come back as float32, for an fp32 head that reads them (the parser's,
    the relation classifier's)."""
    warn = warn or warn_line
    dtype = check_dtype(dtype)
    model.eval()
    if dtype == "fp32":
        return model
    if dtype in ("bf16", "fp16"):
        import torch
        if dtype == "fp16" and not is_cuda(device):
            warn("fp16 runs on a GPU only; running in fp32 (on a CPU use --dtype bf16 or int8)")
            return model
        if dtype == "bf16" and not is_cuda(device) and not cpu_has_bf16():
            warn("this CPU has neither AMX nor AVX512-BF16: bf16 runs emulated, likely slower "
                 "than fp32")
        model = model.to(torch.bfloat16 if dtype == "bf16" else torch.float16)
        if float_outputs:
            model.register_forward_hook(_outputs_to_float)
        return model
    if is_cuda(device):
        warn("int8 runs on a CPU only; running in fp32 (on a GPU use --dtype bf16)")
        return model
    try:
        return quantize_linear_int8(model)
    except Exception as e:   # an unusual model: keep its fp32 form
        warn(f"could not quantize {type(model).__name__} to int8 ({quantize_error(e)}); "
             "running in fp32")
        return model


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AMX or AVX512-BF16); True when unknown."""
    import torch
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:          # a torch without the probes: do not guess
        return True


def _outputs_to_float(_module, _inputs, output):
    """Forward hook: the floating tensors of a model's output as float32."""
    import torch
    if isinstance(output, torch.Tensor):
        return output.float() if output.is_floating_point() else output
    if hasattr(output, "items"):             # a transformers ModelOutput
        for key, value in list(output.items()):
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                output[key] = value.float()
            elif isinstance(value, tuple):
                output[key] = tuple(v.float() if isinstance(v, torch.Tensor) else v
                                    for v in value)
    return output


def quantize_linear_int8(model):
    """PyTorch dynamic int8 on every ``nn.Linear`` (per-channel weight scales, activations
    quantized per batch); the model stays on the CPU."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    engines = torch.backends.quantized.supported_engines
    if "x86" in engines:
        torch.backends.quantized.engine = "x86"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # torch.ao's deprecation notices
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                dtype=torch.qint8)


def quantize_error(error: Exception) -> str:
    """The first line of why a model did not quantize, for the one warning line."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:160]
