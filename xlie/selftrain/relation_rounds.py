"""Self-training rounds for the relation classifier (``xlie selftrain run --task relation``).

Round 0 trains on source gold + silver; each later round classifies the marked pairs of the
unlabeled target text with the previous classifier, keeps the confident predictions (the
``select`` settings: a score threshold, or the most confident share of each label) and
trains again on source + silver + those pairs. Every round's frozen lower layers are the
same, so their states are computed once for the whole run.

    RUN/round-0/model/, metrics.json
    RUN/round-1/pseudo.jsonl, selection.json, model/, metrics.json
    RUN/summary.json
"""
from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from ..fileio import atomic_write
from .config import SelectConfig, SelfTrainConfig
from .relation import RelationClassifier, _read, directed_label, train_relation

Paths = Sequence[str | Path]


def select_pairs(pred: Sequence[Sentence], select: SelectConfig) -> tuple[list[Sentence], dict]:
    """The predicted pairs kept as pseudo-labels, and how many of each label were kept."""
    scored = [s for s in pred if s.relations and s.relations[0].get("score") is not None]
    if select.mode == "threshold":
        kept = [s for s in scored if s.relations[0]["score"] >= select.threshold]
    else:  # the most confident share of each label, so rare labels are not starved
        by: dict[str, list[Sentence]] = defaultdict(list)
        for s in scored:
            by[directed_label(s)].append(s)
        kept = []
        for group in by.values():
            group.sort(key=lambda s: -s.relations[0]["score"])
            kept += group[:math.ceil(select.top_fraction * len(group))]
    return kept, {"candidates": len(scored), "kept": len(kept),
                  "per_label": dict(Counter(directed_label(s) for s in kept).most_common())}


def self_train_relation(source: Paths, unlabeled: Paths, run_dir: str | Path,
                        config: SelfTrainConfig, silver: Paths = (),
                        dev: Optional[str | Path] = None, test: Optional[str | Path] = None,
                        feature_cache: Optional[dict] = None) -> dict:
    """Round 0 on source + silver, then ``config.rounds`` rounds on confident predictions
    over ``unlabeled`` (their own relations, if any, are ignored). ``init: previous`` goes
    on from the previous round's classifier (for ``round_epochs``), ``base`` starts anew."""
    from ..formats.jsonl import write_jsonl
    run_dir = Path(run_dir)
    cache = {} if feature_cache is None else feature_cache
    text = [s.model_copy(update={"relations": []}) for s in _read(unlabeled)]
    model_dir, m = train_relation(source, run_dir / "round-0", config.train, silver, dev, test,
                                  feature_cache=cache)
    rounds = [{"round": 0, "best_dev": m["best"], "epochs": m["epochs"], "data": m["data"],
               "test": m.get("test")}]
    for k in range(1, config.rounds + 1):
        out = run_dir / f"round-{k}"
        clf = RelationClassifier.load(model_dir)
        clf.model.freeze_lower(m["frozen_layers"], clf.tokenizer.pad_token_id or 0, cache)
        pseudo, stats = select_pairs(clf.predict(text, config.train.batch_predict),
                                     config.select_for(k))
        out.mkdir(parents=True, exist_ok=True)
        write_jsonl(out / "pseudo.jsonl", pseudo, *unlabeled)
        with atomic_write(out / "selection.json") as f:
            json.dump(stats, f, indent=1)
        cfg = config.train
        if config.round_epochs:
            cfg = cfg.model_copy(update={"epochs": config.round_epochs})
        model_dir, m = train_relation(source, out, cfg, silver if config.keep_silver else (),
                                      dev, test, feature_cache=cache, pseudo=pseudo,
                                      init_model=model_dir if config.init == "previous" else None)
        rounds.append({"round": k, "best_dev": m["best"], "epochs": m["epochs"],
                       "data": m["data"], "test": m.get("test"), "selection": stats})
    summary = {"rounds": rounds, "final_model": os.path.relpath(model_dir, run_dir),
               "config": config.model_dump()}
    with atomic_write(run_dir / "summary.json") as f:
        json.dump(summary, f, indent=1)
    return summary
