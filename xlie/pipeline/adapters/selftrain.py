"""The selftrain stage: ``xlie.selftrain.self_train`` on the source corpus + silver data.

Round 0 trains a tagger on the source gold (``use_source``) and the silver corpus; each
later round pseudo-labels target-language text (``unlabeled``, default: the silver corpus's
own sentences) and retrains. With ``eval.test`` each round's tagger is scored on held-out
target gold; ``tagger_f1`` is the final round's. ``launcher: accelerate`` runs the training
under ``accelerate launch`` (one process per GPU) instead of in the runner's process.
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
    num_processes: int = Field(1, ge=1, description="processes for `accelerate launch`")


def job_for(ctx: StageContext) -> dict:
    """Everything ``self_train`` is called with, as JSON (also the accelerate job file)."""
    cfg: SelftrainStageConfig = ctx.config
    silver = str(ctx.inputs["silver"])
    unlabeled = [str(resolve_path(u)) for u in cfg.unlabeled] if cfg.unlabeled else [silver]
    run_cfg = cfg.model_dump(mode="json", include=set(SelfTrainConfig.model_fields))
    return {"source": [str(ctx.inputs["corpus"])] if cfg.use_source else [],
            "unlabeled": unlabeled, "run_dir": str(ctx.out_dir / "rounds"), "config": run_cfg,
            "silver": [silver], "test": str(ctx.eval_test) if ctx.eval_test else None}


def run_job(job: dict) -> dict:
    """Call the public ``self_train`` with a job; the one code path of both launchers."""
    from ...selftrain import self_train
    return self_train(job["source"], job["unlabeled"], job["run_dir"],
                      SelfTrainConfig.model_validate(job["config"]), silver=job["silver"],
                      test=job["test"])


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
    counts = {"rounds": len(rounds), "steps": sum(r.get("steps") or 0 for r in rounds)}
    metrics = {}
    tests = [r.get("test") or {} for r in rounds]
    if tests and "f1" in tests[-1]:
        metrics = {"tagger_f1": tests[-1]["f1"], "tagger_f1_round0": tests[0].get("f1")}
    elif tests and "accuracy" in tests[-1]:
        metrics = {"tagger_accuracy": tests[-1]["accuracy"]}
    return {"counts": counts, "metrics": metrics}


STAGE = Stage(
    "selftrain", 4, needs=("silver", "corpus"), provides=("tagger",),
    config_model=SelftrainStageConfig, outputs={"tagger": "model"}, run=run,
    description="train a tagger on source + silver data, then self-train")
