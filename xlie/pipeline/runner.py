"""The runner: check the chain, then run each stage into its folder of the run directory,
skipping stages whose manifest matches, resuming half-done batch stages shard by shard.

Run directory::

    RUN_DIR/
      config.yaml              the config as run (overrides applied)
      01-translate/  corpus.jsonl   manifest.json  DONE
      02-align/      aligned.jsonl  manifest.json  DONE
      03-project/    silver.jsonl   manifest.json  DONE
      04-selftrain/  model/ ...     manifest.json  DONE
      .02-align.partial/       finished shards of an interrupted batch stage
      .02-align.tmp/           a stage folder being written (renamed into place when done)
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from .. import __version__
from ..errors import ConfigError, UnknownNameError, XlieError
from ..fileio import atomic_write, check_output
from .config import PipelineConfig
from .engines import make_engine
from .inputs import input_provides, resolve_path
from .manifest import (fingerprint, is_up_to_date, mark_done, model_identity, read_manifest,
                       sha256_path, shown_counts, write_manifest)
from .rundir import RunLock, clean_leftovers, commit_folder
from .stages import Stage, StageContext, plan_chain


@dataclass
class StageOutcome:
    name: str
    status: str                  # "ran" | "skipped"
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    folder: Optional[Path] = None
    cpu_seconds: float = 0.0


@dataclass
class RunResult:
    run_dir: Path
    stages: list[StageOutcome]
    report: Optional[Path] = None       # RUN_DIR/report.html, when it was written

    @property
    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.stages:
            out.update(s.metrics)
        return out


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_file(path: Path, key: str, cfg: PipelineConfig) -> Path:
    if not path.is_file():
        raise ConfigError(cfg.path, key, f"no such file: {path}")
    return path


def run_pipeline(cfg: PipelineConfig, start: str | None = None, until: str | None = None,
                 force: bool = False, echo: Callable[[str], None] = lambda s: None) -> RunResult:
    """Run the enabled stages of ``cfg`` (from ``start`` to ``until``); see module docs."""
    run = cfg.run
    run_dir = Path(run.run_dir)
    reg = cfg.registry
    for name in (start, until):
        if name is not None and name not in reg:
            raise UnknownNameError("stage", name, reg)
    corpus = _check_file(resolve_path(run.input.corpus), "input.corpus", cfg)
    gold = _check_file(resolve_path(run.eval.gold), "eval.gold", cfg) if run.eval.gold else None
    test = _check_file(resolve_path(run.eval.test), "eval.test", cfg) if run.eval.test else None
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(cfg.path, "run_dir", f"{run_dir} exists and is not a folder")
    check_output(run_dir, corpus, gold, test, folder=True)
    provided = input_provides(corpus)
    done = {n for n, st in reg.items() if (run_dir / st.dirname / "DONE").exists()}
    plan = plan_chain(reg, [n for n in cfg.stages if cfg.stage(n)], provided, start, until,
                      done)

    for st in plan.stages:   # fail on a setting the model cannot take before the run starts
        for key, problem in (st.check(cfg.stages[st.name]) if st.check else {}).items():
            raise ConfigError(cfg.path, f"{st.name}.{key}", problem)
    run_dir.mkdir(parents=True, exist_ok=True)
    outcomes: list[StageOutcome] = []
    with RunLock(run_dir):
        clean_leftovers(run_dir)
        with atomic_write(run_dir / "config.yaml", corpus) as f:
            f.write(cfg.to_yaml())
        paths: dict[str, Path] = {a: corpus for a in provided}
        for st in reg.values():  # finished stages before --from feed the selected ones
            if start and st.order < reg[start].order and st.name in done:
                paths.update({a: run_dir / st.dirname / fn for a, fn in st.outputs.items()})
        with make_engine(run) as engine:
            for st in plan.stages:
                ctx = StageContext(
                    name=st.name, config=cfg.stages[st.name],
                    inputs={a: paths[a] for a in st.needs}, out_dir=run_dir / f".{st.dirname}.tmp",
                    seed=run.seed, src_lang=run.input.src_lang, tgt_lang=run.input.tgt_lang,
                    eval_gold=gold, eval_test=test, engine=engine.name)
                outcome = _run_stage(st, ctx, run_dir, run.shard_size, engine, force, echo)
                outcomes.append(outcome)
                paths.update({a: run_dir / st.dirname / fn for a, fn in st.outputs.items()})
        report = _write_report(run_dir, echo) if run.report else None
    return RunResult(run_dir, outcomes, report)


def _write_report(run_dir: Path, echo: Callable[[str], None]) -> Optional[Path]:
    """The run's HTML report; a report that cannot be written costs the run nothing."""
    from ..report import write_report
    t0 = time.perf_counter()
    try:
        path = write_report(run_dir)
    except Exception as e:  # noqa: BLE001 - the stages' results stand whatever the page does
        echo(f"note: the run report was not written ({type(e).__name__}: {e}); "
             f"try `xlie report {run_dir}`")
        return None
    echo(f"report: {path} ({time.perf_counter() - t0:.1f} s)")
    return path


