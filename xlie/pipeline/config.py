"""Pipeline configuration: one YAML file parsed into typed, validated config objects.

Sample (``configs/demo.yaml``)::

    run_dir: runs/demo
    engine: local                     # local | ray
    input:
      corpus: xlie:data/demo/en-de.train.jsonl
    eval:
      gold: xlie:data/demo/de.gold.jsonl
    align:
      model: e5-small
      extraction: softmax
    project: {}
    selftrain: {}

Top-level keys are the run settings below plus one section per registered stage
(``documents``, ``translate``, ``align``, ``project``, ``selftrain``): a stage runs when its section is
present and not ``enabled: false``. Paths are relative to the working directory;
``xlie:PATH`` names a file shipped inside the xlie package (the bundled demo data).
Unknown keys, wrong types and unknown component names raise :class:`ConfigError` naming the
key and the file; ``--set KEY=VALUE`` overrides any key (the value is read as YAML). Reading
and overriding are ``xlie.config``'s, as for every stage's settings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

import yaml
from pydantic import Field, ValidationError

from ..config import (Settings, apply_overrides, config_error, read_yaml, validate_settings,
                      where)
from ..errors import ConfigError
from .inputs import resolve_path
from .registry import stages_of
from .stages import BatchStageConfig, Stage, StageConfig

__all__ = ["BatchStageConfig", "EvalConfig", "InputConfig", "PipelineConfig", "PipelineRunConfig",
           "RayConfig", "StageConfig", "load_config", "resolve_path", "validate_config"]


class InputConfig(Settings):
    corpus: str = Field(description="JSONL corpus; records with `translation` start at align, "
                                    "records with `alignment` too start at project")
    src_lang: Optional[str] = None
    tgt_lang: Optional[str] = None


class EvalConfig(Settings):
    gold: Optional[str] = Field(None, description="target-language gold for the projected "
                                                  "corpus (same ids): projected-F1")
    test: Optional[str] = Field(None, description="held-out target-language gold: tagger-F1")


class RayConfig(Settings):
    address: Optional[str] = Field(None, description="cluster address; none starts a local Ray")
    num_cpus: Optional[int] = Field(None, ge=1, description="CPUs of a local Ray instance")
    concurrency: int = Field(1, ge=1, description="workers (actors) per batch stage")
    num_cpus_per_worker: float = Field(1.0, gt=0)
    num_gpus_per_worker: float = Field(0.0, ge=0)
    runtime_env: Optional[dict[str, Any]] = Field(None, description="passed to ray.init, e.g. "
                                                  "{env_vars: {XLIE_HOME: /shared/xh}}")


class PipelineRunConfig(Settings):
    """The run settings of a pipeline config: its top-level keys other than stage sections."""
    run_dir: str
    engine: Literal["local", "ray"] = "local"
    seed: int = 0
    shard_size: int = Field(1024, ge=1, description="records per shard of a batch stage: "
                                                    "the unit of resume and of Ray tasks")
    input: InputConfig
    eval: EvalConfig = Field(default_factory=EvalConfig)
    ray: RayConfig = Field(default_factory=RayConfig)
    report: bool = Field(True, description="write RUN_DIR/report.html (xlie report) at the "
                                           "end of the run")


@dataclass
class PipelineConfig:
    """The validated run settings and the sections of the enabled stages."""
    run: PipelineRunConfig
    stages: dict[str, StageConfig]
    path: Optional[str] = None
    data: dict[str, Any] = field(default_factory=dict)  # the merged YAML, overrides applied
    registry: dict[str, Stage] = field(default_factory=dict)  # the stages it was read against

    def stage(self, name: str) -> Optional[StageConfig]:
        cfg = self.stages.get(name)
        return cfg if cfg is not None and cfg.enabled else None

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True)


def validate_config(data: dict, path: str | None = None, overrides: list[str] | None = None,
                    stages: Optional[Iterable[Stage]] = None) -> PipelineConfig:
    """Validate a merged YAML mapping against the run schema and ``stages`` (default: the
    built-in ones)."""
    overrides = overrides or []
    registry = stages_of(stages)
    run_data = {k: v for k, v in data.items() if k not in registry}
    try:
        run = PipelineRunConfig.model_validate(run_data)
    except ValidationError as err:
        ce = config_error(err, PipelineRunConfig, path, overrides)
        if ce.problem.startswith("unknown key") and "." not in ce.key:
            known = sorted([*PipelineRunConfig.model_fields, *registry])
            ce = ConfigError(ce.path, ce.key, f"unknown key; known top-level keys: {', '.join(known)}")
        raise ce from None
    sections: dict[str, StageConfig] = {}
    for name, stage in registry.items():
        if name not in data:
            continue
        section = data[name]
        if section is None:
            section = {}
        if not isinstance(section, dict):
            raise ConfigError(where(path, None), name,
                              f"a stage section must be a mapping, got {section!r}")
        sections[name] = validate_settings(stage.config_model, section, path, overrides,
                                           prefix=name)
    return PipelineConfig(run=run, stages=sections, path=path, data=data, registry=registry)


def load_config(path: str | Path, overrides: list[str] | None = None,
                stages: Optional[Iterable[Stage]] = None) -> PipelineConfig:
    """Read, override and validate a pipeline config file (``xlie.config`` does the reading)
    against ``stages`` (default: the built-in ones)."""
    overrides = list(overrides or [])
    data = apply_overrides(read_yaml(path), overrides, str(path))
    return validate_config(data, str(path), overrides, stages)
