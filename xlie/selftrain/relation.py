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
``score`` (its probability) on each sentence with two marked entities. :func:`relx_f1` is
the RELX metric: per relation, micro-F1 over its two directed labels, averaged over the
relations (``no_relation`` is not one).
"""
from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import torch
from torch import nn

from ..corpus import Sentence
from ..errors import XlieError
from ..fileio import atomic_write
from .config import TaggerTrainConfig
from .health import collapsed

META = "xlie-relation.json"
HEAD = "relation_head.pt"
NONE_LABELS = ("no_relation", "Other")
MARKS = ("<e1>", "</e1>", "<e2>", "</e2>")


def directed_label(sent: Sentence) -> Optional[str]:
    """The sentence's relation as one directed label (``rel(e1,e2)``, ``rel(e2,e1)`` or a
    label without direction), or None when it has no relation or no E1/E2 pair."""
    by = {s.label: str(s.id) for s in sent.spans}
    rel = next(iter(sent.relations or []), None)
    if rel is None or "E1" not in by or "E2" not in by:
        return None
    if rel.get("directed") is False or rel["label"] in NONE_LABELS:
        return rel["label"]
    return f"{rel['label']}(e2,e1)" if str(rel.get("head")) == by["E2"] else f"{rel['label']}(e1,e2)"


def split_label(label: str) -> tuple[str, Optional[str]]:
    """``per:x(e2,e1)`` -> (``per:x``, ``e2``): the relation and which entity is the head."""
    if label.endswith(")") and "(" in label:
        base, args = label[:-1].split("(", 1)
        return base, args.split(",")[0]
    return label, None


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


@dataclass
class Feature:
    ids: list[int]
    e1: int
    e2: int
    label: int
    weight: float


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


def _batches(features: list[Feature], size: int, rng: random.Random):
    """Batches in random order, each of examples of similar length (less padding)."""
    order = list(features)
    rng.shuffle(order)
    chunk, batches = size * 32, []
    for k in range(0, len(order), chunk):
        part = sorted(order[k:k + chunk], key=lambda f: len(f.ids))
        batches += [part[i:i + size] for i in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def _collate(batch: list[Feature], pad: int):
    n = max(len(f.ids) for f in batch)
    ids = torch.full((len(batch), n), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.long)
    for r, f in enumerate(batch):
        ids[r, :len(f.ids)] = torch.tensor(f.ids)
        mask[r, :len(f.ids)] = 1
    return (ids, mask, torch.tensor([f.e1 for f in batch]), torch.tensor([f.e2 for f in batch]),
            torch.tensor([f.label for f in batch]), torch.tensor([f.weight for f in batch]))


class RelationClassifier:
    """A trained (or new) classifier: model, tokenizer and labels."""

    def __init__(self, model: RelationModel, tokenizer, labels: list[str], max_length: int):
        self.model, self.tokenizer, self.labels, self.max_length = model, tokenizer, labels, max_length
        self.label2id = {lab: k for k, lab in enumerate(labels)}

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
        path = Path(path)
        if not (path / META).is_file():
            raise XlieError(f"{path} is not a relation classifier (no {META})",
                            "train one with `xlie selftrain train --task relation`")
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        enc = AutoModel.from_pretrained(path)
        model = RelationModel(enc, len(meta["labels"]))
        model.head.load_state_dict(torch.load(path / HEAD, map_location="cpu"))
        from ..models.quantize import for_inference   # bf16/int8 predict: the encoder only
        model.encoder = for_inference(enc, dtype, "cpu", float_outputs=True)
        model.eval()
        return cls(model, AutoTokenizer.from_pretrained(path), meta["labels"], meta["max_length"])

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.encoder.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        torch.save(self.model.head.state_dict(), path / HEAD)
        with atomic_write(path / META) as f:
            json.dump({"task": "relation", "labels": self.labels, "max_length": self.max_length,
                       "pooling": "entity markers, entity start"}, f, indent=1)

    @torch.no_grad()
    def probabilities(self, sents: Sequence[Sentence], batch_size: int = 32) -> list[Optional[torch.Tensor]]:
        """Label probabilities per sentence (None where there is no usable pair)."""
        self.model.eval()
        enc = [encode(self.tokenizer, s, self.max_length) for s in sents]
        feats = sorted(((k, Feature(e[0], e[1], e[2], 0, 1.0)) for k, e in enumerate(enc) if e),
                       key=lambda kf: len(kf[1].ids))   # batches of similar length
        out: list[Optional[torch.Tensor]] = [None] * len(sents)
        pad = self.tokenizer.pad_token_id or 0
        for k in range(0, len(feats), batch_size):
            part = feats[k:k + batch_size]
            ids, mask, e1, e2, _, _ = _collate([f for _, f in part], pad)
            probs = self.model(ids, mask, e1, e2).softmax(-1)
            for (i, _), p in zip(part, probs):
                out[i] = p
        return out

    def predict(self, sents: Iterable[Sentence], batch_size: int = 32) -> list[Sentence]:
        """Each sentence with one predicted relation (``label``, ``head``, ``tail``, ``score``)
        between its E1 and E2 spans; sentences without a pair keep no relation."""
        sents = list(sents)
        done = []
        for s, p in zip(sents, self.probabilities(sents, batch_size)):
            if p is None:
                done.append(s.model_copy(update={"relations": []}))
                continue
            k = int(p.argmax())
            base, head = split_label(self.labels[k])
            by = {x.label: str(x.id) for x in s.spans}
            h, t = (by["E2"], by["E1"]) if head == "e2" else (by["E1"], by["E2"])
            rel = {"label": base, "head": h, "tail": t, "score": round(float(p[k]), 4)}
            if head is None:
                rel["directed"] = False
            done.append(s.model_copy(update={"relations": [rel]}))
        return done


def relx_f1(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> dict:
    """RELX metric: for each relation (not ``no_relation``), micro-F1 over its two directed
    labels; ``macro_f1`` is their mean over the relations seen in gold or prediction."""
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        gl, pl = directed_label(g), directed_label(p)
        if gl is not None and split_label(gl)[0] not in NONE_LABELS:
            n_gold[split_label(gl)[0]] += 1
        if pl is not None and split_label(pl)[0] not in NONE_LABELS:
            n_pred[split_label(pl)[0]] += 1
            tp[split_label(pl)[0]] += pl == gl
    per = {}
    for r in sorted(set(n_gold) | set(n_pred)):
        prec = tp[r] / n_pred[r] if n_pred[r] else 0.0
        rec = tp[r] / n_gold[r] if n_gold[r] else 0.0
        per[r] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"macro_f1": sum(per.values()) / len(per) if per else 0.0, "per_relation": per,
            "sentences": len(gold)}


def _features(clf: RelationClassifier, sents: Iterable[Sentence], weight: float,
              counts: Counter, origin: str) -> list[Feature]:
    out = []
    for s in sents:
        label = directed_label(s)
        if label is None:
            counts[f"{origin}_no_pair"] += 1
            continue
        if label not in clf.label2id:
            counts[f"{origin}_unknown_label"] += 1
            continue
        enc = encode(clf.tokenizer, s, clf.max_length)
        if enc is None:
            counts[f"{origin}_marker_past_window"] += 1
            continue
        out.append(Feature(enc[0], enc[1], enc[2], clf.label2id[label], weight))
    counts[origin] += len(out)
    return out


def _read(paths: Sequence[str | Path]) -> list[Sentence]:
    from .data import read_sentences
    return [s for p in paths for _, s in read_sentences(p)]


# Defaults of the relation task where the settings leave them unset (the shared defaults are
# the taggers'); chosen on KBP37's own English dev split (benchmarks/RESULTS.md).
TOP_LAYERS = 6         # layers trained; the ones under them are frozen, computed once
RELATION_DEFAULTS = {"lr": 3e-4}


def relation_settings(config: TaggerTrainConfig) -> TaggerTrainConfig:
    """The settings with the relation task's own defaults where the user set nothing."""
    return config.model_copy(update={k: v for k, v in RELATION_DEFAULTS.items()
                                     if k not in config.model_fields_set})


