"""Which predictor labels the text: one model, translate-test, or an ensemble of them.

``selftrain predict`` (``--model`` repeated, ``--translate-test``, ``--translate-test-model``)
and the rounds driver (``SelfTrainConfig.teacher``) both build their predictor here:

* one ``--model``: the registry's predictor of that model;
* ``--translate-test BACKEND`` with one ``--model`` and no ``--translate-test-model``: that
  (source-language) model through translation (:mod:`.translate_test`);
* otherwise every ``--model`` predicts directly and ``--translate-test-model`` (if given)
  through translation, combined per word (:mod:`.ensemble`; ner and pos), per span by
  weighted votes (``--combine span``, :mod:`.span_vote`; ner), or per entity pair
  (:mod:`.relation_ensemble`; relation). ``--weight`` gives one weight
  per member in that order: the ``--model`` ones, then the ``--translate-test-model``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from ..errors import XlieError
from .tasks import Task, get_task, task_of_model
from .translate_test import TranslateTestPredictor, TranslateTestSpec


def teacher_task(models: Sequence[str | Path], tt_model: Optional[str | Path] = None) -> Task:
    """The one task of every model given (read from their small files, before loading)."""
    paths = [*models, *([tt_model] if tt_model is not None else [])]
    if not paths:
        raise XlieError("no model given", "pass --model (or --translate-test-model)")
    tasks = {str(p): task_of_model(p).name for p in paths}
    if len(set(tasks.values())) > 1:
        raise XlieError("the models given are of different tasks: " +
                        ", ".join(f"{p} ({t})" for p, t in tasks.items()),
                        "an ensemble combines models of one task")
    return get_task(next(iter(tasks.values())))


def build_predictor(models: Sequence[str | Path],
                    translate_test: Optional[TranslateTestSpec] = None,
                    tt_model: Optional[str | Path] = None, batch_size: int = 32,
                    feature_cache: Optional[dict] = None,
                    weights: Optional[Sequence[float]] = None,
                    dtype: Optional[str] = None,
                    combine: Optional[str] = None) -> tuple[Task, Any]:
    """The task and a predictor with ``.predict(sentences)`` (see the module doc).
    ``combine``: ``word`` (the default) or ``span``, for an ensemble."""
    if tt_model is not None and translate_test is None:
        raise XlieError("--translate-test-model needs a translation backend",
                        "pass --translate-test BACKEND (e.g. apertium) with -s and -t")
    task = teacher_task(models, tt_model)
    check_members(models, tt_model, weights, combine)
    if translate_test is not None and tt_model is None:
        if len(models) != 1:
            raise XlieError("translate-test with several --model: which one translates?",
                            "name it with --translate-test-model; the --model ones then "
                            "predict directly and all are ensembled")
        return task, TranslateTestPredictor(models[0], translate_test, batch_size)
    members: list[Any] = [task.load(m, batch_size, feature_cache, dtype) for m in models]
    if tt_model is not None:
        members.append(TranslateTestPredictor(tt_model, translate_test, batch_size))
    if len(members) == 1 and weights is None:
        return task, members[0]
    if task.name == "relation":
        if combine not in (None, "word"):
            raise XlieError(f"--combine {combine}: relation ensembles combine the pair's "
                            "label distributions", "leave out --combine")
        from .relation_ensemble import RelationEnsemble
        return task, RelationEnsemble(members, weights, batch_size)
    from .ensemble import EnsemblePredictor
    return task, EnsemblePredictor(members, task.name, weights, combine or "word")


def check_members(models: Sequence[str | Path], tt_model: Optional[str | Path],
                  weights: Optional[Sequence[float]], combine: Optional[str]) -> None:
    """Weights and the way to combine fit the ensemble's members (before any loading)."""
    order = [f"--model {m}" for m in models] + \
        ([f"--translate-test-model {tt_model}"] if tt_model is not None else [])
    if weights is not None and len(weights) != len(order):
        raise XlieError(f"{len(weights)} weights given for {len(order)} ensemble members",
                        "give one --weight per member, in this order: " + "; ".join(order))
    if weights is not None and any(w < 0 for w in weights):
        raise XlieError(f"a member's weight is negative: {list(weights)}",
                        "weights are non-negative numbers (0 leaves a member out)")
    if combine is not None and len(order) < 2:
        raise XlieError(f"--combine {combine} combines an ensemble; one model was given",
                        "give several --model (and/or --translate-test-model)")


def predictor_report(predictor: Any) -> Optional[dict]:
    """What a translate-test predictor (or an ensemble's) lost on the way, if any."""
    rep = getattr(predictor, "report", None)
    if rep is None:
        return None
    return rep.to_dict() if hasattr(rep, "to_dict") else (rep or None)
