"""A biaffine dependency parser (Dozat & Manning 2017) over any encoder.

Each word is its first subword's vector (``word_ids()``), a learnt ROOT vector goes in
front; MLPs give dependent and head views, a biaffine arc scorer scores every head for every
word and a biaffine label scorer every relation of an arc. Predictions are decoded with the
one-root maximum spanning tree (``xlie.trees``), so every output is a well-formed tree; each
arc carries the probability of its head. Training reads gold trees and partial silver trees:
an arc with no head (``None``), or one whose ``arc_scores`` is under ``min_arc_score``, is
left out of the loss.

The model directory holds the encoder (``save_pretrained``), its tokenizer, ``parser.pt``
(the head) and ``parser.json`` (relations and sizes).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .headfiles import load_head, read_meta, save_encoder_and_head
from ..corpus import Sentence
from ..errors import XlieError
from ..models import load_pretrained, load_tokenizer
from ..trees import max_spanning_tree
from .modelcheck import PARSER_CONFIG

CONFIG = PARSER_CONFIG
WEIGHTS = "parser.pt"


class _MLP(nn.Module):
    def __init__(self, d_in: int, d_out: int, dropout: float):
        super().__init__()
        self.lin, self.drop = nn.Linear(d_in, d_out), nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(F.leaky_relu(self.lin(x), 0.1))


class BiaffineHead(nn.Module):
    """Arc scores ``(B, N+1, N+1)`` [dependent, head] from word vectors ``(B, N+1, H)``
    (position 0 is ROOT), and relation scores of given arcs (``rel_scores``): only the arcs
    a loss or a decoded tree needs are scored, not every head for every word."""

    def __init__(self, hidden: int, n_rels: int, arc_dim: int = 256, rel_dim: int = 64,
                 dropout: float = 0.2):
        super().__init__()
        self.root = nn.Parameter(torch.zeros(hidden))
        self.arc_dep, self.arc_head = _MLP(hidden, arc_dim, dropout), _MLP(hidden, arc_dim, dropout)
        self.rel_dep, self.rel_head = _MLP(hidden, rel_dim, dropout), _MLP(hidden, rel_dim, dropout)
        self.arc_w = nn.Parameter(torch.zeros(arc_dim, arc_dim))
        self.arc_b = nn.Parameter(torch.zeros(arc_dim))        # the head's own prior
        self.rel_w = nn.Parameter(torch.zeros(n_rels, rel_dim + 1, rel_dim + 1))

    def forward(self, words: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Arc scores and the relation views of dependents and heads ``(B, N+1, r+1)``."""
        d, h = self.arc_dep(words), self.arc_head(words)
        arc = torch.einsum("bdi,ij,bhj->bdh", d, self.arc_w, h) + (h @ self.arc_b)[:, None, :]
        one = words.new_ones(words.shape[:2] + (1,))
        rd = torch.cat([self.rel_dep(words), one], -1)
        rh = torch.cat([self.rel_head(words), one], -1)
        return arc, rd, rh

    def rel_scores(self, rd: torch.Tensor, rh: torch.Tensor, heads: torch.Tensor) -> torch.Tensor:
        """Relation scores ``(B, N, R)`` of the arcs ``heads`` (B, N) -> dependents 1..N
        (a head index of -1 is scored as ROOT and should be ignored by the caller)."""
        at = rh.gather(1, heads.clamp(min=0)[..., None].expand(-1, -1, rh.shape[-1]))
        return torch.einsum("bdi,rij,bdj->bdr", rd[:, 1:], self.rel_w, at)


@dataclass
class Batch:
    input_ids: torch.Tensor     # (B, T)
    attention_mask: torch.Tensor
    first: torch.Tensor         # (B, N) subword index of each word's first subword
    words: torch.Tensor         # (B, N) 1 where a word is
    heads: torch.Tensor         # (B, N) gold head, -1 where the arc is unknown/left out
    rels: torch.Tensor          # (B, N) relation id, -1 where unknown


