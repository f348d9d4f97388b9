"""Tiny random MT models for the translation tests, built once per test session."""
from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import pytest
from tiny_models import training_text

from xlie.translation.backends.base import Backend, Hypothesis


@functools.lru_cache(maxsize=None)
def tiny_marian() -> Path:
    from random_model import build_random_marian
    return build_random_marian(Path(tempfile.mkdtemp(prefix="tiny-marian-")), training_text())


@functools.lru_cache(maxsize=None)
def tiny_m2m100() -> Path:
    from random_model import build_random_m2m100
    return build_random_m2m100(Path(tempfile.mkdtemp(prefix="tiny-m2m-")), training_text())


SENTENCES = [
    "I tried to examine myself .",
    "The European Parliament adjourned the session on Friday 17 December 1999 .",
    "the cat sat on the mat .",
    "Hello",
    "I felt my pulse .",
    "The Commission has presented its report , which we welcome .",
    "I tried to examine myself .",   # a repeat: translated once
    "Thank you , Mr Segni , I shall do so gladly .",
]


def write_corpus(path: Path, sentences=SENTENCES, spans=None) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for k, s in enumerate(sentences):
            rec = {"id": f"s{k}", "lang": "en", "tokens": s.split()}
            if spans and k in spans:
                rec["spans"] = spans[k]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


class EchoBackend(Backend):
    """A test double standing in for MT: the 'translation' is the source text itself, with
    an optional rewrite; it counts calls like any backend."""

    name = "echo"
    key = "echo"
    max_input_tokens = 64

    def __init__(self, rewrite=lambda s: s):
        super().__init__()
        self.rewrite = rewrite
        self.vocab: dict[str, int] = {}
        self.texts: dict[int, str] = {}

    def encode(self, texts):
        out = []
        for t in texts:
            i = self.vocab.setdefault(t, len(self.vocab))
            self.texts[i] = t
            out.append([i] * max(1, len(t.split())))  # one "token" per word
        return out

    def _translate(self, batch):
        return [Hypothesis(self.rewrite(self.texts[ids[0]])) for ids in batch]


class KilledAfter(Exception):
    pass


def kill_after(backend: Backend, calls: int) -> Backend:
    """Make ``backend`` raise on its ``calls+1``-th batch, like a process killed mid-run."""
    real = backend._translate

    def wrapped(batch):
        if backend.calls > calls:
            raise KilledAfter()
        return real(batch)

    backend._translate = wrapped
    return backend


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread, and the test machine is shared."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