def frozen_layers(config: TaggerTrainConfig, n_layers: int) -> int:
    """Layers to freeze: ``freeze_layers`` when the settings give it, else all but the top
    ``TOP_LAYERS`` (chosen on KBP37's own English dev split, benchmarks/RESULTS.md)."""
    if "freeze_layers" in config.model_fields_set:
        return min(config.freeze_layers, n_layers)
    return max(0, n_layers - TOP_LAYERS)


def prediction_shares(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> dict:
    """The most predicted label and its share (``health.label_shares``, one unit a pair)."""
    from .health import label_shares
    return label_shares([[directed_label(g)] for g in gold],
                        [[directed_label(p) or "-"] for p in pred])


def train_relation(source: Sequence[str | Path], out: str | Path, config: TaggerTrainConfig,
                   silver: Sequence[str | Path] = (), dev: Optional[str | Path] = None,
                   test: Optional[str | Path] = None, feature_cache: Optional[dict] = None,
                   pseudo: Sequence[Sentence] = (),
                   init_model: Optional[str | Path] = None) -> tuple[Path, dict]:
    """Train a relation classifier on source gold + silver (+ ``pseudo`` sentences, at the
    silver weight); write ``OUT/model`` and ``OUT/metrics.json``. Keeps the best epoch on
    the dev set (RELX metric): ``dev``, else a slice of the silver (or source) pairs held out
    (``dev_fraction``; none from under 100), else the last. The lowest layers are frozen and their
    states computed once (:func:`frozen_layers`); ``feature_cache``, a dict, keeps those
    states between runs on the same encoder and number of frozen layers. ``init_model``:
    go on training that classifier (its labels) instead of a new one on ``config.model``."""
    from .steplog import StepLog
    t0 = time.time()
    config = relation_settings(config)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    src, sil = _read(source), _read(silver)
    held = None
    if dev is None:   # hold out a slice of the silver pairs (the source's without silver)
        from .holdout import hold_out_training
        held, src, sil, pseudo = hold_out_training(src, sil, pseudo, config.dev_fraction,
                                                   config.seed)
    sil = sil + list(pseudo)
    if init_model is not None:
        clf = RelationClassifier.load(init_model)
        labels = clf.labels
    else:
        labels = config.labels or sorted({lab for s in src + sil
                                          if (lab := directed_label(s)) is not None})
        if not labels:
            raise XlieError("no sentence with two marked entities (E1, E2) and a relation",
                            "train on KBP37/RELX files or JSONL with E1/E2 spans and relations")
        clf = RelationClassifier.new(config.model, labels, config.max_length)
    model = clf.model
    from .frozen import encoder_layers
    pad = clf.tokenizer.pad_token_id or 0
    k = frozen_layers(config, len(encoder_layers(model.encoder)))
    model.freeze_lower(k, pad, feature_cache)
    counts: Counter = Counter()
    feats = (_features(clf, src, 1.0, counts, "source")
             + _features(clf, sil, config.silver_weight, counts, "silver"))
    if not feats:
        raise XlieError("no usable training example", json.dumps(dict(counts)))
    head_lr = config.head_lr or config.lr
    groups = [{"params": [p for p in model.encoder.parameters() if p.requires_grad],
               "lr": config.lr},
              {"params": list(model.head.parameters()), "lr": head_lr}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]],
                            weight_decay=config.weight_decay)
    from transformers import get_linear_schedule_with_warmup
    per_epoch = math.ceil(len(feats) / config.batch_size)
    epochs = config.epochs or math.ceil(config.max_steps / per_epoch)
    steps = per_epoch * epochs
    if config.max_steps:
        steps = min(steps, config.max_steps)
    sched = get_linear_schedule_with_warmup(opt, int(config.warmup_ratio * steps), steps)
    dev_sents = _read([dev]) if dev else held.sentences if held else []
    dev_info = ({"kind": "given", "path": str(dev), "sentences": len(dev_sents)} if dev else
                held.to_json() if held else {"kind": "none"})
    out = Path(out)
    log = StepLog(steps, 0, epochs, config.log_every, True, "RELX macro-F1")
    log.message(f"train: {counts['source']} source + {counts['silver']} silver pairs; "
                f"{k} of {len(encoder_layers(model.encoder))} layers frozen; {per_epoch} steps "
                f"an epoch, {steps} steps ({epochs} epochs); dev: "
                + (f"{len(dev_sents)} sentences" + (f" held out of the {held.origin}" if held else "")
                   if dev_sents else "none (the last epoch is kept)"))
    step, losses, best, history = 0, [], None, []
    try:
        for epoch in range(epochs):
            model.train()
            for batch in _batches(feats, config.batch_size, rng):
                ids, mask, e1, e2, y, w = _collate(batch, pad)
                loss = (nn.functional.cross_entropy(model(ids, mask, e1, e2), y, reduction="none")
                        * w).sum() / w.sum()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                opt.step()
                sched.step()
                opt.zero_grad()
                losses.append(float(loss.detach()))
                step += 1
                log.step(step, epoch, losses[-1])
                if step >= steps:
                    break
            entry: dict = {"epoch": epoch + 1, "step": step, "dev_macro_f1": None}
            if dev_sents:
                pred = clf.predict(dev_sents, config.batch_predict)
                entry["dev_macro_f1"] = relx_f1(dev_sents, pred)["macro_f1"]
                entry["top_label"] = prediction_shares(dev_sents, pred)
                log.dev(step, epoch + 1, losses[-1], 100 * entry["dev_macro_f1"],
                        100 * max(entry["dev_macro_f1"], best or 0.0),
                        collapsed(entry["top_label"]))
            history.append(entry)
            score = entry["dev_macro_f1"]
            if dev_sents and (best is None or score > best):
                best = score
                clf.save(out / "model")
            if step >= steps:
                break
    finally:
        log.close()
    if not dev_sents:
        clf.save(out / "model")
    metrics = {"finished": True, "task": "relation", "labels": labels, "step": step,
               "epochs": len(history), "frozen_layers": k, "best": best, "history": history,
               "dev_set": dev_info,
               "loss_first": losses[:5], "loss_last": losses[-5:], "data": dict(counts),
               "seconds": round(time.time() - t0, 1)}
    if test:
        best_clf = clf if not dev_sents else RelationClassifier.load(out / "model")
        gold = _read([test])
        pred = best_clf.predict(gold, config.batch_predict)
        metrics["test"] = relx_f1(gold, pred)
        metrics["test"]["top_label"] = prediction_shares(gold, pred)
    with atomic_write(out / "metrics.json") as f:
        json.dump(metrics, f, indent=1)
    return out / "model", metrics
