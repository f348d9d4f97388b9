"""Settings of every stage: read YAML, apply ``--set KEY=VALUE`` overrides, validate.

Each stage's settings are one pydantic model derived from :class:`Settings` (unknown keys
are errors). The pipeline (``xlie run``), ``xlie align train``, ``xlie selftrain`` and
``xlie project --set`` all load through :func:`load_settings` or its parts, so a bad key
reads the same everywhere: the dotted key, the file (and the ``--set`` item when an
override put it there), and, for an unknown key, the keys known at that place::

    configs/demo.yaml (--set align.layr=6): config key 'align.layr': unknown key; known keys
    here: band, batch_size, ...

Override values are read as YAML (``1e-5``, ``true``, ``null``, ``[a, b]``); an empty value
is ``null``.
"""
from __future__ import annotations

import copy
import typing
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Tag, ValidationError, field_validator

from .errors import ConfigError, InputFormatError

S = TypeVar("S", bound=BaseModel)


class Settings(BaseModel):
    """Base of every settings model: unknown keys are errors."""
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


def check_choice(kind: str, name: Optional[str], known: Iterable[str]) -> Optional[str]:
    """A field validator's check of a component name against its registry: an unknown name
    raises ValueError, which pydantic (and :func:`config_error`) turn into an error on the
    key that lists the known names."""
    if name is None:
        return name
    known = sorted(known)
    if name not in known:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(known)}")
    return name


def choice_validator(field: str, kind: str, known: Iterable[str] | Callable[[], Iterable[str]]):
    """A pydantic validator of ``field`` through :func:`check_choice`; ``known`` may be a
    function, called on first use, so a registry that loads heavy modules is read late::

        _backend = choice_validator("backend", "translation backend", lambda: BACKENDS)
    """
    def check(cls, v):
        return check_choice(kind, v, known() if callable(known) else known)
    return field_validator(field)(check)


def read_yaml(path: str | Path) -> dict:
    """Read the YAML mapping of a config file; syntax errors name the file and line."""
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


def set_key(data: dict, key: str, value: Any, where: str | None = None) -> None:
    """Set a dotted key in ``data`` in place; missing sections are created."""
    node = data
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(where, ".".join(parts[:i + 1]),
                              f"is a value ({nxt!r}), not a section")
        node = nxt
    node[parts[-1]] = value


def apply_overrides(data: dict, overrides: Iterable[str], path: str | None = None) -> dict:
    """A copy of ``data`` with each ``KEY=VALUE`` override set."""
    data = copy.deepcopy(data)
    for item in overrides:
        key, value = parse_override(item)
        set_key(data, key, value, where(path, item))
    return data


def where(path: str | None, override: str | None) -> str | None:
    """How an error names its origin: the file, the ``--set`` item, or both."""
    if override:
        return f"{path} (--set {override})" if path else f"--set {override}"
    return path


def _model_of(annotation: Any) -> Optional[type[BaseModel]]:
    """The settings model inside an annotation (``X``, ``Optional[X]``, ``list[X]``...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _tagged_models(annotation: Any) -> dict[str, type[BaseModel]]:
    """Tag -> model of a discriminated union (``Annotated[Union[Annotated[M, Tag(t)], ...],
    Discriminator(...)]``); empty for any other annotation."""
    found: dict[str, type[BaseModel]] = {}
    for arg in typing.get_args(annotation):
        meta = getattr(arg, "__metadata__", ())
        tag = next((m.tag for m in meta if isinstance(m, Tag)), None)
        model = _model_of(arg)
        if tag is not None and model is not None:
            found[tag] = model
        else:
            found.update(_tagged_models(arg))
    return found


def resolve_loc(model: type[BaseModel], loc: Iterable[str | int]) -> tuple[list[str | int],
                                                                          Optional[type[BaseModel]]]:
    """``loc`` without the tags pydantic puts in it for a discriminated union (a user never
    writes them), and the settings model at its end (None past a plain value)."""
    parent: Optional[type[BaseModel]] = model
    clean: list[str | int] = []
    pending: dict[str, type[BaseModel]] = {}
    for part in loc:
        if str(part) in pending:
            parent, pending = pending[str(part)], {}
            continue
        clean.append(part)
        if isinstance(part, int) or str(part).isdigit():
            continue  # an item of a list of sections
        field = parent.model_fields.get(str(part)) if parent is not None else None
        pending = _tagged_models(field.annotation) if field is not None else {}
        parent = _model_of(field.annotation) if field is not None else None
    return clean, parent


def union_models(model: type[BaseModel], loc: Iterable[str | int]) -> list[type[BaseModel]]:
    """The models of the discriminated union that ``loc`` (as pydantic gives it) passes
    last: the other choices of a tagged section, e.g. the other tasks' settings."""
    parent: Optional[type[BaseModel]] = model
    found: list[type[BaseModel]] = []
    pending: dict[str, type[BaseModel]] = {}
    for part in loc:
        if str(part) in pending:
            found, parent, pending = list(pending.values()), pending[str(part)], {}
            continue
        if isinstance(part, int) or str(part).isdigit():
            continue
        field = parent.model_fields.get(str(part)) if parent is not None else None
        pending = _tagged_models(field.annotation) if field is not None else {}
        parent = _model_of(field.annotation) if field is not None else None
    return found


