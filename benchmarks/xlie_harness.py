"""Run xlie's public ``Aligner`` many times (layers x methods) without paying for repeats.

Only the harness is patched, never xlie: the loaded model and tokenizer are kept and each new
``Aligner`` gets a deep copy (its encoder drops the layers above its own, so copies are
needed), and ``Encoder.encode`` remembers its last few results, so the methods of one layer share
one forward pass. Every ``Aligner`` is still built through its public constructor, so its
defaults (threshold, granularity, symmetrisation) are whatever xlie ships.
"""
from __future__ import annotations

import copy
import time
from typing import Sequence

_models: dict = {}
_tokenizers: dict = {}
_last: dict = {}
_seconds: list = [0.0]


def install_caches() -> None:
    import xlie.aligners.encoder as enc_mod

    load_model, load_tok, encode = enc_mod.load_pretrained, enc_mod.load_tokenizer, enc_mod.Encoder.encode

    def cached_model(cls, name, **kw):
        key = (cls, str(name), tuple(sorted(kw.items())))
        if key not in _models:
            _models[key] = load_model(cls, name, **kw)
        return copy.deepcopy(_models[key])

    def cached_tokenizer(name, *a, **kw):
        key = str(name)
        if key not in _tokenizers:
            _tokenizers[key] = load_tok(name, *a, **kw)
        return _tokenizers[key]

    def remembered_encode(self, sentences, *a, **kw):
        key = (self.name, self.layer, len(sentences), hash(tuple(tuple(s) for s in sentences)), a,
               tuple(sorted(kw.items())))
        if key not in _last:
            if len(_last) >= 4:            # an align call may encode twice (cut planning, then all)
                _last.pop(next(iter(_last)))
            t = time.perf_counter()
            _last[key] = (encode(self, sentences, *a, **kw), time.perf_counter() - t)
        _seconds[:] = [_last[key][1]]
        return _last[key][0]

    enc_mod.load_pretrained, enc_mod.load_tokenizer = cached_model, cached_tokenizer
    enc_mod.Encoder.encode = remembered_encode


def last_encode_seconds() -> float:
    """Seconds of the forward pass behind the last encode (cached or not)."""
    return float(_seconds[0])


def xlie_links(aligner, pairs: Sequence[tuple[list[str], list[str]]]) -> list[set]:
    return [{(i, j) for i, j, _ in r.links} for r in aligner.align_pairs(pairs)]
