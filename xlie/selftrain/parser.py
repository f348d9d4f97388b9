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

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..corpus import Sentence
from ..errors import XlieError
from ..models import load_pretrained, load_tokenizer
from ..trees import max_spanning_tree
from .steplog import StepLog

CONFIG = "parser.json"
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
        self.feature_cache: Optional[dict] = None  # set by train_parser(freeze_encoder=True)
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
    def _hidden(self, batch: Batch) -> torch.Tensor:
        """Encoder states; with a frozen encoder each sentence's are computed once and kept
        in ``feature_cache`` (the same subwords give the same vectors, dropout off)."""
        if self.feature_cache is None:
            return self.encoder(input_ids=batch.input_ids,
                                attention_mask=batch.attention_mask).last_hidden_state
        if self._split is None or self._split.cache is not self.feature_cache:
            from .frozen import SplitEncoder, encoder_layers   # built once per cache, not per batch
            self._split = SplitEncoder(self.encoder, len(encoder_layers(self.encoder)),
                                       self.tokenizer.pad_token_id or 0, self.feature_cache)
        return self._split.lower(batch.input_ids, batch.attention_mask)

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
        arc, rd, rh = self(batch)
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
            labels = self.head.rel_scores(rd, rh, trees).argmax(-1)       # (B, N)
            probs = logp.gather(2, trees[..., None]).squeeze(2).exp()
            for b, s in enumerate(part):
                n = len(s.tokens)
                out.append(s.model_copy(update={
                    "heads": trees[b, :n].tolist(),
                    "deprels": [self.rels[r] for r in labels[b, :n].tolist()],
                    "arc_scores": [round(p, 4) for p in probs[b, :n].tolist()]}))
        self.train(was)
        return out

    # --- files -----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        torch.save(self.head.state_dict(), path / WEIGHTS)
        (path / CONFIG).write_text(json.dumps({"rels": self.rels, "max_length": self.max_length,
                                               **self.sizes}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> "Parser":
        path = Path(path)
        if not (path / CONFIG).exists():
            raise XlieError(f"{path} is not a parser directory (no {CONFIG})",
                            "give the model directory that `train_parser` wrote")
        cfg = json.loads((path / CONFIG).read_text())
        rels = cfg.pop("rels")
        parser = cls.from_encoder(path, rels, **cfg)
        parser.head.load_state_dict(torch.load(path / WEIGHTS, weights_only=True))
        parser.eval()
        return parser


def relations_of(sents: Iterable[Sentence]) -> list[str]:
    """The relations the training trees use, sorted."""
    return sorted({r for s in sents for h, r in zip(s.heads or [], s.deprels or [])
                   if h is not None and r not in (None, "_")})


def train_parser(source: Sequence[Sentence], out: str | Path, model: str | Path, *,
                 silver: Sequence[Sentence] = (), epochs: int = 3, batch_size: int = 16,
                 lr: float = 5e-5, head_lr: float = 2e-3, min_arc_score: Optional[float] = None,
                 silver_weight: float = 1.0, freeze_layers: int = 0,
                 freeze_embeddings: bool = False, max_steps: Optional[int] = None,
                 seed: int = 0, max_length: Optional[int] = None, arc_dim: int = 256,
                 rel_dim: int = 64, freeze_encoder: bool = False,
                 feature_cache: Optional[dict] = None) -> Parser:
    """Train on gold source trees plus partial silver trees (unknown and weak arcs left out
    of the loss); the parser is saved to ``out`` and returned. ``freeze_encoder`` trains the
    head alone on encoder states computed once per sentence (``feature_cache``, a dict that
    may be shared between runs on the same encoder): far cheaper on a CPU.
    ``freeze_embeddings`` keeps the input word vectors fixed (the CLI's default, as for the
    taggers), ``freeze_layers`` also the lowest layers."""
    random.seed(seed)
    torch.manual_seed(seed)
    data = [(s, 1.0) for s in source if s.heads] + [(s, silver_weight) for s in silver if s.heads]
    if not data:
        raise XlieError("no sentence with a tree to train the parser on",
                        "give CoNLL-U (or JSONL with heads/deprels) source or silver data")
    parser = Parser.from_encoder(model, relations_of(s for s, _ in data), max_length=max_length,
                                 arc_dim=arc_dim, rel_dim=rel_dim)
    data = [(s, w) for s, w in data if parser.fits(s)]  # too long for one piece: left out
    if freeze_encoder:
        parser.encoder.requires_grad_(False)
        parser.feature_cache = {} if feature_cache is None else feature_cache
    elif freeze_layers or freeze_embeddings:
        from types import SimpleNamespace
        from .trainer import freeze
        freeze(parser.encoder, SimpleNamespace(freeze_embeddings=freeze_embeddings,
                                               model=str(model), freeze_layers=freeze_layers))
    groups = [{"params": [p for p in parser.encoder.parameters() if p.requires_grad], "lr": lr},
              {"params": list(parser.head.parameters()), "lr": head_lr}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=0.01)
    parser.train()
    step = 0
    per_epoch = -(-len(data) // batch_size)
    total = min(max_steps or epochs * per_epoch, epochs * per_epoch)
    log = StepLog(total, 0, epochs, None, enabled=True, metric="LAS")
    log.message(f"train: {len(data)} sentences with trees, {per_epoch} steps an epoch, "
                f"at most {total} steps ({epochs} epochs)")
    for epoch in range(epochs):
        order = list(data)
        random.Random(seed * 1000 + epoch).shuffle(order)
        for k in range(0, len(order), batch_size):
            part = order[k:k + batch_size]
            batch = parser.batch([s for s, _ in part], min_arc_score)
            loss = parser.loss(batch, torch.tensor([w for _, w in part]))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parser.parameters(), 5.0)
            opt.step()
            step += 1
            log.step(step, epoch, loss.item())
            if max_steps and step >= max_steps:
                break
        if max_steps and step >= max_steps:
            break
    log.close()
    log.message(f"train: {step} steps done; parser saved to {out}")
    parser.save(out)
    parser.eval()
    return parser


def confident_arcs(sents: Sequence[Sentence], threshold: float) -> list[Sentence]:
    """Pseudo-labels: predicted trees with the arcs under ``threshold`` left out (partial
    trees, each part of one well-formed tree); sentences with no arc left are dropped."""
    out = []
    for s in sents:
        keep = [h if x is not None and x >= threshold else None
                for h, x in zip(s.heads, s.arc_scores or [None] * len(s.heads))]
        if any(h is not None for h in keep):
            out.append(s.model_copy(update={
                "heads": keep, "deprels": [r if h is not None else "_"
                                           for r, h in zip(s.deprels, keep)]}))
    return out


def self_train_parser(source: Sequence[Sentence], unlabeled: Sequence[Sentence],
                      out: str | Path, model: str | Path, *, silver: Sequence[Sentence] = (),
                      rounds: int = 2, threshold: float = 0.9,
                      test: Sequence[Sentence] = (), **train_kw) -> dict:
    """Round 0 on source + silver, then ``rounds`` of: parse ``unlabeled`` -> keep the
    arcs whose head probability is >= ``threshold`` -> retrain from the base encoder on
    source + silver + those pseudo-trees. Returns per-round counts (and test UAS/LAS)."""
    from ..scoring import pair_sentences, score_dep
    out = Path(out)
    summary: dict = {"rounds": []}
    pseudo: list[Sentence] = []
    for r in range(rounds + 1):
        done = out / f"round-{r}"
        if (done / CONFIG).exists():  # finished before an interruption (written last)
            parser = Parser.load(done)
        else:
            parser = train_parser(source, done, model, silver=list(silver) + pseudo, **train_kw)
        info: dict = {"round": r, "pseudo_sentences": len(pseudo),
                      "pseudo_arcs": sum(h is not None for s in pseudo for h in s.heads)}
        if test:
            gold = [s for s in test if parser.fits(s)]
            info["test"] = score_dep(pair_sentences(gold, parser.predict(gold)))
        summary["rounds"].append(info)
        if r < rounds:
            text = [s for s in unlabeled if parser.fits(s)]
            pseudo = confident_arcs(parser.predict(text), threshold)
    summary["final_model"] = f"round-{rounds}"
    return summary


def _read(paths: Sequence[str | Path]) -> list[Sentence]:
    from ..formats.detect import read_any
    return [s for p in paths for s in read_any(p)]


def _train_kw(config) -> dict:
    """train_parser's keywords from a TaggerTrainConfig."""
    # no epochs set: the step budget ends training (max_steps epochs bound it from above)
    return dict(epochs=config.epochs or config.max_steps, batch_size=config.batch_size, lr=config.lr,
                head_lr=config.head_lr or 2e-3, min_arc_score=config.min_arc_score,
                silver_weight=config.silver_weight, freeze_layers=config.freeze_layers,
                freeze_embeddings=config.freeze_embeddings, max_steps=config.max_steps, seed=config.seed, max_length=config.max_length)


def self_train_parser_files(source: Sequence[str | Path], unlabeled: Sequence[str | Path],
                            out: str | Path, config, silver: Sequence[str | Path] = (),
                            test: Optional[str | Path] = None) -> dict:
    """``xlie selftrain run --task dep``: rounds as ``self_train_parser``, with the settings
    of a ``SelfTrainConfig`` (pseudo-arcs kept at ``select.threshold``); OUT/summary.json."""
    from ..fileio import atomic_write
    text = [s.model_copy(update={"heads": None, "deprels": None, "arc_scores": None})
            for s in _read(unlabeled)]  # trees in the unlabeled text are ignored
    summary = self_train_parser(_read(source), text, out, config.train.model,
                                silver=_read(silver), rounds=config.rounds,
                                threshold=config.select.threshold,
                                test=_read([test]) if test else (), **_train_kw(config.train))
    with atomic_write(Path(out) / "summary.json") as f:
        json.dump(summary, f, indent=1)
    return summary


def train_parser_files(source: Sequence[str | Path], out: str | Path, config,
                       silver: Sequence[str | Path] = (), test: Optional[str | Path] = None
                       ) -> dict:
    """``xlie selftrain train --task dep``: a parser in ``OUT/model`` from the files, with
    the settings of a ``TaggerTrainConfig``; ``OUT/metrics.json`` (test UAS/LAS)."""
    from ..fileio import atomic_write
    from ..scoring import pair_sentences, score_dep
    parser = train_parser(_read(source), Path(out) / "model", config.model,
                          silver=_read(silver), **_train_kw(config))
    metrics: dict = {"task": "dep", "model": str(Path(out) / "model"), "rels": parser.rels}
    if test:
        gold = [s for s in _read([test]) if parser.fits(s)]
        metrics["test"] = score_dep(pair_sentences(gold, parser.predict(gold)))
    with atomic_write(Path(out) / "metrics.json") as f:
        json.dump(metrics, f, indent=1)
    return metrics


def parse_files(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                fmt: Optional[str] = None, batch_size: int = 16, score: bool = False) -> dict:
    """``xlie selftrain predict`` with a parser: every sentence gets a tree (CoNLL-U HEAD,
    DEPREL, ArcScore in MISC); with ``score``, UAS/LAS against the inputs' own trees."""
    from ..formats.detect import write_any
    from ..scoring import pair_sentences, score_dep
    parser = Parser.load(model)
    sents = _read(inputs)
    long = [s.id for s in sents if not parser.fits(s)]
    if long:
        raise XlieError(f"{len(long)} sentences are longer than the parser's {parser.max_length} "
                        f"subwords (first: {long[0]})", "split them before parsing")
    pred = parser.predict(sents, batch_size)
    write_any(output, pred, *inputs, fmt=fmt)
    report: dict = {"sentences": len(pred)}
    if score:
        report["dep"] = score_dep(pair_sentences(sents, pred))
    return report
