"""The event task's entry points for the registry (``tasks.py``): train the trigger tagger
and, when the training events name arguments, the argument head on its encoder
(:mod:`.event_args_train`); predict triggers and fill their arguments; strip event labels.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..corpus import Sentence
from ..fileio import atomic_write
from .event_args import META, EventArguments, mentions


def train_event(source, out, config, silver=(), dev=None, test=None, **kw):
    """The trigger tagger (``trainer.train_tagger``), then the argument head where the
    source or silver events name arguments; ``metrics.json`` gains ``arguments``."""
    from .data import read_all
    from .event_args_train import dev_report, has_arguments, train_arguments
    from .predict import Tagger
    from .trainer import train_tagger
    result = train_tagger(source, out, config, silver=silver, dev=dev, test=test, **kw)
    if (result.model_dir / META).is_file():      # trained before (a resumed or finished run)
        return result
    sents = read_all([*source, *silver])
    if not has_arguments(sents):
        return result
    tagger = Tagger.load(result.model_dir, batch_size=config.batch_predict)
    args, info = train_arguments(tagger, sents, seed=config.seed)
    info["dev_gold_triggers"] = dev_report(tagger, args, read_all([dev]) if dev else None)
    args.save(result.model_dir, tagger.model.config.hidden_size, {"trained": info})
    if test:
        from ..scoring_events import score_events
        gold = read_all([test])
        pred = EventPredictor(result.model_dir, config.batch_predict).predict(
            [unlabel_event(s) for s in gold])
        scores = score_events(list(zip(gold, pred)))
        info["test"] = {k: scores[k] for k in ("argument", "argument_class") if k in scores}
    result.metrics["arguments"] = info
    with atomic_write(Path(out) / "metrics.json") as f:
        json.dump(result.metrics, f, indent=1)
    return result


class EventPredictor:
    """The trigger tagger (``.model``, as the other taggers' predictors: an ensemble reads
    it, and then gives triggers only), plus the argument head where the model directory has
    one."""

    def __init__(self, path, batch_size: int = 32, feature_cache=None, dtype=None):
        from .predict import Tagger
        self.model = Tagger.load(path, batch_size=batch_size, dtype=dtype)
        self.args = EventArguments.load(path)

    def predict(self, sents: Sequence[Sentence]) -> list[Sentence]:
        sents = list(sents)
        pred = self.model.predict(sents)
        if self.args is None:
            return pred
        return self.args.fill(self.model, list(zip(sents, pred)))


def unlabel_event(sent: Sentence) -> Sentence:
    """The text without its events: triggers and ``events`` go, the mentions (candidate
    arguments) stay. A sentence with no ``events`` list loses every span (all triggers)."""
    keep = ([s.model_copy(update={"id": i}) for i, s in mentions(sent)]
            if getattr(sent, "events", None) is not None else [])
    return sent.model_copy(update={"spans": keep, "events": []})