def known_keys(model: type[BaseModel], loc: Iterable[str | int]) -> list[str]:
    """The keys a settings model accepts at the section ``loc`` (empty if not a section)."""
    parent = resolve_loc(model, loc)[1]
    return sorted(parent.model_fields) if parent is not None else []


def config_error(err: ValidationError, model: type[BaseModel], path: str | None = None,
                 overrides: Iterable[str] = (), prefix: str = "") -> ConfigError:
    """The first pydantic error as a :class:`ConfigError` naming the dotted key, the file
    (and the override that set it) and, for an unknown key, the keys known there."""
    e = err.errors()[0]
    loc, _ = resolve_loc(model, e["loc"])
    parts = [str(p) for p in loc]
    key = ".".join([prefix, *parts] if prefix else parts) or prefix or "<top>"
    if e["type"] == "extra_forbidden":
        section = resolve_loc(model, e["loc"][:-1])[1]
        known = sorted(section.model_fields) if section is not None else []
        kind = getattr(section, "kind", None)
        others = {k for m in union_models(model, e["loc"][:-1]) for k in m.model_fields}
        problem = (f"not a setting of {kind}" if kind and parts[-1] in others
                   else "unknown key")
        problem += f"; known keys here: {', '.join(known)}" if known else ""
    elif e["type"] == "missing":
        problem = "is required but missing"
    elif e["type"] == "value_error":
        problem = e["msg"].removeprefix("Value error, ")
    else:
        problem = f"{e['msg']} (got {e.get('input')!r})"
    hit = _override_of(key, overrides)
    return ConfigError(where(path, hit), key, problem)


def _override_of(key: str, overrides: Iterable[str]) -> Optional[str]:
    """The ``--set`` item that set ``key``, or a key inside it (``--set nosuch.key=1`` makes
    the unknown section ``nosuch``), or a section holding it; the last one wins, as it did."""
    hit = None
    for item in overrides:
        k = item.partition("=")[0].strip()
        if k == key or k.startswith(key + ".") or key.startswith(k + "."):
            hit = item
    return hit


def validate_settings(model: type[S], data: dict, path: str | None = None,
                      overrides: Iterable[str] = (), prefix: str = "") -> S:
    """``model`` validated from ``data``; errors as :func:`config_error` words them."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise config_error(err, model, path, list(overrides), prefix) from None


def load_settings(model: type[S], path: str | Path | None = None,
                  overrides: Iterable[str] | None = None, base: dict | None = None, *,
                  values: dict[str, Any] | None = None, section: str | None = None) -> S:
    """Settings from, in this order: ``base``, the YAML file ``path`` (its ``section`` when
    the file has one), ``values`` that are not None (a command's own options), then the
    ``--set`` ``overrides``."""
    overrides = list(overrides or [])
    source = str(path) if path is not None else None
    data: dict = copy.deepcopy(base or {})
    if path is not None:
        loaded = read_yaml(path)
        if section and isinstance(loaded.get(section), dict):
            loaded = loaded[section]
        data.update(loaded)
    for key, value in (values or {}).items():
        if value is not None:
            set_key(data, key, value, source)
    data = apply_overrides(data, overrides, source)
    return validate_settings(model, data, source, overrides)
