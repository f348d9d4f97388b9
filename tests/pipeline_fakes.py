"""Small fake stages for the pipeline runner's tests: real file I/O, trivial logic,
call counters, and a switch to crash (as if interrupted) at a given record."""
from __future__ import annotations

import json
from collections import Counter
from typing import Optional

from xlie.pipeline.stages import BatchResult, BatchStageConfig, Stage, StageConfig

CALLS: Counter = Counter()          # stage name -> records processed (or runs of a whole stage)
SETUPS: Counter = Counter()
CRASH: dict[str, str] = {}          # stage name -> record id at which to raise KeyboardInterrupt


class FTranslateConfig(BatchStageConfig):
    upper: bool = True


class FAlignConfig(BatchStageConfig):
    offset: int = 0


class FTrainConfig(StageConfig):
    epochs: int = 1


def _count(name, records):
    for r in records:
        if CRASH.get(name) == r["id"]:
            raise KeyboardInterrupt(f"{name} interrupted at {r['id']}")
    CALLS[name] += len(records)


def _setup(name):
    def setup(cfg, ctx):
        SETUPS[name] += 1
        return cfg
    return setup


def _translate(cfg: FTranslateConfig, records):
    _count("ftranslate", records)
    out = []
    for r in records:
        toks = [t.upper() if cfg.upper else t for t in r["tokens"]]
        out.append({**r, "translation": {"lang": "xx", "text": " ".join(toks), "tokens": toks}})
    return BatchResult(out, {"tokens": sum(len(r["tokens"]) for r in records)})


def _align(cfg: FAlignConfig, records):
    _count("falign", records)
    out = []
    for r in records:
        m = len(r["translation"]["tokens"])
        links = [[i, min(m - 1, i + cfg.offset), 1.0] for i in range(len(r["tokens"])) if m]
        out.append({**r, "alignment": links})
    return BatchResult(out, {"links": sum(len(r["alignment"]) for r in out)})


def _project(cfg, records):
    _count("fproject", records)
    out, dropped = [], 0
    for r in records:
        tgt = dict((i, j) for i, j, _ in r["alignment"])
        spans = []
        for s in r.get("spans", []):
            js = [tgt[i] for i in range(s["start"], s["end"]) if i in tgt]
            if js:
                spans.append({"start": min(js), "end": max(js) + 1, "label": s["label"]})
            else:
                dropped += 1
        out.append({"id": r["id"], "lang": "xx", "tokens": r["translation"]["tokens"],
                    "spans": spans})
    return BatchResult(out, {"spans_dropped": dropped})


def _train(ctx):
    CALLS["ftrain"] += 1
    progress = ctx.out_dir / "progress.txt"   # work kept in the stage's .partial folder
    resumed = progress.exists()
    progress.write_text("epoch 1 done")
    if CRASH.get("ftrain"):
        raise KeyboardInterrupt("ftrain interrupted")
    if resumed:
        CALLS["ftrain_resumed"] += 1
    labels = Counter()
    with open(ctx.inputs["silver"], encoding="utf-8") as f:
        for line in f:
            labels.update(s["label"] for s in json.loads(line)["spans"])
    model = ctx.out_dir / "model"
    model.mkdir()
    (model / "labels.json").write_text(json.dumps(dict(sorted(labels.items()))))
    return {"counts": {"labels": len(labels)}, "metrics": {"fake-f1": 0.5}}


FAKES = [
    Stage("ftranslate", 11, ("corpus",), ("translation",), FTranslateConfig,
          {"translation": "corpus.jsonl"}, setup=_setup("ftranslate"), process_batch=_translate),
    Stage("falign", 12, ("translation",), ("alignment",), FAlignConfig,
          {"alignment": "aligned.jsonl"}, setup=_setup("falign"), process_batch=_align),
    Stage("fproject", 13, ("alignment",), ("silver",), BatchStageConfig,
          {"silver": "silver.jsonl"}, setup=_setup("fproject"), process_batch=_project),
    Stage("ftrain", 14, ("silver",), ("tagger",), FTrainConfig, {"tagger": "model"}, run=_train),
]


CLI_OBJ = {"stages": FAKES}   # `xlie run`/`xlie status` through click with the fake stages


def load_config(path, overrides=None):
    """``xlie.pipeline.load_config`` against the fake stages."""
    from xlie.pipeline import load_config as load
    return load(path, overrides, stages=FAKES)


def run_status(run_dir):
    from xlie.pipeline.status import run_status as status
    return status(run_dir, stages=FAKES)


def reset() -> None:
    CALLS.clear()
    SETUPS.clear()
    CRASH.clear()


def write_corpus(path, n: int = 10, translated: bool = False, aligned: bool = False,
                 bad_line: Optional[int] = None) -> None:
    """n sentences; every other one has a PER span."""
    with open(path, "w", encoding="utf-8") as f:
        for k in range(n):
            toks = [f"w{k}", "met", f"Name{k}", "today"]
            rec = {"id": f"s{k}", "lang": "en", "tokens": toks,
                   "spans": [{"start": 2, "end": 3, "label": "PER"}] if k % 2 == 0 else []}
            if translated or aligned:
                rec["translation"] = {"lang": "de", "text": " ".join(toks), "tokens": toks}
            if aligned:
                rec["alignment"] = [[i, i, 0.9] for i in range(len(toks))]
            line = json.dumps(rec)
            if bad_line is not None and k + 1 == bad_line:
                line = line[:-5]
            f.write(line + "\n")
