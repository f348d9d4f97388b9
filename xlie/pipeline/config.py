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
(``translate``, ``align``, ``project``, ``selftrain``): a stage runs when its section is
present and not ``enabled: false``. Paths are relative to the working directory;
``xlie:PATH`` names a file shipped inside the xlie package (the bundled demo data).
Unknown keys, wrong types and unknown component names raise :class:`ConfigError` naming the
key and the file; ``--set KEY=VALUE`` overrides any key (the value is read as YAML).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, InputFormatError


class Section(BaseModel):
    """A config section: unknown keys are errors."""
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class InputConfig(Section):
    corpus: str = Field(description="JSONL corpus; records with `translation` start at align, "
                                    "records with `alignment` too start at project")
    src_lang: Optional[str] = None
    tgt_lang: Optional[str] = None


class EvalConfig(Section):
    gold: Optional[str] = Field(None, description="target-language gold for the projected "
                                                  "corpus (same ids): projected-F1")
    test: Optional[str] = Field(None, description="held-out target-language gold: tagger-F1")


class RayConfig(Section):
    address: Optional[str] = Field(None, description="cluster address; none starts a local Ray")
    num_cpus: Optional[int] = Field(None, ge=1, description="CPUs of a local Ray instance")
    concurrency: int = Field(1, ge=1, description="workers (actors) per batch stage")
    num_cpus_per_worker: float = Field(1.0, gt=0)
    num_gpus_per_worker: float = Field(0.0, ge=0)
    runtime_env: Optional[dict[str, Any]] = Field(None, description="passed to ray.init, e.g. "
                                                  "{env_vars: {XLIE_HOME: /shared/xh}}")


class RunConfig(Section):
    run_dir: str
    engine: Literal["local", "ray"] = "local"
    seed: int = 0
    shard_size: int = Field(1024, ge=1, description="records per shard of a batch stage: "
                                                    "the unit of resume and of Ray tasks")
    input: InputConfig
    eval: EvalConfig = Field(default_factory=EvalConfig)
    ray: RayConfig = Field(default_factory=RayConfig)


class StageConfig(Section):
    """Base of every stage section."""
    enabled: bool = True


class BatchStageConfig(StageConfig):
    batch_size: int = Field(32, ge=1)


@dataclass
class PipelineConfig:
    """The validated run settings and the sections of the enabled stages."""
    run: RunConfig
    stages: dict[str, StageConfig]
    path: Optional[str] = None
    data: dict[str, Any] = field(default_factory=dict)  # the merged YAML, overrides applied

    def stage(self, name: str) -> Optional[StageConfig]:
        cfg = self.stages.get(name)
        return cfg if cfg is not None and cfg.enabled else None

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True)


def resolve_path(path: str | Path) -> Path:
    """``xlie:REL`` -> a file shipped inside the package; anything else as given."""
    text = str(path)
    if text.startswith("xlie:"):
        from importlib.resources import files
        return Path(str(files("xlie").joinpath(text[len("xlie:"):])))
    return Path(text).expanduser()


def parse_override(item: str) -> tuple[str, Any]:
    """``a.b=VALUE`` -> ("a.b", value read as YAML)."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(None, item, "an override must look like KEY=VALUE, e.g. align.layer=6")
    try:
        return key, yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        return key, value


def apply_overrides(data: dict, overrides: list[str], path: str | None) -> dict:
    """Set each dotted key in a copy of ``data``; intermediate sections are created."""
    data = json.loads(json.dumps(data))
    for item in overrides:
        key, value = parse_override(item)
        node = data
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ConfigError(_where(path, item), ".".join(parts[:i + 1]),
                                  f"is a value ({nxt!r}), not a section")
            node = nxt
        node[parts[-1]] = value
    return data


def _where(path: str | None, override: str | None) -> str | None:
    if override:
        return f"{path} (--set {override})" if path else f"--set {override}"
    return path


def _from_validation(err: ValidationError, prefix: str, model: type[BaseModel],
                     path: str | None, overrides: list[str]) -> ConfigError:
    """The first pydantic error as a ConfigError naming the dotted key."""
    e = err.errors()[0]
    loc = [str(p) for p in e["loc"]]
    key = ".".join([prefix, *loc] if prefix else loc) or prefix or "<top>"
    if e["type"] == "extra_forbidden":
        parent = model
        for part in loc[:-1]:
            sub = parent.model_fields.get(part)
            ann = getattr(sub, "annotation", None)
            parent = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
            if parent is None:
                break
        known = sorted(parent.model_fields) if parent is not None else []
        problem = "unknown key" + (f"; known keys here: {', '.join(known)}" if known else "")
    elif e["type"] == "missing":
        problem = "is required but missing"
    elif e["type"] == "value_error":
        problem = e["msg"].removeprefix("Value error, ")
    else:
        problem = f"{e['msg']} (got {e.get('input')!r})"
    hit = next((o for o in overrides if o.partition("=")[0].strip() == key), None)
    return ConfigError(_where(path, hit), key, problem)


def read_yaml(path: str | Path) -> dict:
    """Read the YAML mapping of a config file; syntax errors name file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(None, "CONFIG", f"no such file: {path}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputFormatError(path, mark.line + 1 if mark else None, "valid YAML",
                               str(getattr(e, "problem", e))) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), "<top>", "the file must hold a mapping of keys")
    return data


def validate_config(data: dict, path: str | None = None,
                    overrides: list[str] | None = None) -> PipelineConfig:
    """Validate a merged YAML mapping against the run schema and the stage registry."""
    from .stages import get_registry

    overrides = overrides or []
    registry = get_registry()
    run_data = {k: v for k, v in data.items() if k not in registry}
    try:
        run = RunConfig.model_validate(run_data)
    except ValidationError as err:
        ce = _from_validation(err, "", RunConfig, path, overrides)
        if ce.problem.startswith("unknown key") and "." not in ce.key:
            known = sorted([*RunConfig.model_fields, *registry])
            ce = ConfigError(ce.path, ce.key, f"unknown key; known top-level keys: {', '.join(known)}")
        raise ce from None
    stages: dict[str, StageConfig] = {}
    for name, stage in registry.items():
        if name not in data:
            continue
        section = data[name]
        if section is None:
            section = {}
        if not isinstance(section, dict):
            raise ConfigError(_where(path, None), name,
                              f"a stage section must be a mapping, got {section!r}")
        try:
            stages[name] = stage.config_model.model_validate(section)
        except ValidationError as err:
            raise _from_validation(err, name, stage.config_model, path, overrides) from None
    return PipelineConfig(run=run, stages=stages, path=path, data=data)


def load_config(path: str | Path, overrides: list[str] | None = None) -> PipelineConfig:
    """Read, override and validate a pipeline config file."""
    overrides = list(overrides or [])
    data = apply_overrides(read_yaml(path), overrides, str(path))
    return validate_config(data, str(path), overrides)
