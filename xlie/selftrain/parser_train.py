"""Training the biaffine parser (:mod:`.parser`) on the taggers' loop (:mod:`.loop`).

The parser gets what a tagger gets from the same code: a step budget with linear warm-up and
decay, a dev set (given, or a held-out slice of the silver trees, else of the source trees)
for early stopping and for choosing which step's parser to keep, a collapse check, progress
lines, and checkpoints that an interrupted run resumes from. Only the batching, the loss, the
dev score (LAS) and the saving are the parser's own (:class:`ParserTask`).

``OUT/`` holds ``settings.json``, ``checkpoint/`` and ``metrics.json`` as a tagger's run does;
the parser itself goes to ``model_dir`` (``OUT/model`` from the CLI and the task registry,
``OUT`` itself for :func:`train_parser` called alone). Self-training rounds are
``rounds.self_train``'s, as for every task; :func:`select_arcs` picks the pseudo-arcs.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional, Sequence

import torch

from ..corpus import Sentence
from ..errors import XlieError
from ..fileio import atomic_write
from ..scoring import pair_sentences, score_dep
from .config import ParserSettings, SelectConfig, TrainSettings
from .data import read_all
from .fit import Prepared, fit
from .health import collapse_report, label_shares
from .holdout import hold_out_training
from .loop import LoopData, StepHook
from .parser import Batch, Parser, relations_of
from .trainer import TrainResult
from .trainer_setup import freeze

Paths = Sequence[str | Path]


def known_deprels(sents: Sequence[Sentence]) -> list[list[Optional[str]]]:
    """Each word's relation, None where its arc is unknown (left out of the shares)."""
    return [[r if h is not None else None
             for h, r in zip(s.heads or [None] * len(s.tokens), s.deprels or ["_"] * len(s.tokens))]
            for s in sents]


def dep_scores(parser: Parser, gold: Sequence[Sentence], batch_size: int = 16) -> dict:
    """UAS/LAS of the parser against ``gold`` trees, and its most predicted relation."""
    pred = parser.predict(gold, batch_size)
    return {**score_dep(pair_sentences(list(gold), pred)),
            "top_label": label_shares(known_deprels(gold), [p.deprels for p in pred])}


class ParserTask:
    """The parser's part of the training loop (:class:`.loop.LoopTask`)."""

    metric, unit = "LAS", "sentences"

    def __init__(self, parser: Parser, accelerator, model_dir: Path,
                 min_arc_score: Optional[float], batch_predict: int):
        self.parser, self.accelerator, self.model_dir = parser, accelerator, model_dir
        self.min_arc_score, self.batch_predict = min_arc_score, batch_predict

    def collate(self, features: list[dict]) -> dict:
        batch = self.parser.batch([f["sentence"] for f in features], self.min_arc_score)
        return {**vars(batch), "weight": torch.tensor([f["weight"] for f in features])}

    def loss(self, model, batch: dict) -> torch.Tensor:
        b = Batch(**{k: v for k, v in batch.items() if k != "weight"})
        # the forward pass through the (maybe wrapped) model, the loss on its outputs
        return self.accelerator.unwrap_model(model).loss_of(model(b), b, batch["weight"])

    def evaluate(self, model, dev: list) -> tuple[dict, float]:
        scores = dep_scores(self.accelerator.unwrap_model(model), dev, self.batch_predict)
        return scores, scores["las"]

    def save(self, accelerator, model, out: Path) -> None:
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            accelerator.unwrap_model(model).save(self.model_dir)
        accelerator.wait_for_everyone()


def _config(model: ParserSettings | str | Path, settings: dict) -> ParserSettings:
    if isinstance(model, TrainSettings):
        return ParserSettings.model_validate({**model.model_dump(), **settings, "task": "dep"})
    return ParserSettings(model=str(model), **settings)


def _features(parser: Parser, sents: Sequence[Sentence], weight: float, report: Counter,
              origin: str) -> list[dict]:
    """Sentences with a (partial) tree that fit the encoder in one piece; the others are
    counted by reason in ``report`` (never dropped silently)."""
    out = []
    for s in sents:
        if not s.heads or all(h is None for h in s.heads):
            report[f"{origin}_without_tree"] += 1
            continue
        ids = parser.tokenizer(s.tokens, is_split_into_words=True)["input_ids"]
        if len(ids) > parser.max_length:   # too long for one piece: left out, counted
            report[f"{origin}_longer_than_{parser.max_length}_subwords"] += 1
            continue
        out.append({"input_ids": ids, "sentence": s, "weight": weight})
    report[origin] += len(out)
    return out


