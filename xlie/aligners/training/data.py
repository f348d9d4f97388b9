"""Parallel text for fine-tuning: reading, length filtering and batch building.

Input is awesome-align's ``src ||| tgt`` (pretokenized) or JSONL corpus records carrying
``tokens`` and ``translation.tokens`` (or plain ``{"src": [...], "tgt": [...]}``). A bad line
is an error naming file and line, as in the aligner; a pair longer than the model's limit is
skipped and counted, so one long sentence never stops a long run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch

from ...errors import InputFormatError
from ...formats.jsonl import read_jsonl
from ...formats.parallel import read_parallel

log = logging.getLogger(__name__)
Pair = tuple[list[str], list[str]]


def _jsonl_pair(path, line: int, rec: dict) -> Pair:
    if "src" in rec and "tgt" in rec:
        src, tgt = rec["src"], rec["tgt"]
    else:
        src = rec.get("tokens")
        tgt = (rec.get("translation") or {}).get("tokens")
    ok = all(isinstance(s, list) and s and all(isinstance(w, str) and w.strip() for w in s)
             for s in (src, tgt))
    if not ok:
        raise InputFormatError(path, line, "a record with non-empty token lists in 'tokens' and "
                               "'translation.tokens' (or 'src' and 'tgt')", str(rec))
    return list(src), list(tgt)


def read_pairs(path: str | Path) -> list[Pair]:
    """All pairs of a parallel-text or JSONL file; the first bad line raises with its number."""
    path = Path(path)
    if not path.exists():
        raise InputFormatError(path, None, "an existing file of parallel text")
    if path.suffix in (".jsonl", ".json"):
        return [_jsonl_pair(path, line, rec) for line, rec in read_jsonl(path)]
    return [(p.src, p.tgt) for p in read_parallel(path, strict=True)]


def model_length_limit(tokenizer, config, wanted: int) -> int:
    """Subwords (special tokens included) one side may have: the smallest of the wanted
    length, the tokenizer's limit and the position table (XLM-R positions start after pad)."""
    limit = int(getattr(config, "max_position_embeddings", wanted))
    if "roberta" in str(getattr(config, "model_type", "")):
        limit -= int(getattr(config, "pad_token_id", 1) or 0) + 1
    tok_max = getattr(tokenizer, "model_max_length", None)
    if tok_max and tok_max < 1_000_000:
        limit = min(limit, int(tok_max))
    return min(limit, wanted)


def filter_by_length(pairs: Sequence[Pair], tokenizer, max_len: int) -> tuple[list[Pair], int]:
    """Keep pairs whose two sides each fit ``max_len`` subwords; return them and the count skipped."""
    kept: list[Pair] = []
    skipped = 0
    for start in range(0, len(pairs), 512):
        chunk = pairs[start:start + 512]
        enc_s = tokenizer([s for s, _ in chunk], is_split_into_words=True, verbose=False)["input_ids"]
        enc_t = tokenizer([t for _, t in chunk], is_split_into_words=True, verbose=False)["input_ids"]
        for pair, a, b in zip(chunk, enc_s, enc_t):
            if len(a) <= max_len and len(b) <= max_len:
                kept.append(pair)
            else:
                skipped += 1
    return kept, skipped


class PairDataset(torch.utils.data.Dataset):
    def __init__(self, pairs: Sequence[Pair]):
        self.pairs = list(pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> Pair:
        return self.pairs[i]


@dataclass
class Collator:
    """Builds the tensors the enabled objectives need from a list of word-split pairs.

    ``mono_*``: sources then targets, one per row (2B rows). ``pair_*``: each source and its
    own target in one sequence (B rows), positions restarting for the target as in TLM.
    ``neg_*``: each source with the next pair's target (in-batch negatives for PSI)."""

    tokenizer: object
    position_offset: int = 0
    need_pair: bool = True
    need_neg: bool = True
    _blank: dict = field(default_factory=dict)

    def blank_piece(self, token_id: int) -> bool:
        """A piece that carries no character (a lone '▁' before punctuation): left out of
        the similarity matrices, as in the aligner."""
        hit = self._blank.get(token_id)
        if hit is None:
            hit = self.tokenizer.decode([token_id]).strip() == ""
            self._blank[token_id] = hit
        return hit

    def _encode(self, a, b=None) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(a, b, is_split_into_words=True, padding=True, return_tensors="pt",
                             return_special_tokens_mask=True, verbose=False)
        ids, mask = enc["input_ids"], enc["attention_mask"]            # (R, T)
        special = enc["special_tokens_mask"].bool() | ~mask.bool()
        out = {"input_ids": ids, "attention_mask": mask, "special": special}
        if b is None:
            blank = torch.tensor([[self.blank_piece(int(t)) for t in row] for row in ids.tolist()])
            out["content"] = ~special & ~blank
            out["word_ids"] = torch.tensor([[-1 if w is None else w for w in enc.word_ids(r)]
                                            for r in range(ids.shape[0])])      # (R, T)
        else:
            pos = torch.zeros_like(ids)
            for r in range(ids.shape[0]):
                seq = enc.sequence_ids(r)
                start = seq.index(1) if 1 in seq else ids.shape[1]
                k = torch.arange(ids.shape[1])
                pos[r] = torch.where(k < start, k, k - start + 1)       # target restarts at 1
            out["position_ids"] = pos * mask + self.position_offset             # pads: 0
        return out

    def __call__(self, items: Sequence[Pair]) -> dict[str, torch.Tensor]:
        src = [list(s) for s, _ in items]
        tgt = [list(t) for _, t in items]
        batch = {f"mono_{k}": v for k, v in self._encode(src + tgt).items()}
        if self.need_pair:
            batch.update({f"pair_{k}": v for k, v in self._encode(src, tgt).items()})
        if self.need_neg and len(items) > 1:
            rolled = tgt[1:] + tgt[:1]
            batch.update({f"neg_{k}": v for k, v in self._encode(src, rolled).items()})
        return batch
