"""Words -> model inputs, in windows that fit the encoder: long sentences are split, never
truncated, and every word is labeled (and predicted) at its first subword in exactly one
window.

Subwords come from one call of the fast tokenizer per sentence and are mapped to words by
``word_ids()``; the special tokens around a window are those the tokenizer itself puts
around one word (read off ``word_ids()`` once), so no special-token id or WordPiece rule is
assumed.
When a sentence is split, each window's own ("core") words take half the budget and context
words on both sides fill the rest; the loss and the predictions use core words only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch

IGNORE = -100
ROBERTA_LIKE = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "xmod", "longformer"}


@dataclass
class Window:
    input_ids: list[int]
    first_of: list[Optional[int]]  # sentence word index at the first subword of a core word


def model_limit(tokenizer, model_config, max_length: Optional[int] = None) -> int:
    """Subwords per input, specials included: the smallest of the tokenizer's limit, the
    position table (RoBERTa-style models offset positions by ``pad_token_id + 1``) and
    ``max_length``."""
    limits = []
    tok_max = getattr(tokenizer, "model_max_length", None)
    if tok_max and tok_max < 1_000_000:
        limits.append(int(tok_max))
    positions = getattr(model_config, "max_position_embeddings", None)
    if positions:
        if getattr(model_config, "model_type", "") in ROBERTA_LIKE:
            positions -= (model_config.pad_token_id or 0) + 1
        limits.append(int(positions))
    if max_length:
        limits.append(int(max_length))
    return min(limits) if limits else 512


class WindowEncoder:
    """Splits word sequences into windows of at most ``max_length`` subwords."""

    def __init__(self, tokenizer, max_length: int, context: bool = True):
        self.tok = tokenizer
        self.max_length = max_length
        probe = tokenizer(["x"], is_split_into_words=True)
        wids = probe.word_ids()
        inside = [i for i, w in enumerate(wids) if w is not None]
        self.prefix = probe["input_ids"][: inside[0]]        # e.g. [<s>]
        self.suffix = probe["input_ids"][inside[-1] + 1:]    # e.g. [</s>]
        self.budget = max_length - len(self.prefix) - len(self.suffix)
        if self.budget < 2:
            raise ValueError(f"max_length {max_length} leaves no room for words")
        self.context = context

    def pieces(self, words: Sequence[str]) -> list[list[int]]:
        """Subword ids of each word (``word_ids()``); a word that yields none gets the unknown
        token, so every word can be labeled and predicted."""
        enc = self.tok(list(words), is_split_into_words=True, add_special_tokens=False)
        out: list[list[int]] = [[] for _ in words]
        for tid, w in zip(enc["input_ids"], enc.word_ids()):
            if w is not None:
                out[w].append(tid)
        unk = self.tok.unk_token_id
        return [(p or [unk])[: self.budget] for p in out]

    def _spans(self, sizes: list[int]) -> list[tuple[int, int, int, int]]:
        """``(left, core_start, core_end, right)`` word ranges of each window."""
        n = len(sizes)
        if sum(sizes) <= self.budget:
            return [(0, 0, n, n)]
        core_budget = max(self.budget // 2, 1) if self.context else self.budget
        cores, start, used = [], 0, 0
        for i, s in enumerate(sizes):
            if i > start and used + s > core_budget:
                cores.append((start, i))
                start, used = i, 0
            used += s
        cores.append((start, n))
        out = []
        for a, b in cores:
            left, right, used = a, b, sum(sizes[a:b])
            grew = self.context
            while grew:
                grew = False
                if right < n and used + sizes[right] <= self.budget:
                    used += sizes[right]
                    right += 1
                    grew = True
                if left > 0 and used + sizes[left - 1] <= self.budget:
                    left -= 1
                    used += sizes[left]
                    grew = True
            out.append((left, a, b, right))
        return out

    def windows(self, words: Sequence[str]) -> list[Window]:
        pieces = self.pieces(words)
        out = []
        for left, a, b, right in self._spans([len(p) for p in pieces]):
            flat: list[int] = []
            first: list[Optional[int]] = []
            for w in range(left, right):
                for k, tid in enumerate(pieces[w]):
                    flat.append(tid)
                    first.append(w if k == 0 and a <= w < b else None)
            ids = self.prefix + flat + self.suffix
            first = [None] * len(self.prefix) + first + [None] * len(self.suffix)
            out.append(Window(ids, first))
        return out


def training_features(encoder: WindowEncoder, words: Sequence[str],
                      labels: Sequence[Optional[str]], label2id: dict[str, int],
                      weight: float) -> list[dict]:
    """One feature per window that has at least one labeled word."""
    feats = []
    for win in encoder.windows(words):
        lab = [label2id[labels[w]] if w is not None and labels[w] is not None else IGNORE
               for w in win.first_of]
        if any(x != IGNORE for x in lab):
            feats.append({"input_ids": win.input_ids, "labels": lab, "weight": weight})
    return feats


def collate(features: list[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch: input_ids/attention_mask/labels (B, T), weight (B,)."""
    width = max(len(f["input_ids"]) for f in features)
    ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(features), width), dtype=torch.long)
    labels = torch.full((len(features), width), IGNORE, dtype=torch.long)
    for i, f in enumerate(features):
        n = len(f["input_ids"])
        ids[i, :n] = torch.tensor(f["input_ids"])
        mask[i, :n] = 1
        if "labels" in f:
            labels[i, :n] = torch.tensor(f["labels"])
    weight = torch.tensor([f.get("weight", 1.0) for f in features], dtype=torch.float)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels, "weight": weight}