def train_parser(source: Sequence[Sentence], out: str | Path,
                 model: ParserSettings | str | Path, *, silver: Sequence[Sentence] = (),
                 pseudo: Sequence[Sentence] = (), dev: Optional[Sequence[Sentence]] = None,
                 model_dir: Optional[str | Path] = None, resume: bool = True,
                 feature_cache: Optional[dict] = None, init_model: Optional[str | Path] = None,
                 on_step: Optional[StepHook] = None, **settings) -> Parser:
    """Train a parser on gold source trees plus partial silver trees (unknown and weak arcs
    left out of the loss) and ``pseudo`` trees; return the parser kept (the best on the dev
    set, else the last), saved in ``model_dir`` (default ``out``).

    ``model`` is a :class:`ParserSettings` or an encoder name; ``settings`` are its fields
    (``epochs=10, lr=1e-3, freeze_encoder=True``...). With ``freeze_encoder`` the head trains
    alone on encoder states computed once per sentence; with ``freeze_layers`` N > 0 the
    states under layer N + 1 are, and the layers above train on them (``feature_cache``, a
    dict that runs on the same encoder and freezing may share; no dropout in the cached
    layers). ``on_step(step, loss)`` is called after each optimizer
    step (an exception there stops training; the run resumes from its last checkpoint)."""
    config = _config(model, settings)
    out = Path(out)
    model_dir = Path(model_dir) if model_dir is not None else out
    run_settings = {**config.effective(), "data": fingerprint(source, silver, pseudo, dev),
                    "init_model": str(init_model) if init_model else None}
    cache = {} if feature_cache is None else feature_cache
    kept: dict = {}

    def prepare(accelerator) -> Prepared:
        held, source_kept, silver_kept, pseudo_kept = None, list(source), \
            [s for s in silver if s.heads], list(pseudo)
        if dev is None:   # a slice of the silver trees (of the source's without silver)
            held, source_kept, silver_kept, pseudo_kept = hold_out_training(
                source_kept, silver_kept, pseudo_kept, config.dev_fraction, config.seed)
        rels = relations_of(source_kept + silver_kept + pseudo_kept)
        if not rels:
            raise XlieError("no sentence with a tree to train the parser on",
                            "give CoNLL-U (or JSONL with heads/deprels) source or silver data")
        if init_model is not None:
            parser = Parser.load(init_model)
            missing = sorted(set(rels) - set(parser.rels))
            if missing:
                raise XlieError(f"the parser {init_model} has no relation {missing[0]!r} of the "
                                f"training data", "start from the base encoder (init: base)")
        else:
            parser = Parser.from_encoder(config.model, rels, max_length=config.max_length,
                                         arc_dim=config.arc_dim, rel_dim=config.rel_dim)
        if config.freeze_encoder:
            parser.encoder.requires_grad_(False)
        else:
            freeze(parser.encoder, config)
        _with_cache(parser, config, cache)
        report: Counter = Counter()
        given = list(dev) if dev is not None else held.sentences if held else []
        dev_sents = [s for s in given if s.heads and parser.fits(s)]
        if len(dev_sents) < len(given):
            report["dev_without_tree_or_too_long"] += len(given) - len(dev_sents)
        data = LoopData(_features(parser, source_kept, 1.0, report, "source"),
                        _features(parser, silver_kept, config.silver_weight, report, "silver")
                        + _features(parser, pseudo_kept, config.silver_weight, report, "pseudo"),
                        dev_sents)
        if not data.source and not data.silver:
            raise XlieError("no training sentence with a tree fits the encoder",
                            f"split sentences longer than {parser.max_length} subwords")
        dev_info = ({"kind": "given"} if dev is not None else
                    held.to_json() if held else {"kind": "none"})
        if dev_sents or dev is not None:   # those that fit the encoder (and have a tree)
            dev_info["sentences"] = len(dev_sents)
        kept["parser"] = parser
        task = ParserTask(parser, accelerator, model_dir, config.min_arc_score,
                          config.batch_predict)
        return Prepared(parser, task, data, dev_info, body="encoder.", report=dict(report),
                        extra={"rels": parser.rels, "cached_layers": parser.frozen_layers})

    def finish(accelerator, state, p: Prepared) -> dict:
        best = _with_cache(Parser.load(model_dir), config, cache)
        kept["best"] = best
        return {"collapse": _collapse(best, state, p.data, config)}

    fit(config, out, run_settings, resume, prepare, finish, "parser", on_step)
    return kept.get("best") or _with_cache(Parser.load(model_dir), config, cache)


def fingerprint(*parts: Optional[Sequence[Sentence]]) -> str:
    """A digest of the sentences a run trains and chooses on: a finished or checkpointed run
    is reused only for the same data, not just the same settings."""
    h = hashlib.sha1()
    for part in parts:
        for s in part or ():
            h.update(json.dumps([s.id, s.tokens, s.heads, s.deprels]).encode())
        h.update(b"|")
    return h.hexdigest()[:16]


