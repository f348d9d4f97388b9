"""Train the relation classifier (``--task relation``) on the shared loop.

The classifier (:mod:`.relation`) reads a marked pair's two start states; the lowest layers
are frozen and their states computed once per sentence (:class:`.frozen.SplitEncoder`, kept
in ``cache`` across runs on the same encoder). :class:`RelationTask` is its part of the loop:
batches of marked pairs, the weighted cross-entropy, the RELX macro-F1 on dev, saving.
Everything else (accelerate, checkpoints and resume, patience, progress lines, the collapse
check, ``metrics.json``) is :func:`.fit.fit`'s, as for the other tasks.
"""
from __future__ import annotations

import math
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Optional, Sequence

import torch
from torch import nn

from ..corpus import Sentence
from ..errors import XlieError
from ..scoring import directed_label, relx_f1
from .checkpoint import TrainerState
from .config import RelationSettings, SelectConfig
from .data import read_all
from .fit import Prepared, fit
from .frozen import encoder_layers
from .health import collapse_report, label_shares
from .holdout import hold_out_training
from .loop import LoopData, StepHook
from .relation import RelationClassifier, collate_pairs, encode
from .trainer import TrainResult

Paths = Sequence[str | Path]


def prediction_shares(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> dict:
    """The most predicted label and its share (``health.label_shares``, one unit a pair)."""
    return label_shares([[directed_label(g)] for g in gold],
                        [[directed_label(p) or "-"] for p in pred])


def relation_scores(clf: RelationClassifier, gold: Sequence[Sentence], batch_size: int) -> dict:
    """RELX scores of the classifier on ``gold`` and its most predicted label."""
    pred = clf.predict(gold, batch_size)
    return {**relx_f1(gold, pred), "top_label": prediction_shares(gold, pred)}


class RelationTask:
    """The relation classifier's part of the training loop (:class:`.loop.LoopTask`)."""

    metric, unit = "RELX macro-F1", "pairs"

    def __init__(self, clf: RelationClassifier, accelerator, model_dir: Path, batch_predict: int):
        self.clf, self.accelerator, self.model_dir = clf, accelerator, model_dir
        self.batch_predict = batch_predict
        self.pad_id = clf.tokenizer.pad_token_id or 0

    def collate(self, features: list[dict]) -> dict:
        return collate_pairs(features, self.pad_id)

    def loss(self, model, batch: dict) -> torch.Tensor:
        logits = model(batch["input_ids"], batch["attention_mask"], batch["e1"], batch["e2"])
        ce = nn.functional.cross_entropy(logits.float(), batch["label"], reduction="none")  # (B,)
        return (ce * batch["weight"]).sum() / batch["weight"].sum().clamp(min=1e-8)

    def evaluate(self, model, dev: list) -> tuple[dict, float]:
        self.clf.model = self.accelerator.unwrap_model(model)
        scores = relation_scores(self.clf, dev, self.batch_predict)
        return scores, scores["macro_f1"]

    def save(self, accelerator, model, out: Path) -> None:
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            self.clf.model = accelerator.unwrap_model(model)
            self.clf.save(self.model_dir)
        accelerator.wait_for_everyone()


def _features(clf: RelationClassifier, sents: Iterable[Sentence], weight: float,
              counts: Counter, origin: str) -> list[dict]:
    """Marked pairs as loop features; what is left out is counted by reason."""
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
        out.append({"input_ids": enc[0], "e1": enc[1], "e2": enc[2],
                    "label": clf.label2id[label], "weight": weight})
    counts[origin] += len(out)
    return out


def select_pairs(pred: Sequence[Sentence], select: SelectConfig) -> tuple[list[Sentence], dict]:
    """The predicted pairs kept as pseudo-labels, and how many of each label were kept."""
    scored = [s for s in pred if s.relations and s.relations[0].get("score") is not None]
    if select.mode == "threshold":
        kept = [s for s in scored if s.relations[0]["score"] >= select.threshold]
    else:  # the most confident share of each label, so rare labels are not starved
        by: dict[str, list[Sentence]] = defaultdict(list)
        for s in scored:
            by[directed_label(s)].append(s)
        kept = []
        for group in by.values():
            group.sort(key=lambda s: -s.relations[0]["score"])
            kept += group[:math.ceil(select.top_fraction * len(group))]
    return kept, {"candidates": len(scored), "kept": len(kept),
                  "units": len(scored), "kept_units": len(kept),
                  "sentences": len(pred), "kept_sentences": len(kept),
                  "dropped_sentences": len(pred) - len(kept),
                  "per_label": dict(Counter(directed_label(s) for s in kept).most_common()),
                  "select": select.model_dump()}


def train_relation(source: Paths, out: str | Path, config: RelationSettings,
                   silver: Paths = (), dev: Optional[str | Path] = None,
                   test: Optional[str | Path] = None, init_model: Optional[str | Path] = None,
                   resume: bool = True, on_step: Optional[StepHook] = None, pseudo: Paths = (),
                   feature_cache: Optional[dict] = None) -> TrainResult:
    """Train a relation classifier on source gold + silver (+ ``pseudo`` pairs, at the silver
    weight); ``OUT/model`` and ``OUT/metrics.json``. The model is chosen on ``dev``, else on a
    held-out slice of the silver (or source) pairs (``dev_fraction``), else the last is kept.
    ``init_model``: go on training that classifier (its labels) instead of a new one."""
    out = Path(out)
    examples: list[Sentence] = []
    cache = {} if feature_cache is None else feature_cache

    def prepare(accelerator) -> Prepared:
        src, sil, pse = read_all(source), read_all(silver), read_all(pseudo)
        held = None
        if dev is None:   # hold out a slice of the silver pairs (the source's without silver)
            held, src, sil, pse = hold_out_training(src, sil, pse, config.dev_fraction,
                                                    config.seed)
        sil = sil + pse
        if init_model is not None:
            clf = RelationClassifier.load(init_model)
        else:
            labels = config.labels or sorted({lab for s in src + sil
                                              if (lab := directed_label(s)) is not None})
            if not labels:
                raise XlieError("no sentence with two marked entities (E1, E2) and a relation",
                                "train on KBP37/RELX files or JSONL with E1/E2 spans and relations")
            clf = RelationClassifier.new(config.model, labels, config.max_length)
        model = clf.model
        k = config.frozen_layers(len(encoder_layers(model.encoder)))
        model.freeze_lower(k, clf.tokenizer.pad_token_id or 0, cache)
        if not k and config.freeze_embeddings:
            model.encoder.get_input_embeddings().weight.requires_grad_(False)
        counts: Counter = Counter()
        data = LoopData(_features(clf, src, 1.0, counts, "source"),
                        _features(clf, sil, config.silver_weight, counts, "silver"),
                        read_all([dev]) if dev else held.sentences if held else [])
        if not data.source and not data.silver:
            raise XlieError("no usable training example", str(dict(counts)))
        dev_info = ({"kind": "given", "path": str(dev), "sentences": len(data.dev)} if dev else
                    held.to_json() if held else {"kind": "none"})
        examples[:] = src + sil
        n = len(encoder_layers(model.encoder))
        print(f"train: {k} of {n} layers frozen, lr {config.lr:g}", file=sys.stderr, flush=True)
        task = RelationTask(clf, accelerator, out / "model", config.batch_predict)
        return Prepared(model, task, data, dev_info, body="encoder.", report=dict(counts),
                        extra={"labels": clf.labels, "frozen_layers": k})

    def finish(accelerator, state: TrainerState, p: Prepared) -> dict:
        best = None
        if test or not state.dev:   # the kept classifier is needed only to predict here
            best = RelationClassifier.load(out / "model")
            best.model.freeze_lower(p.extra["frozen_layers"], best.tokenizer.pad_token_id or 0,
                                    cache)
        if state.dev:
            shares, on = max(state.dev, key=lambda d: d["macro_f1"]).get("top_label", {}), "dev"
        else:
            sample = examples[:200]
            shares, on = prediction_shares(sample, best.predict(sample, config.batch_predict)), \
                "training"
        gold = [directed_label(s) for s in examples]
        share = (sum(g == shares.get("label") for g in gold) / len(gold)
                 if gold and shares else None)
        done = {"collapse": collapse_report(shares, on, state.losses, config, share)}
        if test:
            done["test"] = relation_scores(best, read_all([test]), config.batch_predict)
        # each evaluation's RELX macro-F1 (the classifier's former own loop wrote this)
        done["epochs"] = state.epoch + (1 if state.batches_done else 0)
        done["history"] = [{"epoch": d["epoch"], "step": d["step"],
                            "dev_macro_f1": d["macro_f1"]} for d in state.dev]
        return done

    metrics = fit(config, out, config.effective(), resume, prepare, finish,
                  "relation classifier", on_step)
    return TrainResult(out / "model", metrics)