def _input_hashes(ctx: StageContext) -> dict[str, str]:
    hashes = {a: sha256_path(p) for a, p in ctx.inputs.items()}
    if ctx.eval_gold is not None:
        hashes["eval.gold"] = sha256_path(ctx.eval_gold)
    if ctx.eval_test is not None:
        hashes["eval.test"] = sha256_path(ctx.eval_test)
    return hashes


def run_settings(ctx: StageContext, config: dict) -> dict:
    """What decides a stage's output besides its own section and its input files: the
    language pair and the seed of the run, and what each model the section names holds now
    (a local or built-in model rebuilt or retrained under the same name gives other output)."""
    models = {key: model_identity(value) for key, value in sorted(config.items())
              if isinstance(value, str) and (key == "model" or key.endswith("_model"))}
    return {"src_lang": ctx.src_lang, "tgt_lang": ctx.tgt_lang, "seed": ctx.seed,
            "models": models}


def _run_stage(st: Stage, ctx: StageContext, run_dir: Path, shard_size: int, engine,
               force: bool, echo: Callable[[str], None]) -> StageOutcome:
    folder = run_dir / st.dirname
    config = ctx.config.model_dump(mode="json")
    hashes = _input_hashes(ctx)
    extra = {"shard_size": shard_size} if st.is_batch else {}
    extra.update(run_settings(ctx, config))
    fp = fingerprint(st.name, config, hashes, extra)
    if not force and is_up_to_date(folder, fp):
        man = read_manifest(folder) or {}
        echo(f"[{st.dirname}] up to date, skipped")
        return StageOutcome(st.name, "skipped", counts=man.get("counts", {}),
                            metrics=man.get("metrics", {}), folder=folder)
    echo(f"[{st.dirname}] running")
    t0, c0, started = time.perf_counter(), time.process_time(), _now()
    partial = run_dir / f".{st.dirname}.partial"
    if st.is_batch:
        from .batchrun import run_batch_stage
        tmp = ctx.out_dir
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        try:
            counts, metrics = run_batch_stage(st, ctx, partial, fp, shard_size, engine, force,
                                              echo)
        except BaseException:   # finished shards stay in .partial; the half folder goes
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    else:  # a whole stage works in its .partial folder, which it may resume from
        from .batchrun import open_partial
        if open_partial(partial, fp, force):
            echo(f"  resuming in {partial}")
        tmp = ctx.out_dir = partial
        result = st.run(ctx) or {}
        counts = dict(result.get("counts", {}))
        metrics = dict(result.get("metrics", {}))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    outputs = {}
    for art, name in st.outputs.items():
        p = tmp / name
        if not p.exists():
            raise XlieError(f"stage {st.name!r} did not write its output {name}",
                            "this is a bug in the stage; please report it")
        outputs[art] = {"path": name, "sha256": sha256_path(p)}
    manifest = {
        "stage": st.name, "xlie_version": __version__, "fingerprint": fp, "config": config,
        "inputs": {a: {"path": str(ctx.inputs[a]) if a in ctx.inputs else
                       str(ctx.eval_gold if a == "eval.gold" else ctx.eval_test),
                       "sha256": h} for a, h in hashes.items()},
        "outputs": outputs, "counts": counts, "metrics": metrics, "engine": ctx.engine,
        "timings": {"started": started, "finished": _now(), "seconds": round(seconds, 3),
                    "cpu_seconds": round(cpu, 3)},  # this process's threads; not Ray workers
    }
    write_manifest(tmp, manifest)
    mark_done(tmp, fp)
    commit_folder(tmp, folder)
    if partial.exists():
        shutil.rmtree(partial)
    shown = shown_counts(counts)
    echo(f"[{st.dirname}] done in {seconds:.1f} s" + (f": {shown}" if shown else ""))
    return StageOutcome(st.name, "ran", seconds, counts, metrics, folder, cpu)


def format_metrics(metrics: dict) -> list[str]:
    return [f"{k}: {v:.2f}" if isinstance(v, float) else f"{k}: {v}"
            for k, v in metrics.items()]


def result_json(result: RunResult) -> str:
    return json.dumps({"run_dir": str(result.run_dir), "stages": [
        {"name": s.name, "status": s.status, "seconds": round(s.seconds, 3), "counts": s.counts,
         "metrics": s.metrics} for s in result.stages],
        "report": str(result.report) if result.report else None}, indent=2)