def _with_cache(parser: Parser, config: ParserSettings, cache: Optional[dict]) -> Parser:
    """The parser computing its frozen layers once per sentence, as in training (the cached
    states are the same in eval mode)."""
    if config.freeze_encoder or config.freeze_layers:
        parser.cache_lower(None if config.freeze_encoder else config.freeze_layers,
                           {} if cache is None else cache)
    return parser


def _collapse(parser: Parser, state, data: LoopData, config: ParserSettings) -> dict:
    """Does the parser kept give (almost) every word one relation? On the dev set, else on
    up to 200 training sentences."""
    train = [f["sentence"] for f in data.source + data.silver]
    if state.dev:
        best = max(state.dev, key=lambda d: d["las"])
        shares, on = best.get("top_label", {}), "dev"
    else:
        shares, on = dep_scores(parser, train[:200], config.batch_predict)["top_label"], "training"
    gold = [r for rs in known_deprels(train) for r in rs if r not in (None, "_")]
    share = sum(r == shares.get("label") for r in gold) / len(gold) if gold and shares else None
    return collapse_report(shares, on, state.losses, config, share)


def confident_arcs(sents: Sequence[Sentence], threshold: float) -> list[Sentence]:
    """Pseudo-labels: predicted trees with the arcs under ``threshold`` left out (partial
    trees, each part of one well-formed tree); sentences with no arc left are dropped."""
    return select_arcs(sents, SelectConfig(mode="threshold", threshold=threshold))[0]


def train_parser_files(source: Paths, out: str | Path, config: ParserSettings,
                       silver: Paths = (), dev: Optional[str | Path] = None,
                       test: Optional[str | Path] = None, init_model: Optional[str | Path] = None,
                       resume: bool = True, on_step: Optional[StepHook] = None,
                       pseudo: Paths = (), feature_cache: Optional[dict] = None) -> TrainResult:
    """The parser's entry in the task registry: a parser in ``OUT/model`` from the files;
    ``OUT/metrics.json`` (with test UAS/LAS)."""
    out = Path(out)
    parser = train_parser(read_all(source), out, config, silver=read_all(silver),
                          pseudo=read_all(pseudo), dev=read_all([dev]) if dev else None,
                          model_dir=out / "model",
                          resume=resume, feature_cache=feature_cache, init_model=init_model,
                          on_step=on_step)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    if test and "test" not in metrics:
        gold = [s for s in read_all([test]) if parser.fits(s)]
        metrics["test"] = score_dep(pair_sentences(gold, parser.predict(gold)))
        with atomic_write(out / "metrics.json") as f:
            json.dump(metrics, f, indent=1)
    return TrainResult(out / "model", metrics)


def select_arcs(pred: Sequence[Sentence], select: SelectConfig) -> tuple[list[Sentence], dict]:
    """Pseudo-trees: the predicted arcs ``select`` keeps (``threshold`` on the arc score, or
    ``top``: the most confident ``top_fraction`` of each relation's arcs), partial trees
    that drop sentences with no arc (or fewer than ``min_labeled`` of their words) left."""
    arcs = [(x, k, i, r) for k, s in enumerate(pred)
            for i, (x, r) in enumerate(zip(s.arc_scores or [], s.deprels or []))
            if x is not None and s.heads[i] is not None]
    if select.mode == "threshold":
        keep = {(k, i) for x, k, i, _ in arcs if x >= select.threshold}
    else:
        by: dict[str, list] = defaultdict(list)
        for a in arcs:
            by[a[3]].append(a)
        keep = {(k, i) for group in by.values()
                for x, k, i, _ in sorted(group, key=lambda a: -a[0])[
                    :max(1, math.ceil(select.top_fraction * len(group)))]}
    out = []
    for k, s in enumerate(pred):
        heads = [h if (k, i) in keep else None for i, h in enumerate(s.heads)]
        n = sum(h is not None for h in heads)
        if n and n >= select.min_labeled * len(heads):
            out.append(s.model_copy(update={
                "heads": heads, "deprels": [r if h is not None else "_"
                                            for r, h in zip(s.deprels, heads)]}))
    per = Counter(s.deprels[i] for s in out for i, h in enumerate(s.heads) if h is not None)
    return out, {"units": len(arcs), "kept_units": sum(per.values()),
                 "sentences": len(pred), "kept_sentences": len(out),
                 "dropped_sentences": len(pred) - len(out),
                 "per_label": dict(per.most_common()), "select": select.model_dump()}
