"""Relation classification of a marked entity pair (``xlie selftrain train --task relation``).

The standard recipe for marked pairs (Baldini Soares et al. 2019, "entity markers - entity
start"): the words ``<e1>``/``</e1>`` and ``<e2>``/``</e2>`` are put around the two
entities (spans labelled E1 and E2, as the KBP37/RELX reader gives them), the sentence goes
through any encoder (``AutoModel``) via its own tokenizer, and the hidden states of the first
subword of ``<e1>`` and of ``<e2>`` are concatenated and classified into the directed labels
(``per:employee_of(e1,e2)``, ``…(e2,e1)``, ``no_relation``). The markers are plain words, so
no vocabulary is added and any encoder works.

Trained on source gold plus silver (projected) sentences, silver at ``silver_weight``. The
model directory holds the encoder and tokenizer (``save_pretrained``), ``relation_head.pt``
and ``xlie-relation.json`` (labels, window length). :func:`predict` puts a relation with a
``score`` (its probability) on each sentence with two marked entities. The RELX metric is
``xlie.scoring.relx_f1``; training is ``relation_train.py``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Sequence

import torch
from torch import nn

from ..corpus import Sentence
from .headfiles import load_head, read_meta, save_encoder_and_head
from ..scoring import NONE_LABELS, directed_label, relx_f1, split_label  # noqa: F401

META = "xlie-relation.json"
HEAD = "relation_head.pt"
MARKS = ("<e1>", "</e1>", "<e2>", "</e2>")


def marked_words(sent: Sentence) -> Optional[list[str]]:
    """The words with ``<e1> … </e1>`` and ``<e2> … </e2>`` around the two entities."""
    by = {s.label: s for s in sent.spans}
    if "E1" not in by or "E2" not in by:
        return None
    inserts: dict[int, list[str]] = {}
    for name, (o, c) in (("E1", MARKS[:2]), ("E2", MARKS[2:])):
        s = by[name]
        inserts.setdefault(s.start, []).append(o)
        inserts.setdefault(s.end, []).insert(0, c)
    out: list[str] = []
    for i in range(len(sent.tokens) + 1):
        out += inserts.get(i, [])
        if i < len(sent.tokens):
            out.append(sent.tokens[i])
    return out


class RelationModel(nn.Module):
    """Encoder + a linear layer over the concatenated ``<e1>`` and ``<e2>`` start states.
    With ``split`` set (:meth:`freeze_lower`), the lowest layers are frozen and their
    states computed once per sentence; only the layers above and the head run each step."""

    def __init__(self, encoder, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, n_labels)
        self.split = None

    def freeze_lower(self, k: int, pad_id: int, cache: Optional[dict] = None) -> None:
        """Freeze the embeddings and the lowest ``k`` layers, their states kept in ``cache``."""
        from .frozen import SplitEncoder
        self.split = SplitEncoder(self.encoder, k, pad_id, cache) if k else None

    def forward(self, input_ids, attention_mask, e1, e2):
        if self.split is not None:
            h = self.split(input_ids, attention_mask)
        else:
            h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        rows = torch.arange(h.size(0), device=h.device)
        pair = torch.cat([h[rows, e1], h[rows, e2]], dim=-1)
        return self.head(self.dropout(pair))


def encode(tokenizer, sent: Sentence, max_length: int) -> Optional[tuple[list[int], int, int]]:
    """Subword ids and the positions of the first subword of ``<e1>`` and ``<e2>``; None
    when the sentence has no pair or a marker falls past ``max_length``."""
    words = marked_words(sent)
    if words is None:
        return None
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    first: dict[int, int] = {}
    for k, w in enumerate(enc.word_ids()):
        if w is not None and w not in first:
            first[w] = k
    i1, i2 = words.index(MARKS[0]), words.index(MARKS[2])
    if i1 not in first or i2 not in first:
        return None
    return enc["input_ids"], first[i1], first[i2]


def collate_pairs(features: list[dict], pad_id: int) -> dict:
    """A batch of marked pairs (``input_ids``, ``e1``, ``e2``; ``label`` and ``weight`` when
    training) as padded tensors: ids and mask (B, T), the rest (B,)."""
    n = max(len(f["input_ids"]) for f in features)
    ids = torch.full((len(features), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(features), n), dtype=torch.long)
    for r, f in enumerate(features):
        ids[r, :len(f["input_ids"])] = torch.tensor(f["input_ids"])
        mask[r, :len(f["input_ids"])] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    for key, dtype in (("e1", torch.long), ("e2", torch.long), ("label", torch.long),
                       ("weight", torch.float)):
        if key in features[0]:
            batch[key] = torch.tensor([f[key] for f in features], dtype=dtype)
    return batch


class RelationClassifier:
    """A trained (or new) classifier: model, tokenizer and labels."""

    def __init__(self, model: RelationModel, tokenizer, labels: list[str], max_length: int):
        self.model, self.tokenizer, self.labels, self.max_length = model, tokenizer, labels, max_length
        self.label2id = {lab: k for k, lab in enumerate(labels)}
        self.frozen_layers = 0    # as trained: the lowest layers kept fixed (xlie-relation.json)

    @classmethod
    def new(cls, encoder_name: str, labels: list[str], max_length: Optional[int] = None):
        from transformers import AutoModel
        from ..models import load_pretrained, load_tokenizer
        tok = load_tokenizer(encoder_name)
        enc = load_pretrained(AutoModel, encoder_name)
        limit = min(tok.model_max_length, getattr(enc.config, "max_position_embeddings", 512))
        return cls(RelationModel(enc, len(labels)), tok, labels, min(max_length or 256, limit))

    @classmethod
    def load(cls, path: str | Path, dtype: Optional[str] = None) -> "RelationClassifier":
        from transformers import AutoModel, AutoTokenizer
        meta = read_meta(path, META, "a relation classifier",
                         "train one with `xlie selftrain train --task relation`")
        enc = AutoModel.from_pretrained(path)
        model = RelationModel(enc, len(meta["labels"]))
        load_head(model.head, path, HEAD)
        from ..models.quantize import for_inference   # bf16/int8 predict: the encoder only
        model.encoder = for_inference(enc, dtype, "cpu", float_outputs=True)
        model.eval()
        clf = cls(model, AutoTokenizer.from_pretrained(path), meta["labels"], meta["max_length"])
        clf.frozen_layers = meta.get("frozen_layers", 0)
        return clf

    def save(self, path: str | Path) -> None:
        save_encoder_and_head(path, self.model.encoder, self.tokenizer, self.model.head, HEAD,
                              META, {"task": "relation", "labels": self.labels,
                                     "max_length": self.max_length,
                                     "pooling": "entity markers, entity start",
                                     "frozen_layers": self.model.split.k if self.model.split else 0})

    @torch.no_grad()
    def probabilities(self, sents: Sequence[Sentence], batch_size: int = 32) -> list[Optional[torch.Tensor]]:
        """Label probabilities per sentence (None where there is no usable pair)."""
        self.model.eval()
        device = next(self.model.head.parameters()).device
        enc = [encode(self.tokenizer, s, self.max_length) for s in sents]
        feats = sorted(((k, {"input_ids": e[0], "e1": e[1], "e2": e[2]})
                        for k, e in enumerate(enc) if e),
                       key=lambda kf: len(kf[1]["input_ids"]))   # batches of similar length
        out: list[Optional[torch.Tensor]] = [None] * len(sents)
        pad = self.tokenizer.pad_token_id or 0
        for k in range(0, len(feats), batch_size):
            part = feats[k:k + batch_size]
            b = {key: v.to(device) for key, v in collate_pairs([f for _, f in part], pad).items()}
            probs = self.model(b["input_ids"], b["attention_mask"], b["e1"], b["e2"])
            for (i, _), p in zip(part, probs.float().softmax(-1).cpu()):
                out[i] = p
        return out

    def predict(self, sents: Iterable[Sentence], batch_size: int = 32) -> list[Sentence]:
        """Each sentence with one predicted relation (``label``, ``head``, ``tail``, ``score``)
        between its E1 and E2 spans; sentences without a pair keep no relation."""
        sents = list(sents)
        done = []
        for s, p in zip(sents, self.probabilities(sents, batch_size)):
            k = None if p is None else int(p.argmax())
            done.append(with_relation(s, None if k is None else self.labels[k],
                                      0.0 if k is None else float(p[k])))
        return done


def with_relation(sent: Sentence, label: Optional[str], score: float) -> Sentence:
    """``sent`` with one relation of the directed ``label`` (``rel(e1,e2)``, ``rel(e2,e1)``
    or undirected) between its E1 and E2 spans, or with none when ``label`` is None."""
    if label is None:
        return sent.model_copy(update={"relations": []})
    base, head = split_label(label)
    by = {x.label: str(x.id) for x in sent.spans}
    h, t = (by["E2"], by["E1"]) if head == "e2" else (by["E1"], by["E2"])
    rel = {"label": base, "head": h, "tail": t, "score": round(score, 4)}
    if head is None:
        rel["directed"] = False
    return sent.model_copy(update={"relations": [rel]})
