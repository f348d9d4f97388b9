"""The selftrain stage: ``xlie.selftrain.self_train`` on the source corpus + silver data.

Round 0 trains the model of ``train.task`` (a tagger, the parser or the relation classifier:
selftrain/tasks.py) on the source gold (``use_source``) and the silver corpus; each later
round pseudo-labels target-language text (``unlabeled``, default: the silver corpus's own
sentences) and retrains. The settings are the CLI's: the same models, the same defaults. With ``eval.test`` each round's tagger is scored on held-out
target gold; ``tagger_f1`` is the final round's. ``launcher: accelerate`` runs the training
under ``accelerate launch`` (one process per GPU) instead of in the runner's process.
``train.log_with: tensorboard`` (wandb, mlflow, all) logs every model's training to that
tracker (xlie/tracking.py; TensorBoard: ``tensorboard --logdir RUN_DIR/04-selftrain``).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field

from ...errors import XlieError
from ...scoring import main_score, percent
from ...selftrain.config import SelfTrainConfig
from ..inputs import resolve_path
from ..launch import run_process_group
from ..stages import Stage, StageConfig, StageContext


class SelftrainStageConfig(StageConfig, SelfTrainConfig):
    """``xlie.selftrain.SelfTrainConfig`` (train, rounds, select, ...) plus where the data
    comes from."""
    use_source: bool = Field(True, description="train on the source-language gold as well")
    unlabeled: Optional[list[str]] = Field(None, description="target text to pseudo-label; "
                                                             "default: the silver corpus")
    launcher: Literal["inprocess", "accelerate"] = "inprocess"
    source_only_baseline: bool = Field(False, description="with eval.test, also train a tagger "
                                       "on the source gold alone (same settings) and report "
                                       "its score: the score without silver data")
    num_processes: int = Field(1, ge=1, description="processes for `accelerate launch`")


def job_for(ctx: StageContext) -> dict:
    """Everything ``self_train`` is called with, as JSON (also the accelerate job file)."""
    cfg: SelftrainStageConfig = ctx.config
    silver = str(ctx.inputs["silver"])
    unlabeled = [str(resolve_path(u)) for u in cfg.unlabeled] if cfg.unlabeled else [silver]
    run_cfg = cfg.model_dump(mode="json", include=set(SelfTrainConfig.model_fields))
    return {"source": [str(ctx.inputs["corpus"])] if cfg.use_source else [],
            "unlabeled": unlabeled, "run_dir": str(ctx.out_dir / "rounds"), "config": run_cfg,
            "silver": [silver], "test": str(ctx.eval_test) if ctx.eval_test else None,
            "log_with": cfg.train.log_with}   # not in the config's dump: no setting of the model


def _config(job: dict) -> SelfTrainConfig:
    cfg = SelfTrainConfig.model_validate(job["config"])
    cfg.train.log_with = job.get("log_with")
    return cfg


def run_job(job: dict) -> dict:
    """Call the public ``self_train`` with a job; the one code path of both launchers and of
    every task (the task registry picks the trainer)."""
    cfg = _config(job)
    from ...selftrain import self_train
    return self_train(job["source"], job["unlabeled"], job["run_dir"], cfg,
                      silver=job["silver"], test=job["test"])


def _launch(job: dict, ctx: StageContext, num_processes: int) -> dict:
    job_path = ctx.out_dir / "job.json"
    job_path.write_text(json.dumps(job, indent=1), encoding="utf-8")
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes",
           str(num_processes), "--num_machines", "1", "--dynamo_backend", "no",
           "--mixed_precision", "no", "-m", "xlie.pipeline.adapters.selftrain_job", str(job_path)]
    status = run_process_group(cmd, env={**os.environ, "XLIE_PROGRESS": "0"})
    if status != 0:
        raise XlieError(f"`accelerate launch` of the selftrain stage exited with {status}",
                        "see the output above; `xlie run` resumes from the last checkpoint")
    return json.loads((Path(job["run_dir"]) / "summary.json").read_text(encoding="utf-8"))


def run(ctx: StageContext) -> dict:
    cfg: SelftrainStageConfig = ctx.config
    job = job_for(ctx)
    summary = run_job(job) if cfg.launcher == "inprocess" else _launch(job, ctx, cfg.num_processes)
    model = ctx.out_dir / "model"
    if model.exists():
        shutil.rmtree(model)
    shutil.copytree(Path(job["run_dir"]) / summary["final_model"], model, copy_function=os.link)
    rounds = summary["rounds"]
    task = cfg.train.task
    counts = {"rounds": len(rounds), "steps": sum(r.get("steps") or 0 for r in rounds)}
    name = METRIC_NAMES[task]
    tests = [r.get("test") for r in rounds]
    metrics: dict = {}
    if tests[-1]:
        metrics[name] = percent(main_score(task, tests[-1]))
        metrics[f"{name}_round0"] = percent(main_score(task, tests[0])) if tests[0] else None
        if task == "dep":
            metrics["parser_uas"] = percent(tests[-1]["uas"])
    if cfg.source_only_baseline and job["test"] and job["source"]:
        metrics[f"{name}_source_only"] = _source_only(job, ctx, task)
    return {"counts": counts, "metrics": metrics}


# the stage's metric per task (``xlie status`` and the manifest show these names)
METRIC_NAMES = {"ner": "tagger_f1", "pos": "tagger_accuracy", "dep": "parser_las",
                "relation": "relation_macro_f1", "event": "event_f1"}


def _source_only(job: dict, ctx: StageContext, task: str) -> float:
    """The same tagger trained on the source gold alone, scored on the same test set. Where
    the silver run's judge is that model (trained on the source alone with the same
    settings and data), it is scored instead of training it a second time."""
    from ...selftrain import train
    from ...selftrain.trainer_setup import OtherSettingsError
    cfg = _config(job).train
    judge = Path(job["run_dir"]) / "round-0" / "judge"
    if (judge / "metrics.json").is_file():
        try:
            result = train(job["source"], judge, cfg, test=job["test"])
            return percent(main_score(task, result.metrics["test"]))
        except OtherSettingsError:
            pass   # the judge was made otherwise (its own dev data): train the baseline
    # the same settings as the silver run (the settings model of the task: nothing dropped)
    result = train(job["source"], ctx.out_dir / "source-only", cfg, test=job["test"])
    return percent(main_score(task, result.metrics["test"]))


def check(cfg: SelftrainStageConfig) -> dict[str, str]:
    """A tracker asked for must be installed: say so before the run starts."""
    from ...tracking import trackers
    try:
        trackers(cfg.train.log_with)
    except XlieError as e:
        return {"train.log_with": f"{e.message}; {e.hint}"}
    return {}


STAGE = Stage(
    "selftrain", 4, needs=("silver", "corpus"), provides=("tagger",),
    config_model=SelftrainStageConfig, outputs={"tagger": "model"}, run=run, check=check,
    description="train a tagger on source + silver data, then self-train")
