"""Read a pipeline run directory into one typed summary for the report page.

It reads only files: each ``NN-stage/manifest.json`` (counts, times, config), the stage
outputs (translations, links, silver data) and every ``metrics.json`` a training wrote. It
imports nothing of ``xlie.pipeline``, so the runner can write the report without a circle.
Large corpora are read up to ``limit`` records; the page says so.
"""
from __future__ import annotations

import json
import platform
import re
from collections import Counter, defaultdict
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Iterator, Optional

from ..errors import XlieError
from .summary import LIMIT, RunSummary, SentenceCase, StageInfo, TrainingRun

STAGE_DIR = re.compile(r"^(\d\d)-([A-Za-z0-9_]+)$")
PACKAGES = ("xlie", "torch", "transformers", "accelerate", "tokenizers", "numpy", "matplotlib")


def _records(path: Path, limit: Optional[int] = LIMIT) -> Iterator[dict]:
    from ..formats.jsonl import read_jsonl
    for _, rec in islice(read_jsonl(path), limit):
        yield rec


def _versions(stages: list[StageInfo]) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    ran = sorted({s.version for s in stages if s.version})
    if ran:
        out["xlie (stages ran with)"] = ", ".join(ran)
    return out


def _manifest(path: Path) -> dict:
    """A stage's manifest: a JSON object, else an error naming the file and line."""
    from ..errors import InputFormatError
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputFormatError(path, e.lineno, "a stage manifest (a JSON object)", e.msg,
                               hint="the stage did not finish writing it: run the config "
                               "again (xlie run) to redo that stage") from None
    if not isinstance(man, dict):
        raise InputFormatError(path, 1, "a stage manifest (a JSON object)",
                               type(man).__name__, hint="run the config again (xlie run)")
    return man


