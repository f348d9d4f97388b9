"""Stage contracts: what each stage needs, what it provides, and how it runs.

Artifacts are named capabilities of the data a stage reads or writes:

    corpus       source sentences with annotations        (the input always provides it)
    translation  records carry `translation`               (translate; or a parallel input)
    alignment    records carry `alignment`                 (align; or an aligned input)
    silver       the projected target-language corpus      (project)
    tagger       a trained token-classification model      (selftrain)

The stages a run knows are given to it explicitly (``pipeline/registry.py`` lists the
built-in ones); nothing registers itself on import.

A *batch* stage maps JSONL records to JSONL records with ``process_batch(state, records)``
after a one-off ``setup(config, context)`` (loading a model); the runner shards its input and
an engine (local or Ray) maps the same function over the shards. A *whole* stage gets a
:class:`StageContext` and writes its outputs into ``context.out_dir`` itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from pydantic import Field

from ..config import Settings
from ..errors import UnknownNameError, XlieError


class StageConfig(Settings):
    """Base of every stage section."""
    enabled: bool = True


class BatchStageConfig(StageConfig):
    batch_size: int = Field(32, ge=1)


@dataclass
class BatchResult:
    """Records out of one batch, and counts to sum into the stage manifest."""
    records: list[dict]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class StageContext:
    """What a stage sees of the run: its inputs by artifact, its output folder, settings."""
    name: str
    config: StageConfig
    inputs: dict[str, Path]
    out_dir: Path
    seed: int = 0
    src_lang: Optional[str] = None
    tgt_lang: Optional[str] = None
    eval_gold: Optional[Path] = None
    eval_test: Optional[Path] = None
    engine: str = "local"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    name: str
    order: int                      # place in the chain; the folder is f"{order:02d}-{name}"
    needs: tuple[str, ...]
    provides: tuple[str, ...]
    config_model: type[StageConfig]
    outputs: dict[str, str]         # artifact -> file (or folder) name inside the stage folder
    setup: Optional[Callable[[StageConfig, StageContext], Any]] = None
    process_batch: Optional[Callable[[Any, list[dict]], BatchResult]] = None
    run: Optional[Callable[[StageContext], dict]] = None
    # after a batch stage's output is complete: metrics from it (e.g. F1 against gold)
    finalize: Optional[Callable[[StageContext, Path], dict]] = None
    # before anything is written: check settings against what the stage will load (a
    # model's depth, say); returns {key: problem} for the keys that cannot work
    check: Optional[Callable[[StageConfig], dict[str, str]]] = None
    description: str = ""

    @property
    def dirname(self) -> str:
        return f"{self.order:02d}-{self.name}"

    @property
    def is_batch(self) -> bool:
        return self.process_batch is not None

    def __post_init__(self):
        if self.is_batch == (self.run is not None):
            raise ValueError(f"stage {self.name}: give either process_batch or run")
        if self.is_batch and len(self.outputs) != 1:
            raise ValueError(f"batch stage {self.name} writes exactly one output file")
        if set(self.outputs) != set(self.provides):
            raise ValueError(f"stage {self.name}: outputs must name each provided artifact")


def stage_map(stages: Iterable[Stage]) -> dict[str, Stage]:
    """Stages by name, in chain order; names and places in the chain must be unique."""
    out: dict[str, Stage] = {}
    for st in sorted(stages, key=lambda st: st.order):
        if st.name in out or any(o.order == st.order for o in out.values()):
            raise ValueError(f"stage {st.name!r} (order {st.order}) clashes with another stage")
        out[st.name] = st
    return out


class ChainError(XlieError):
    """The enabled stages do not form a chain from what the input provides."""


@dataclass
class Plan:
    """The stages to run, in order, and where each needed artifact comes from."""
    stages: list[Stage]
    sources: dict[str, dict[str, str]]  # stage -> artifact -> "input" | producing stage name


def plan_chain(reg: dict[str, Stage], enabled: list[str], input_provides: set[str],
               start: str | None = None, until: str | None = None,
               done: set[str] | None = None) -> Plan:
    """Check before running anything that every selected stage's needs are met: by the
    input, by an earlier selected stage, or (before ``start``) by a finished stage.
    ``reg``: the stages of the run (:func:`stage_map`)."""
    for name in (start, until):
        if name is not None and name not in reg:
            raise UnknownNameError("stage", name, reg)
    done = done or set()
    order = [reg[n] for n in reg if n in enabled]
    lo = reg[start].order if start else -1
    hi = reg[until].order if until else 10 ** 9
    if lo > hi:
        raise ChainError(f"--from {start} comes after --until {until}",
                         "the stages run in the order " + " -> ".join(reg))
    avail = {a: "input" for a in input_provides}
    selected, sources = [], {}
    for st in order:
        if st.order < lo:  # before --from: its finished output is used as it is
            if st.name in done:
                avail.update({a: st.name for a in st.provides})
            continue
        if st.order > hi:
            break
        missing = [a for a in st.needs if a not in avail]
        if missing:
            raise ChainError(_missing_message(st, missing, input_provides, reg, lo, done),
                             _missing_hint(missing, reg, enabled))
        sources[st.name] = {a: avail[a] for a in st.needs}
        avail.update({a: st.name for a in st.provides})
        selected.append(st)
    if not selected:
        raise ChainError("no stage to run", "add a stage section to the config (e.g. `align: {}`) "
                                            "or widen --from/--until")
    return Plan(selected, sources)


def _missing_message(st: Stage, missing, input_provides, reg, lo, done) -> str:
    what = ", ".join(repr(a) for a in missing)
    have = ", ".join(sorted(input_provides)) or "nothing"
    msg = f"stage {st.name!r} needs {what}, which no earlier stage provides (the input provides: {have})"
    skipped = [s for s in reg.values() if s.order < lo and set(missing) & set(s.provides)
               and s.name not in done]
    if skipped:
        msg += f"; {skipped[0].name!r} is before --from and has not finished"
    return msg


def _missing_hint(missing, reg, enabled) -> str:
    producers = [s.name for s in reg.values() if set(missing) & set(s.provides)]
    if producers:
        return (f"enable the stage that provides it ({', '.join(producers)}), or give an input "
                "corpus that already has it")
    return "give an input corpus that already has it"
