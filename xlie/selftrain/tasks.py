"""The task registry: one entry per task (ner, pos, dep, relation, event), the one place a task is
read. Each entry says how to train its model, load a trained one, predict, keep confident
predictions as pseudo-labels, score, and strip its labels from text to be pseudo-labeled;
its settings model is ``config.TASK_SETTINGS[name]``. The CLI, the rounds driver, ``predict``
and the pipeline all go through :func:`get_task` (by name) or :func:`task_of_model` (by a
model directory), never through a task name of their own.

To add a task: its settings model in ``config.py`` (``TASK_SETTINGS``), a trainer that goes
through :func:`.fit.fit` with its own :class:`.loop.LoopTask`, and a :class:`Task` here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..corpus import Sentence
from ..errors import XlieError
from .config import TASK_NAMES, TASK_SETTINGS, SelectConfig, TrainSettings
from .modelcheck import NOT_A_MODEL, PARSER_CONFIG, tagger_task


@dataclass(frozen=True)
class Task:
    name: str
    what: str                                    # "tagger", "parser", "relation classifier"
    train: Callable                              # (source, out, config, silver=, dev=, test=,
                                                 #  init_model=, resume=, on_step=, pseudo=,
                                                 #  feature_cache=) -> TrainResult
    load: Callable[..., object]                  # (model_dir, batch_size, feature_cache,
                                                 #  dtype) -> a predictor: .predict(sentences)
    select: Callable[[list[Sentence], SelectConfig], tuple[list[Sentence], dict]]
    score: Callable[[list[Sentence], list[Sentence]], dict]   # gold, predicted (paired)
    unlabel: Callable[[Sentence], Sentence]      # the text without this task's labels
    owns: Callable[[Path], bool]                 # is this directory a model of this task
    formats: Optional[tuple[str, ...]] = None    # output formats that can hold the labels
    judge: Optional[Callable] = None             # (silver, teacher's predictions, threshold)
                                                 #  -> judged silver, counts (judge.py)

    @property
    def settings(self) -> type[TrainSettings]:
        return TASK_SETTINGS[self.name]


# --- the pieces of each entry (imports are late: reading a config loads no torch) ---------

def _train_tagger(*a, **kw):
    from .trainer import train_tagger
    return train_tagger(*a, **kw)


def _train_event(*a, **kw):
    from .event_task import train_event
    return train_event(*a, **kw)


def _event_predictor(*a, **kw):
    from .event_task import EventPredictor
    return EventPredictor(*a, **kw)


def _unlabel_event(sent: Sentence) -> Sentence:
    from .event_task import unlabel_event
    return unlabel_event(sent)


def _train_parser(*a, **kw):
    from .parser_train import train_parser_files
    return train_parser_files(*a, **kw)


def _judging(name: str, train_fn: Callable) -> Callable:
    """``train_fn`` with the silver judged first (``silver_judge: source``, judge.py) in a
    run that starts from the base encoder with silver and no pseudo-labels; self-training
    rounds after the first reuse round 0's judged silver (rounds.py)."""
    def train(source, out, config, silver=(), dev=None, test=None, init_model=None,
              resume: bool = True, on_step=None, pseudo=(), feature_cache=None):
        report = None
        if silver and config.silver_judge == "source" and not pseudo and init_model is None:
            from .judge import judged_silver
            silver, report = judged_silver(TASKS[name], source, silver, Path(out), config,
                                           dev, resume, feature_cache)
        result = train_fn(source, out, config, silver=silver, dev=dev, test=test,
                          init_model=init_model, resume=resume, on_step=on_step,
                          pseudo=pseudo, feature_cache=feature_cache)
        if report is not None and result.metrics.get("judge") != report:
            from ..fileio import atomic_write
            result.metrics["judge"] = report
            with atomic_write(Path(out) / "metrics.json") as f:
                json.dump(result.metrics, f, indent=1)
        return result
    return train


def _judge(kind: str) -> Callable:
    def judge(projected, predicted, threshold):
        from . import judge as j
        return (j.judge_trees if kind == "trees" else j.judge_tags)(projected, predicted,
                                                                   threshold)
    return judge


def _train_relation(*a, **kw):
    from .relation_train import train_relation
    return train_relation(*a, **kw)


class _TaggerPredictor:
    def __init__(self, path, batch_size: int = 32, feature_cache=None, dtype=None):
        from .predict import Tagger
        self.model = Tagger.load(path, batch_size=batch_size, dtype=dtype)

    def predict(self, sents: Sequence[Sentence]) -> list[Sentence]:
        return self.model.predict(sents)

    def fits(self, sent: Sentence) -> bool:   # long sentences are windowed
        return True


class _ParserPredictor:
    def __init__(self, path, batch_size: int = 16, feature_cache=None, dtype=None):
        from .parser import Parser
        self.model, self.batch_size = Parser.load(path, dtype), batch_size

    def predict(self, sents: Sequence[Sentence]) -> list[Sentence]:
        long = [s.id for s in sents if not self.model.fits(s)]
        if long:
            raise XlieError(f"{len(long)} sentences are longer than the parser's "
                            f"{self.model.max_length} subwords (first: {long[0]})",
                            "split them before parsing")
        return self.model.predict(sents, self.batch_size)

    def fits(self, sent: Sentence) -> bool:
        return self.model.fits(sent)