def read_files(run_dir: str | Path) -> list[Path]:
    """Every file the report may read: the run's config, each stage folder's files and
    the gold files its manifests name (none of them may become the report)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    out = [run_dir / "config.yaml"]
    for p in sorted(run_dir.iterdir()):
        if STAGE_DIR.match(p.name) and p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file()]
            man = p / "manifest.json"
            try:
                inputs = json.loads(man.read_text(encoding="utf-8")).get("inputs", {})
                out += [Path(v["path"]) for v in inputs.values()
                        if isinstance(v, dict) and v.get("path")]
            except (OSError, ValueError, AttributeError):
                continue   # no manifest yet, or a broken one (collect names it)
    return out


def read_stages(run_dir: Path) -> list[StageInfo]:
    """Every ``NN-name`` folder of the run, in order, with its manifest when it is done."""
    out = []
    for p in sorted(run_dir.iterdir()):
        m = STAGE_DIR.match(p.name)
        if not (m and p.is_dir()):
            continue
        man_path = p / "manifest.json"
        done = (p / "DONE").exists() and man_path.exists()
        if not done:
            out.append(StageInfo(m.group(2), p.name, False))
            continue
        man = _manifest(man_path)
        t = man.get("timings", {})
        out.append(StageInfo(man.get("stage", m.group(2)), p.name, True, t.get("seconds"),
                             t.get("cpu_seconds"), t.get("finished"), man.get("counts", {}),
                             man.get("metrics", {}),
                             {k: v.get("path", "") for k, v in man.get("inputs", {}).items()},
                             man.get("xlie_version")))
    return out


def _mt(summary: RunSummary, path: Path) -> None:
    """Unknown-word marks of the translations (Apertium's ``*``, ``@``, ``#``)."""
    tokens, marks, words, n = 0, Counter(), Counter(), 0
    recorded = False
    for rec in _records(path, summary.limit):
        n += 1
        tr = rec.get("translation") or {}
        unk = tr.get("unknown")
        toks = tr.get("tokens") or []
        tokens += len(toks)
        if unk is None:
            continue
        recorded = True
        for tok, mark in zip(toks, unk):
            if mark:
                marks[mark] += 1
                words[tok] += 1
    if recorded and tokens:
        summary.mt = {"sentences": n, "tokens": tokens, "unknown": sum(marks.values()),
                      "by_mark": dict(marks), "top": words.most_common(15)}


def _alignment(summary: RunSummary, path: Path) -> list[dict]:
    """Link probabilities and pair scores; returns the records kept for the worst pairs."""
    worst: list[tuple[float, int, dict]] = []
    for k, rec in enumerate(_records(path, summary.limit)):
        links = rec.get("alignment") or []
        summary.link_probs.extend(float(p) for _, _, p in links)
        score = rec.get("alignment_score")
        if score is not None:
            summary.pair_scores.append(float(score))
            if rec.get("tokens") and links:
                worst.append((float(score), k, rec))
                worst = sorted(worst, key=lambda x: (x[0], x[1]))[:3]
    if summary.pair_scores and len(summary.pair_scores) >= summary.limit:
        summary.notes.append(f"Distributions and sentences are read from the first "
                             f"{summary.limit:,} records of each corpus.")
    return [r for _, _, r in worst]


def _projection(summary: RunSummary, st: StageInfo, aligned: Optional[Path],
                silver: Path, keep: set) -> dict[str, dict]:
    """Losses by reason (the manifest's counts) and by label; returns the silver records
    whose id is in ``keep`` (the sentences drawn)."""
    for k, v in st.counts.items():
        if k.startswith("spans_dropped:"):
            summary.loss_reasons[k.split(":", 1)[1]] = v
        elif k.startswith("sentences_skipped:"):
            summary.loss_reasons["sentence " + k.split(":", 1)[1]] = v
    by_label: dict[str, Counter] = defaultdict(Counter)
    for k, v in st.counts.items():   # label:LABEL:in | projected | dropped:REASON
        if k.startswith("label:"):
            _, label, what = k.split(":", 2)
            by_label[label][what] += v
    silver_by_id: dict[str, dict] = {}
    tags_out: Counter = Counter()
    unlabeled = 0
    for rec in _records(silver, summary.limit):
        if rec.get("id") in keep:
            silver_by_id[rec.get("id")] = rec
        summary.span_scores.extend(float(s["score"]) for s in rec.get("spans") or []
                                   if s.get("score") is not None)
        for t in rec.get("tags") or []:
            if t in (None, "_"):
                unlabeled += 1
            else:
                tags_out[t] += 1
    if tags_out and aligned is not None:   # POS: source words per tag, and those unlinked
        for rec in _records(aligned, summary.limit):
            linked = {i for i, _, _ in rec.get("alignment") or []}
            for i, t in enumerate(rec.get("tags") or []):
                if t in (None, "_"):
                    continue
                by_label[t]["in"] += 1
                by_label[t]["dropped:unaligned"] += i not in linked
        for t, n in tags_out.items():
            by_label[t]["target words tagged"] += n
        summary.loss_reasons["source words with no link"] = sum(
            v.get("dropped:unaligned", 0) for v in by_label.values())
        summary.loss_reasons["target words left untagged"] = unlabeled
    summary.loss_by_label = {k: dict(v) for k, v in sorted(by_label.items())}
    return silver_by_id


def _training_runs(summary: RunSummary) -> None:
    """Every ``metrics.json`` with a loss curve under the run's stage folders."""
    for st in summary.stages:
        if not st.done:
            continue
        base = summary.run_dir / st.folder
        for path in sorted(base.rglob("metrics.json")):
            try:
                m = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if not isinstance(m, dict) or "losses" not in m:
                continue
            summary.trainings.append(_training(m, str(path.parent.relative_to(base))))


def _main(task: str, scores: dict) -> Optional[float]:
    from ..scoring import main_score
    try:
        return float(main_score(task, scores))
    except (KeyError, TypeError):
        return None


def _training(m: dict, name: str) -> TrainingRun:
    task = m.get("task") or "ner"
    dev = [(d["step"], s) for d in m.get("dev") or [] if (s := _main(task, d)) is not None]
    choice = m.get("model_choice") or {}
    test = m.get("test") or {}
    per_label = test.get("per_type") or {}
    return TrainingRun(name, task, [float(x) for x in m.get("losses") or []], dev,
                       choice.get("step", m.get("step")), choice.get("text", ""),
                       _main(task, test) if test else None, per_label, m.get("seconds"))


def _nice_name(name: str) -> str:
    m = re.search(r"round-(\d+)$", name)
    if m:
        k = int(m.group(1))
        return "round 0: source + silver" if k == 0 else f"round {k}: + pseudo-labels"
    m = re.search(r"control-(\d+)$", name)
    if m:
        return f"control {m.group(1)}: same steps, no pseudo-labels"
    return {"source-only": "source only (no silver)"}.get(name.rsplit("/", 1)[-1], name)


def _comparison(summary: RunSummary) -> None:
    rows = [(_nice_name(t.name), 100 * t.test_score) for t in summary.trainings
            if t.test_score is not None]
    order = lambda r: (not r[0].startswith("source only"), r[0])
    summary.comparison = sorted(rows, key=order)


def collect(run_dir: str | Path, predict: bool = True, limit: int = LIMIT) -> RunSummary:
    """The summary of ``run_dir``; with ``predict`` the final tagger tags the test set once
    more for per-label scores, a confusion matrix and the worst-scored sentences."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise XlieError(f"no run directory at {run_dir}", "give the run_dir of a config that ran")
    stages = read_stages(run_dir)
    if not stages:
        raise XlieError(f"{run_dir} holds no stage folder (01-translate/, 02-align/, ...)",
                        "give the run_dir of a config that ran (xlie run CONFIG)")
    cfg = run_dir / "config.yaml"
    summary = RunSummary(run_dir, cfg.read_text(encoding="utf-8") if cfg.exists() else "",
                         _versions(stages), stages, limit=limit)
    _fill(summary, predict)
    return summary


def _fill(summary: RunSummary, predict: bool) -> None:
    translated = summary.folder("translate")
    if translated and (translated / "corpus.jsonl").exists():
        _mt(summary, translated / "corpus.jsonl")
    aligned_dir = summary.folder("align")
    aligned = aligned_dir / "aligned.jsonl" if aligned_dir else None
    worst_pairs = _alignment(summary, aligned) if aligned and aligned.exists() else []
    proj_dir = summary.folder("project")
    silver_by_id: dict[str, dict] = {}
    ids = {r.get("id") for r in worst_pairs}
    if proj_dir and (proj_dir / "silver.jsonl").exists():
        silver_by_id = _projection(summary, summary.stage("project"),
                                   aligned if aligned and aligned.exists() else None,
                                   proj_dir / "silver.jsonl", ids)
    gold_path = _input(summary, "eval.gold")
    gold = _sentences(gold_path, ids) if gold_path else {}
    for rec in worst_pairs:
        tr = rec.get("translation") or {}
        summary.worst_aligned.append(SentenceCase(
            rec.get("id", "?"), f"alignment score {rec.get('alignment_score', 0):.3f}", rec,
            silver_by_id.get(rec.get("id")), [tuple(x) for x in rec.get("alignment") or []],
            list(tr.get("tokens") or []), gold.get(rec.get("id"))))
    _training_runs(summary)
    final = _final(summary.trainings)
    if final is not None:
        summary.task = final.task
    _comparison(summary)
    train_dir = summary.folder("selftrain")
    test_path = _input(summary, "eval.test")
    if predict and train_dir and test_path:
        from .predictions import score_models
        score_models(summary, train_dir, test_path)
    elif final is not None and final.per_label:
        summary.label_scores = {_nice_name(final.name): final.per_label}


def _final(trainings: list[TrainingRun]) -> Optional[TrainingRun]:
    """The model a run ends with: its last self-training round, else the last trained."""
    rounds = [t for t in trainings if re.search(r"round-\d+$", t.name)]
    if rounds:
        return max(rounds, key=lambda t: int(t.name.rsplit("-", 1)[1]))
    return trainings[-1] if trainings else None


def _sentences(path: Path, ids: set) -> dict[str, dict]:
    """The sentences of ``path`` (any corpus format) whose id is in ``ids``, as records."""
    from ..formats.detect import read_numbered
    return {s.id: s.model_dump(exclude_none=True) for _, s in read_numbered(path, sniff=True)
            if s.id in ids}


def _input(summary: RunSummary, key: str) -> Optional[Path]:
    for st in summary.stages:
        p = st.inputs.get(key)
        if p and Path(p).is_file():
            return Path(p)
    return None
