"""Self-training, one driver for every task: rounds of predict -> keep confident
pseudo-labels -> retrain.

Run directory (each file written atomically; a finished step is not redone, so an
interrupted run resumes)::

    RUN/round-0/              the model on source + silver (train's layout: model/, metrics.json)
    RUN/round-1/predictions.jsonl   round-0 model on the unlabeled target text
    RUN/round-1/pseudo.jsonl        the kept pseudo-labels (label_mask marks labeled words)
    RUN/round-1/selection.json      candidates and kept units per label
    RUN/round-1/model/, metrics.json
    ...
    RUN/summary.json          dev/test scores and selection counts of every round

The task (``config.train.task``) decides how a model is trained, predicts and which of its
predictions are kept (:mod:`.tasks`); ``select``/``schedule``, ``init``, ``keep_silver``,
``round_epochs`` and ``--dev`` mean the same for every task.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Optional, Sequence

from ..fileio import atomic_write
from ..formats.jsonl import write_jsonl
from .config import SelfTrainConfig
from .data import read_all
from ..errors import XlieError
from .tasks import Task, get_task
from .teachers import build_predictor, predictor_report
from .translate_test import TranslateTestSpec

log = logging.getLogger(__name__)

Paths = Sequence[str | Path]


def _round_summary(k: int, metrics: dict, selection: Optional[dict] = None) -> dict:
    row = {"round": k, "steps": metrics.get("step"), "best_dev": metrics.get("best"),
           "seconds": metrics.get("seconds"), "data": metrics.get("data")}
    if "test" in metrics:
        row["test"] = metrics["test"]
    if selection is not None:
        row["selection"] = selection
        row["pseudo_sentences"] = selection.get("kept_sentences")
    return row


def teacher(task: Task, model_dir: Path, config: SelfTrainConfig,
            feature_cache: Optional[dict] = None, mt_backend: Any = None):
    """The predictor of ``config.teacher``: the previous round's model (``self``), the
    source model through translation (``translate-test``), or both ensembled.
    ``mt_backend``: a ready translation ``Backend`` instead of ``translate_test.backend``."""
    if config.teacher == "self":
        return task.load(model_dir, config.train.batch_predict, feature_cache)
    tt = config.translate_test
    spec = TranslateTestSpec(backend=mt_backend or tt.backend, mt_model=tt.mt_model,
                             src_lang=tt.src_lang, tgt_lang=tt.tgt_lang, aligner=tt.aligner)
    models = [model_dir] if config.teacher == "ensemble" else [tt.source_model]
    tt_model = tt.source_model if config.teacher == "ensemble" else None
    ens = config.ensemble if config.teacher == "ensemble" else None
    found, predictor = build_predictor(models, spec, tt_model, config.train.batch_predict,
                                       feature_cache, weights=ens and ens.weights,
                                       combine=ens and ens.combine)
    if found.name != task.name:
        raise XlieError(f"the translate-test teacher {tt.source_model} is a {found.name} "
                        f"model; this run trains {task.name}",
                        "give a source model of the run's task")
    return predictor


def pseudo_label(task: Task, model_dir: Path, unlabeled: Paths, out: Path,
                 config: SelfTrainConfig, round_no: int,
                 feature_cache: Optional[dict] = None,
                 mt_backend: Any = None) -> tuple[Path, dict]:
    """Predict the unlabeled text (its own labels of this task ignored) with the teacher
    (:func:`teacher`: by default the model of ``model_dir``) and keep the confident
    predictions (the task's own selection); returns the pseudo-labeled corpus and
    the selection counts."""
    pseudo_path, sel_path = out / "pseudo.jsonl", out / "selection.json"
    if pseudo_path.exists() and sel_path.exists():
        return pseudo_path, json.loads(sel_path.read_text(encoding="utf-8"))
    model = teacher(task, model_dir, config, feature_cache, mt_backend)
    sents = [task.unlabel(s) for s in read_all(unlabeled) if s.tokens]
    fits = getattr(model, "fits", None)
    too_long = [s.id for s in sents if fits is not None and not fits(s)]
    if too_long:   # a parser takes a sentence in one piece: the longest are left unlabeled
        log.warning("round %d: %d unlabeled sentences are too long for the teacher and get "
                    "no pseudo-labels (first: %s)", round_no, len(too_long), too_long[0])
        sents = [s for s in sents if fits(s)]
    predicted = model.predict(sents)
    write_jsonl(out / "predictions.jsonl", predicted, *unlabeled)
    kept, stats = task.select(predicted, config.select_for(round_no))
    stats["teacher"] = config.teacher
    stats["too_long"] = len(too_long)
    lost = predictor_report(model)
    if lost:
        stats["translate_test"] = lost
    write_jsonl(pseudo_path, kept, *unlabeled)
    with atomic_write(sel_path) as f:
        json.dump(stats, f, indent=1)
    return pseudo_path, stats


def self_train(source: Paths, unlabeled: Paths, run_dir: str | Path, config: SelfTrainConfig,
               silver: Paths = (), dev: Optional[str | Path] = None,
               test: Optional[str | Path] = None, mt_backend: Any = None) -> dict:
    """Round 0 trains on source + silver (judged first where the task's settings say so);
    each later round pseudo-labels ``unlabeled`` with
    the teacher (``config.teacher``; by default the previous model) and retrains. Returns
    (and writes) the summary of all rounds. ``mt_backend``: a ready translation backend for
    the translate-test teacher (an oracle, a test double) instead of the configured one."""
    from accelerate import PartialState
    from .trainer_setup import use_cpu
    task = get_task(config.train.task)
    run_dir = Path(run_dir)
    state = PartialState(cpu=use_cpu())
    cache: dict = {}   # frozen lower layers' states, shared by every round of the run
    result = task.train(source, run_dir / "round-0", config.train, silver=silver, dev=dev,
                        test=test, feature_cache=cache)
    rounds = [_round_summary(0, result.metrics)]
    judged = result.metrics.get("judge", {}).get("silver")
    if judged:   # silver judged in round 0 (the parser's silver_judge): later rounds use it
        silver = [run_dir / "round-0" / judged]
    prev = result.model_dir
    for k in range(1, config.rounds + 1):
        out = run_dir / f"round-{k}"
        if state.is_main_process:
            out.mkdir(parents=True, exist_ok=True)
            pseudo_label(task, prev, unlabeled, out, config, k, cache, mt_backend)
        state.wait_for_everyone()
        pseudo_path, stats = pseudo_label(task, prev, unlabeled, out, config, k)  # read back
        cfg = config.train
        if config.round_epochs:
            cfg = cfg.model_copy(update={"epochs": config.round_epochs})
        result = task.train(source, out, cfg, silver=silver if config.keep_silver else (),
                            pseudo=[pseudo_path], dev=dev, test=test, feature_cache=cache,
                            init_model=prev if config.init == "previous" else None)
        rounds.append(_round_summary(k, result.metrics, stats))
        prev = result.model_dir
    # relative to run_dir: the pipeline renames its .partial folder when the stage finishes
    summary = {"task": task.name, "rounds": rounds, "final_model": os.path.relpath(prev, run_dir),
               "config": config.model_dump(mode="json")}
    if state.is_main_process:
        with atomic_write(run_dir / "summary.json") as f:
            json.dump(summary, f, indent=1)
    return summary
