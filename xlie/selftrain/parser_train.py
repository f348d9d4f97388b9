"""Training the biaffine parser (:mod:`.parser`) on the taggers' loop (:mod:`.loop`).

The parser gets what a tagger gets from the same code: a step budget with linear warm-up and
decay, a dev set (given, or a held-out slice of the silver trees, else of the source trees)
for early stopping and for choosing which step's parser to keep, a collapse check, progress
lines, and checkpoints that an interrupted run resumes from. Only the batching, the loss, the
dev score (LAS) and the saving are the parser's own (:class:`ParserTask`).

``OUT/`` holds ``settings.json``, ``checkpoint/`` and ``metrics.json`` as a tagger's run does;
the parser itself goes to ``model_dir`` (``OUT/model`` from the CLI, ``OUT`` itself for
:func:`train_parser` called alone and for the rounds of :func:`self_train_parser`).
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import torch

from ..corpus import Sentence
from ..errors import XlieError
from ..fileio import atomic_write
from ..scoring import pair_sentences, score_dep
from .config import TaggerTrainConfig
from .health import collapse_report, label_shares
from .holdout import hold_out_training
from .loop import LoopData, StepHook, run_loop
from .parser import Batch, Parser, relations_of
from .trainer import (finished_run, freeze, make_accelerator, model_choice, param_groups,
                      scheduler_maker, start_state)


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


def _config(model: TaggerTrainConfig | str | Path, settings: dict) -> TaggerTrainConfig:
    if isinstance(model, TaggerTrainConfig):
        return model.model_copy(update={"task": "dep", **settings})
    return TaggerTrainConfig(model=str(model), task="dep", **settings)


def _features(parser: Parser, sents: Sequence[Sentence], weight: float) -> list[dict]:
    """Sentences with a (partial) tree that fit the encoder in one piece."""
    out = []
    for s in sents:
        if not s.heads or all(h is None for h in s.heads):
            continue
        ids = parser.tokenizer(s.tokens, is_split_into_words=True)["input_ids"]
        if len(ids) <= parser.max_length:   # too long for one piece: left out
            out.append({"input_ids": ids, "sentence": s, "weight": weight})
    return out


def train_parser(source: Sequence[Sentence], out: str | Path,
                 model: TaggerTrainConfig | str | Path, *, silver: Sequence[Sentence] = (),
                 pseudo: Sequence[Sentence] = (), dev: Optional[Sequence[Sentence]] = None,
                 model_dir: Optional[str | Path] = None, resume: bool = True,
                 freeze_encoder: bool = False, feature_cache: Optional[dict] = None,
                 arc_dim: int = 256, rel_dim: int = 64, on_step: Optional[StepHook] = None,
                 **settings) -> Parser:
    """Train a parser on gold source trees plus partial silver trees (unknown and weak arcs
    left out of the loss) and ``pseudo`` trees; return the parser kept (the best on the dev
    set, else the last), saved in ``model_dir`` (default ``out``).

    ``model`` is a :class:`TaggerTrainConfig` or an encoder name; ``settings`` are
    TaggerTrainConfig fields (``epochs=10, lr=1e-3``...). ``freeze_encoder`` trains the head
    alone on encoder states computed once per sentence (``feature_cache``, a dict that runs
    on the same encoder may share): far cheaper on a CPU. ``on_step(step, loss)`` is called
    after each optimizer step (an exception there stops training; the run resumes from its
    last checkpoint)."""
    config = _config(model, settings)
    out = Path(out)
    model_dir = Path(model_dir) if model_dir is not None else out
    extra = {"freeze_encoder": freeze_encoder, "arc_dim": arc_dim, "rel_dim": rel_dim,
             "data": fingerprint(source, silver, pseudo, dev)}
    run_settings = {**json.loads(config.model_dump_json()), **extra}
    if finished_run(out, run_settings, resume) is not None:
        return _with_cache(Parser.load(model_dir), freeze_encoder, feature_cache)
    t0 = time.time()
    accelerator = make_accelerator(config, out)
    silver = [s for s in silver if s.heads]
    held, source_kept, silver_kept, pseudo = None, list(source), silver, list(pseudo)
    if dev is None:   # a slice of the silver trees (of the source's without silver)
        held, source_kept, silver_kept, pseudo = hold_out_training(
            source_kept, silver, pseudo, config.dev_fraction, config.seed)
    rels = relations_of(source_kept + silver_kept + pseudo)
    if not rels:
        raise XlieError("no sentence with a tree to train the parser on",
                        "give CoNLL-U (or JSONL with heads/deprels) source or silver data")
    parser = Parser.from_encoder(config.model, rels, max_length=config.max_length,
                                 arc_dim=arc_dim, rel_dim=rel_dim)
    if freeze_encoder:
        parser.encoder.requires_grad_(False)
        parser.feature_cache = {} if feature_cache is None else feature_cache
    else:
        freeze(parser.encoder, config)
    dev_sents = [s for s in (dev if dev is not None else held.sentences if held else [])
                 if s.heads and parser.fits(s)]
    data = LoopData(_features(parser, source_kept, 1.0),
                    _features(parser, silver_kept, config.silver_weight)
                    + _features(parser, pseudo, config.silver_weight), dev_sents)
    if not data.source and not data.silver:
        raise XlieError("no training sentence with a tree fits the encoder",
                        f"split sentences longer than {parser.max_length} subwords")
    optimizer = torch.optim.AdamW(param_groups(parser, config, body="encoder."), lr=config.lr)
    wrapped, optimizer = accelerator.prepare(parser, optimizer)
    state = start_state(accelerator, out, run_settings, resume)
    resumed_at = state.step
    task = ParserTask(parser, accelerator, model_dir, config.min_arc_score, config.batch_predict)
    state = run_loop(accelerator, wrapped, task, data, config, out, state, optimizer,
                     scheduler_maker(accelerator, optimizer, config), on_step)
    dev_info = ({"kind": "given"} if dev is not None else
                held.to_json() if held else {"kind": "none"})
    if dev_sents or dev is not None:   # those that fit the encoder (and have a tree)
        dev_info["sentences"] = len(dev_sents)
    choice = model_choice(state, dev_info, "dep", "parser")
    best = _with_cache(Parser.load(model_dir), freeze_encoder, parser.feature_cache)
    metrics = {"finished": True, "task": "dep", "config": run_settings, "rels": rels,
               "features": {"source": len(data.source), "silver": len(data.silver)},
               "resumed_at_step": resumed_at, **{k: v for k, v in vars(state).items()
                                                 if k != "batches_done"},
               "dev_set": dev_info, "model_choice": choice,
               "collapse": _collapse(best, state, data, config),
               "seconds": round(time.time() - t0, 1)}
    if accelerator.is_main_process:
        print(f"train: {choice['text']}", file=sys.stderr, flush=True)
        if metrics["collapse"]["collapsed"]:
            print(f"WARNING: {metrics['collapse']['warning']}", file=sys.stderr, flush=True)
        with atomic_write(out / "metrics.json") as f:
            json.dump(metrics, f, indent=1)
    accelerator.wait_for_everyone()
    return best


def fingerprint(*parts: Optional[Sequence[Sentence]]) -> str:
    """A digest of the sentences a run trains and chooses on: a finished or checkpointed run
    is reused only for the same data, not just the same settings."""
    h = hashlib.sha1()
    for part in parts:
        for s in part or ():
            h.update(json.dumps([s.id, s.tokens, s.heads, s.deprels]).encode())
        h.update(b"|")
    return h.hexdigest()[:16]


def _with_cache(parser: Parser, frozen: bool, cache: Optional[dict]) -> Parser:
    if frozen:   # the same encoder states as in training, computed once
        parser.feature_cache = {} if cache is None else cache
    return parser


def _collapse(parser: Parser, state, data: LoopData, config: TaggerTrainConfig) -> dict:
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
                      out: str | Path, model: TaggerTrainConfig | str | Path, *,
                      silver: Sequence[Sentence] = (), rounds: int = 2, threshold: float = 0.9,
                      test: Sequence[Sentence] = (), **train_kw) -> dict:
    """Round 0 on source + silver, then ``rounds`` of: parse ``unlabeled`` -> keep the
    arcs whose head probability is >= ``threshold`` -> retrain from the base encoder on
    source + silver + those pseudo-trees. Each round is a resumable run in ``OUT/round-N``
    (a finished one is loaded, not trained again). Returns per-round counts (and test
    UAS/LAS)."""
    out = Path(out)
    summary: dict = {"rounds": []}
    pseudo: list[Sentence] = []
    for r in range(rounds + 1):
        parser = train_parser(source, out / f"round-{r}", model, silver=silver, pseudo=pseudo,
                              **train_kw)
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


def self_train_parser_files(source: Sequence[str | Path], unlabeled: Sequence[str | Path],
                            out: str | Path, config, silver: Sequence[str | Path] = (),
                            test: Optional[str | Path] = None) -> dict:
    """``xlie selftrain run --task dep``: rounds as ``self_train_parser``, with the settings
    of a ``SelfTrainConfig`` (pseudo-arcs kept at ``select.threshold``); OUT/summary.json."""
    text = [s.model_copy(update={"heads": None, "deprels": None, "arc_scores": None})
            for s in _read(unlabeled)]  # trees in the unlabeled text are ignored
    summary = self_train_parser(_read(source), text, out, config.train, silver=_read(silver),
                                rounds=config.rounds, threshold=config.select.threshold,
                                test=_read([test]) if test else ())
    with atomic_write(Path(out) / "summary.json") as f:
        json.dump(summary, f, indent=1)
    return summary


def train_parser_files(source: Sequence[str | Path], out: str | Path, config: TaggerTrainConfig,
                       silver: Sequence[str | Path] = (), test: Optional[str | Path] = None,
                       dev: Optional[str | Path] = None, resume: bool = True) -> dict:
    """``xlie selftrain train --task dep``: a parser in ``OUT/model`` from the files;
    ``OUT/metrics.json`` (with test UAS/LAS)."""
    out = Path(out)
    parser = train_parser(_read(source), out, config, silver=_read(silver),
                          dev=_read([dev]) if dev else None, model_dir=out / "model",
                          resume=resume)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    metrics["model"] = str(out / "model")
    if test:
        gold = [s for s in _read([test]) if parser.fits(s)]
        metrics["test"] = score_dep(pair_sentences(gold, parser.predict(gold)))
        with atomic_write(out / "metrics.json") as f:
            json.dump(metrics, f, indent=1)
    return metrics