class _RelationPredictor:
    def __init__(self, path, batch_size: int = 32, feature_cache=None, dtype=None):
        from .frozen import encoder_layers
        from .relation import RelationClassifier
        self.model, self.batch_size = RelationClassifier.load(path, dtype), batch_size
        k = self.model.frozen_layers   # frozen in training: their states may come from a cache
        if (feature_cache is not None and k and dtype in (None, "fp32")
                and k <= len(encoder_layers(self.model.model.encoder))):
            self.model.model.freeze_lower(k, self.model.tokenizer.pad_token_id or 0, feature_cache)

    def predict(self, sents: Sequence[Sentence]) -> list[Sentence]:
        return self.model.predict(sents, self.batch_size)


def _select_tags(task: str):
    def select(pred, sel):
        from .pseudo import select_pseudo_labels
        return select_pseudo_labels(pred, task, sel)
    return select


def _select_arcs(pred, sel):
    from .parser_train import select_arcs
    return select_arcs(pred, sel)


def _select_pairs(pred, sel):
    from .relation_train import select_pairs
    return select_pairs(pred, sel)


def _scorer(name: str):
    def score(gold, pred):
        from .. import scoring
        gold = list(gold)
        if name == "dep" and not any(h is not None for g in gold for h in g.heads or []):
            return "nothing to score: no input sentence has gold heads"
        if name == "relation" and not any(g.relations for g in gold):
            return "nothing to score: no input sentence has a gold relation"
        if name == "event" and not any(g.spans for g in gold):
            return "nothing to score: no input sentence has a gold event"
        pairs = scoring.pair_sentences(list(gold), list(pred))
        if name == "event":
            from ..scoring_events import score_events
            return score_events(pairs)
        return {"ner": scoring.score_ner, "pos": scoring.score_pos, "dep": scoring.score_dep,
                "relation": scoring.score_relations}[name](pairs)
    return score


def _tagger_dir(task: str) -> Callable[[Path], bool]:
    return lambda path: tagger_task(path) == task


def _has(name: str) -> Callable[[Path], bool]:
    return lambda path: (Path(path) / name).is_file()


TASKS: dict[str, Task] = {
    "ner": Task("ner", "tagger", _train_tagger, _TaggerPredictor, _select_tags("ner"),
                _scorer("ner"), lambda s: s.model_copy(update={"spans": []}),
                _tagger_dir("ner"), ("jsonl", "conll", "docbin")),
    "pos": Task("pos", "tagger", _judging("pos", _train_tagger), _TaggerPredictor,
                _select_tags("pos"), _scorer("pos"), lambda s: s.model_copy(update={"tags": None}),
                _tagger_dir("pos"), ("jsonl", "conllu", "docbin"), _judge("tags")),
    "dep": Task("dep", "parser", _judging("dep", _train_parser), _ParserPredictor,
                _select_arcs, _scorer("dep"),
                lambda s: s.model_copy(update={"heads": None, "deprels": None,
                                               "arc_scores": None}),
                _has(PARSER_CONFIG), ("jsonl", "conllu"), _judge("trees")),
    "relation": Task("relation", "relation classifier", _train_relation, _RelationPredictor,
                     _select_pairs, _scorer("relation"),
                     lambda s: s.model_copy(update={"relations": []}),
                     _has("xlie-relation.json"), ("jsonl", "relx")),
    # event triggers: the span tagger over the spans a sentence's `events` name as triggers,
    # labelled by class (TimeML's seven); scored as triggers and trigger + class; where the
    # events name arguments, an argument head on its encoder too (event_task.py)
    "event": Task("event", "tagger", _train_event, _event_predictor, _select_tags("event"),
                  _scorer("event"), _unlabel_event,
                  _tagger_dir("event"), ("jsonl", "conll", "timeml", "docbin")),
}
assert set(TASKS) == set(TASK_NAMES) == set(TASK_SETTINGS)


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise XlieError(f"unknown task {name!r}", f"choose one of: {', '.join(TASKS)}")
    return TASKS[name]


def task_of_model(path: str | Path) -> Task:
    """The task of a trained model directory (what `xlie selftrain train` wrote)."""
    path = Path(path)
    if not path.is_dir():
        raise XlieError(f"{path}: no such model directory",
                        "give the model/ directory that `xlie selftrain train` wrote")
    for task in TASKS.values():
        if task.owns(path):
            return task
    raise XlieError(f"{path} is not a trained tagger, parser or relation classifier (no "
                    f"tagger labels, no parser.json, no xlie-relation.json: a plain encoder?)",
                    NOT_A_MODEL)


def train(source, out, config: TrainSettings, silver=(), dev=None, test=None, init_model=None,
          resume: bool = True, on_step=None, pseudo=(), feature_cache: Optional[dict] = None):
    """Train the model of ``config.task`` in ``out`` (``xlie.selftrain.train``); returns its
    directory and metrics (:class:`.trainer.TrainResult`)."""
    return get_task(config.task).train(source, out, config, silver=silver, dev=dev, test=test,
                                       init_model=init_model, resume=resume, on_step=on_step,
                                       pseudo=pseudo, feature_cache=feature_cache)
