"""Ctrl-C that stops training within a moment and leaves a checkpoint to resume from.

Python raises ``KeyboardInterrupt`` only between bytecodes, and one ``loss.backward()`` is a
single call into C++ that takes seconds on a CPU. A gradient hook on each encoder layer's
output returns control to Python once per layer during the backward pass, so the interrupt is
raised there. The optimizer's update is held as one piece: a Ctrl-C during it is raised right
after, so the weights are never half-updated.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

import torch


def _check(grad: torch.Tensor) -> torch.Tensor:
    # entering Python here is what lets a pending SIGINT raise; nothing else to do
    return grad


def interruptible_backward(model: torch.nn.Module) -> list:
    """Hooks on the output of every layer of each ``ModuleList`` of ``model`` (an encoder's
    layers) that give a pending Ctrl-C its chance during backward. Returns the handles."""
    def on_output(_module, _inputs, output):
        h = output[0] if isinstance(output, (tuple, list)) else output
        if isinstance(h, torch.Tensor) and h.requires_grad:
            h.register_hook(_check)

    handles = []
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList):
            handles += [layer.register_forward_hook(on_output) for layer in module]
    return handles


@contextmanager
def deferred_interrupt():
    """Hold a Ctrl-C that arrives inside the block and raise it on leaving (main thread only,
    and only where SIGINT is not ignored; elsewhere the block runs as it is)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) == signal.SIG_IGN):   # nohup, `cmd &`: no Ctrl-C
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt
