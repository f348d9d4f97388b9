"""A teacher judges projected silver before a model trains on it.

Projected trees are right where the alignment and the two languages' structures agree, and
wrong in a systematic way elsewhere. A parser trained on English gold alone is often better
than the projection on the target language (issue 34: LAS 74.5 zero-shot against silver
trees at 57.7), and then every projected arc that it confidently contradicts is more likely
the projection's error than its own. So the silver that trains is:

- a projected arc that the teacher agrees with, or is unsure about (its own head's
  probability under ``threshold``): kept;
- a projected arc that the teacher confidently contradicts: replaced by the teacher's arc;
- a word the projection left without an arc, where the teacher is confident: the teacher's
  arc (projection leaves 15-30% of the words out).

Where the zero-shot model is weak and knows it, it is seldom confident, and the projection
stands; where it is weak and does not know it (confidently wrong), it overrules more
projected labels than it confirms, and is not used at all (:func:`trusted`). POS
tags are judged the same way, word by word (``tag_scores`` for the arc scores).

:func:`judged_silver` runs it for any task with a ``judge`` in the registry: the judge is the
task's own model trained with the same settings on the source alone, in ``OUT/judge``.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from ..errors import XlieError
from ..fileio import atomic_write

JUDGED_SILVER, JUDGE_REPORT = "silver-judged.jsonl", "judge.json"
log = logging.getLogger(__name__)


DECISIONS = ("agreed", "kept_unsure", "replaced", "filled", "left_out")


def _take_teachers(mine: Sequence, theirs: Sequence, scores: Sequence[float], threshold: float,
                   counts: Counter) -> list[bool]:
    """Per word, whether the teacher's label replaces the projected one (None: no label),
    each decision counted."""
    take = []
    for m, t, p in zip(mine, theirs, scores):
        sure = p >= threshold
        decision = (("filled" if sure else "left_out") if m is None else "agreed" if m == t
                    else "replaced" if sure else "kept_unsure")
        counts[decision] += 1
        take.append(decision in ("filled", "replaced"))
    return take


def _report(counts: Counter, threshold: float, sentences: int) -> dict:
    projected = counts["agreed"] + counts["replaced"] + counts["kept_unsure"]
    return {"threshold": threshold, "sentences": sentences, **dict(counts),
            "projected": projected, "labeled": projected + counts["filled"]}


def _same_length(projected: Sequence, predicted: Sequence) -> None:
    if len(projected) != len(predicted):
        raise XlieError(f"{len(predicted)} teacher predictions for {len(projected)} silver "
                        "sentences", "judge the silver with the teacher's predictions of the "
                        "same sentences")


def judge_trees(projected: Sequence[Sentence], predicted: Sequence[Sentence],
                threshold: float) -> tuple[list[Sentence], dict]:
    """The silver trees after the teacher's verdicts (see the module), and the count of each
    decision; ``predicted`` are the teacher's trees of the same sentences, with
    ``arc_scores``. A word keeps its projected relation where its head stands."""
    _same_length(projected, predicted)
    counts: Counter = Counter(dict.fromkeys(DECISIONS, 0))
    out = []
    for silver, teacher in zip(projected, predicted):
        n = len(silver.tokens)
        heads, rels = list(silver.heads or [None] * n), list(silver.deprels or ["_"] * n)
        scores = list(silver.arc_scores or [None] * n)
        for i, take in enumerate(_take_teachers(heads, teacher.heads, teacher.arc_scores,
                                                threshold, counts)):
            if take:
                heads[i], rels[i], scores[i] = (teacher.heads[i], teacher.deprels[i],
                                                teacher.arc_scores[i])
        out.append(silver.model_copy(update={"heads": heads, "deprels": rels,
                                             "arc_scores": scores}))
    return out, _report(counts, threshold, len(out))


def judge_tags(projected: Sequence[Sentence], predicted: Sequence[Sentence],
               threshold: float) -> tuple[list[Sentence], dict]:
    """The same verdicts for POS tags (``_``: a word without a projected tag), with the
    teacher's ``tag_scores``."""
    _same_length(projected, predicted)
    counts: Counter = Counter(dict.fromkeys(DECISIONS, 0))
    out = []
    for silver, teacher in zip(projected, predicted):
        mine = [None if t in (None, "_") else t for t in silver.tags or [None] * len(silver.tokens)]
        take = _take_teachers(mine, teacher.tags, teacher.tag_scores, threshold, counts)
        tags = [t if yes else (m if m is not None else "_")
                for m, t, yes in zip(mine, teacher.tags, take)]
        out.append(silver.model_copy(update={"tags": tags}))
    return out, _report(counts, threshold, len(out))


def trusted(counts: dict) -> bool:
    """Is the judge fit to judge? A model that is good on the target language agrees with
    most of the projected labels that are right, and those are most of them (PUD de and es:
    it confirms 3-4 for each one it overrules); a model that is confidently wrong on the
    target language (PUD zh: zero-shot LAS 6) overrules more than it confirms. No setting:
    a judge that contradicts the projection more often than it confirms it is not used."""
    return counts["agreed"] >= counts["replaced"]


def judged_silver(task, source, silver, out: Path, config, dev, resume: bool,
                  feature_cache: Optional[dict]) -> tuple[list[Path], dict]:
    """Train the judge in ``OUT/judge``, judge the silver and write it to
    ``OUT/silver-judged.jsonl`` (the counts to ``OUT/judge.json``); a resumed run reads them
    back if they were made at the same threshold. Silver sentences the judge cannot take in
    one piece (too long for the parser) pass unjudged."""
    from ..formats.jsonl import write_jsonl
    from .data import read_all
    path, report_path = out / JUDGED_SILVER, out / JUDGE_REPORT
    if resume and path.exists() and report_path.exists():
        done = json.loads(report_path.read_text(encoding="utf-8"))
        if done.get("threshold") == config.judge_threshold:   # else judged again
            return [path], done
    trained = task.train(source, out / "judge", config, dev=dev, resume=resume,
                         feature_cache=feature_cache)
    model = task.load(trained.model_dir, config.batch_predict, feature_cache)
    sents = read_all(silver)
    fit = [model.fits(s) for s in sents]
    fits = [s for s, ok in zip(sents, fit) if ok]
    verdicts, report = task.judge(fits, model.predict([task.unlabel(s) for s in fits]),
                                  config.judge_threshold)
    report["trusted"] = trusted(report)
    if not report["trusted"]:   # the projection as it is
        log.warning("silver judge: the source-only model confirms %d projected labels and "
                    "confidently contradicts %d; a judge that overrules more than it confirms "
                    "is not trusted, so the silver trains as projected", report["agreed"],
                    report["replaced"])
        verdicts = fits
    verdict = iter(verdicts)
    judged = [next(verdict) if ok else s for s, ok in zip(sents, fit)]
    report.update(unjudged_too_long=len(sents) - len(fits), judge="judge", silver=JUDGED_SILVER)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(path, judged, *silver)
    with atomic_write(report_path) as f:
        json.dump(report, f, indent=1)
    return [path], report