class Parser(nn.Module):
    """Encoder + biaffine head; ``predict`` gives trees, ``save``/``load`` a directory."""

    def __init__(self, encoder, tokenizer, rels: list[str], max_length: int = 512,
                 arc_dim: int = 256, rel_dim: int = 64, dropout: float = 0.2):
        super().__init__()
        self.encoder, self.tokenizer, self.rels = encoder, tokenizer, list(rels)
        self.rel_id = {r: k for k, r in enumerate(self.rels)}
        self.max_length = max_length
        self.sizes = {"arc_dim": arc_dim, "rel_dim": rel_dim, "dropout": dropout}
        self.head = BiaffineHead(encoder.config.hidden_size, len(rels), **self.sizes)
        self.feature_cache: Optional[dict] = None  # states of the frozen layers (cache_lower)
        self.frozen_layers = 0                      # how many (0 with a cache: all of them)
        self._split = None                          # the SplitEncoder over feature_cache

    @classmethod
    def from_encoder(cls, model: str | Path, rels: list[str], max_length: Optional[int] = None,
                     **kw) -> "Parser":
        from transformers import AutoModel
        from .encode import model_limit
        encoder, tok = load_pretrained(AutoModel, model), load_tokenizer(model)
        return cls(encoder, tok, rels, model_limit(tok, encoder.config, max_length), **kw)

    def fits(self, sent: Sentence) -> bool:
        """Whether the sentence's subwords fit the encoder in one piece."""
        ids = self.tokenizer(sent.tokens, is_split_into_words=True)["input_ids"]
        return len(ids) <= self.max_length

    # --- data ------------------------------------------------------------------------
    def batch(self, sents: Sequence[Sentence], min_arc_score: Optional[float] = None) -> Batch:
        """Subwords of each sentence; words past ``max_length`` subwords are an error."""
        enc = self.tokenizer([s.tokens for s in sents], is_split_into_words=True,
                             padding=True, truncation=False, return_tensors="pt")
        n = max(len(s.tokens) for s in sents)
        first = torch.zeros(len(sents), n, dtype=torch.long)
        words = torch.zeros(len(sents), n, dtype=torch.bool)
        heads = torch.full((len(sents), n), -1, dtype=torch.long)
        rels = torch.full((len(sents), n), -1, dtype=torch.long)
        for b, s in enumerate(sents):
            if int(enc["attention_mask"][b].sum()) > self.max_length:
                raise XlieError(f"sentence {s.id} has more subwords than the parser's "
                                f"{self.max_length}", "split long sentences before parsing")
            seen = set()
            for t, w in enumerate(enc.word_ids(b)):
                if w is not None and w not in seen:
                    seen.add(w)
                    first[b, w] = t
            for w in range(len(s.tokens)):
                words[b, w] = True
                h = s.heads[w] if s.heads is not None else None
                score = s.arc_scores[w] if s.arc_scores is not None else None
                if h is None or (min_arc_score is not None and score is not None
                                 and score < min_arc_score):
                    continue
                rel = (s.deprels or ["_"] * len(s.tokens))[w]
                heads[b, w] = h
                rels[b, w] = self.rel_id.get(rel, -1)
        return Batch(enc["input_ids"], enc["attention_mask"], first, words, heads, rels)

    # --- model -----------------------------------------------------------------------
    def cache_lower(self, k: Optional[int], cache: dict) -> None:
        """Freeze the embeddings and the lowest ``k`` layers (``None``: the whole encoder) and
        compute their states once per sentence, kept in ``cache`` (dropout off there; the
        layers above run on them each step). Encoders whose layers ``frozen.py`` cannot
        find keep running every layer."""
        from .frozen import frozen_depth
        self.frozen_layers = frozen_depth(self.encoder, k)
        self.feature_cache = cache if self.frozen_layers else None
        self._split = None

    def _hidden(self, batch: Batch) -> torch.Tensor:
        """Encoder states; with frozen lower layers (:meth:`cache_lower`) their states come
        from ``feature_cache`` (the same subwords give the same vectors, dropout off)."""
        if self.feature_cache is None:
            return self.encoder(input_ids=batch.input_ids,
                                attention_mask=batch.attention_mask).last_hidden_state
        if self._split is None or self._split.cache is not self.feature_cache:
            from .frozen import SplitEncoder   # built once per cache, not per batch
            self._split = SplitEncoder(self.encoder, self.frozen_layers,
                                       self.tokenizer.pad_token_id or 0, self.feature_cache)
        return self._split(batch.input_ids, batch.attention_mask)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Arc scores ``(B, N, N+1)`` of dependents 1..N over heads 0..N (padding heads
        -inf), and the relation views for ``head.rel_scores``."""
        hidden = self._hidden(batch)
        idx = batch.first[..., None].expand(-1, -1, hidden.shape[-1])
        words = torch.gather(hidden, 1, idx)                               # (B, N, H)
        root = self.head.root.expand(words.shape[0], 1, -1)
        arc, rd, rh = self.head(torch.cat([root, words], 1))
        cand = torch.cat([batch.words.new_ones(words.shape[0], 1), batch.words], 1)
        arc = arc.masked_fill(~cand[:, None, :], float("-inf"))          # no padding heads
        return arc[:, 1:], rd, rh

    def loss(self, batch: Batch, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Cross-entropy of the gold head and of the gold relation at it, over known arcs."""
        return self.loss_of(self(batch), batch, weight)

    def loss_of(self, outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], batch: Batch,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The loss of ``forward``'s outputs (which a wrapped model may have computed)."""
        arc, rd, rh = outputs
        known = batch.heads >= 0
        if not known.any():
            return arc[batch.words].nan_to_num(0.0).sum() * 0.0
        arc_loss = F.cross_entropy(arc[known], batch.heads[known], reduction="none")
        rel = self.head.rel_scores(rd, rh, batch.heads)[known]            # (K, R)
        has_rel = batch.rels[known] >= 0
        rel_loss = torch.zeros_like(arc_loss)
        if has_rel.any():
            rel_loss[has_rel] = F.cross_entropy(rel[has_rel], batch.rels[known][has_rel],
                                                reduction="none")
        w = (weight[:, None].expand_as(known)[known] if weight is not None
             else torch.ones_like(arc_loss))
        return ((arc_loss + rel_loss) * w).sum() / known.sum()

    @torch.no_grad()
    def predict(self, sents: Sequence[Sentence], batch_size: int = 16) -> list[Sentence]:
        """The sentences with ``heads``, ``deprels`` and ``arc_scores`` (the head's
        probability); every tree is well-formed."""
        was = self.training
        self.eval()
        out = []
        for k in range(0, len(sents), batch_size):
            part = list(sents[k:k + batch_size])
            batch = self.batch(part)
            arc, rd, rh = self(batch)
            logp = arc.log_softmax(-1)
            trees = torch.zeros_like(batch.heads)
            for b, s in enumerate(part):
                n = len(s.tokens)
                scores = torch.full((n + 1, n + 1), float("-inf"))
                scores[:, 1:] = logp[b, :n, :n + 1].T                   # [head, dependent]
                trees[b, :n] = torch.tensor(max_spanning_tree(scores.numpy()))
            labels = self.label_arcs(self.head.rel_scores(rd, rh, trees), trees)
            probs = logp.gather(2, trees[..., None]).squeeze(2).exp()
            for b, s in enumerate(part):
                n = len(s.tokens)
                out.append(s.model_copy(update={
                    "heads": trees[b, :n].tolist(),
                    "deprels": labels[b][:n],
                    "arc_scores": [round(p, 4) for p in probs[b, :n].tolist()]}))
        self.train(was)
        return out

    def label_arcs(self, rel_scores: torch.Tensor, trees: torch.Tensor) -> list[list[str]]:
        """The best relation of each arc, as UD wants it: a word whose head is 0 is ``root``
        and no other word is (an unconstrained argmax gave the root word ``case``, say). With
        no relation but ``root`` learnt, another word gets UD's unspecified ``dep``."""
        scores = rel_scores.clone()
        if "root" in self.rels:
            scores[..., self.rels.index("root")] = float("-inf")
        rels = [r if r != "root" else "dep" for r in self.rels]
        return [["root" if h == 0 else rels[r] for h, r in zip(hs, rs)]
                for hs, rs in zip(trees.tolist(), scores.argmax(-1).tolist())]

    # --- files -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        save_encoder_and_head(path, self.encoder, self.tokenizer, self.head, WEIGHTS, CONFIG,
                              {"rels": self.rels, "max_length": self.max_length, **self.sizes})

    @classmethod
    def load(cls, path: str | Path, dtype: Optional[str] = None) -> "Parser":
        cfg = read_meta(path, CONFIG, "a parser directory",
                        "give the model directory that `xlie selftrain train --task dep` wrote")
        rels = cfg.pop("rels")
        parser = cls.from_encoder(path, rels, **cfg)
        load_head(parser.head, path, WEIGHTS)
        if dtype not in (None, "fp32"):       # the encoder only; the head stays fp32
            from ..models.quantize import for_inference
            parser.encoder = for_inference(parser.encoder, dtype, "cpu", float_outputs=True)
        parser.eval()
        return parser


def relations_of(sents: Iterable[Sentence]) -> list[str]:
    """The relations the training trees use, sorted."""
    return sorted({r for s in sents for h, r in zip(s.heads or [], s.deprels or [])
                   if h is not None and r not in (None, "_")})
