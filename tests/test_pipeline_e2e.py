"""The real stages end to end on tiny random models: run, interrupt, resume."""
from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest
import yaml

from xlie.pipeline import load_config, run_pipeline
from xlie.pipeline.config import resolve_path
from xlie.pipeline.status import run_status


def head(src: str, dst: Path, n: int) -> Path:
    with open(resolve_path(src), encoding="utf-8") as f:
        dst.write_text("".join(islice(f, n)), encoding="utf-8")
    return dst


@pytest.fixture
def tiny_config(tmp_path, tiny_xlmr):
    corpus = head("xlie:data/demo/en-de.train.jsonl", tmp_path / "train.jsonl", 24)
    gold = head("xlie:data/demo/de.gold.jsonl", tmp_path / "gold.jsonl", 24)
    test = head("xlie:data/demo/de.test.jsonl", tmp_path / "test.jsonl", 8)

    def make(run_dir: str) -> Path:
        data = {"run_dir": str(tmp_path / run_dir), "shard_size": 10,
                "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "de"},
                "eval": {"gold": str(gold), "test": str(test)},
                "align": {"model": str(tiny_xlmr), "batch_size": 8},
                "project": {},
                "selftrain": {"rounds": 1, "train": {
                    "model": str(tiny_xlmr), "epochs": 1, "batch_size": 8, "lr": 1e-3,
                    "warmup_ratio": 0.0, "checkpoint_every": 1000}}}
        path = tmp_path / f"{run_dir}.yaml"
        path.write_text(yaml.safe_dump(data))
        return path
    return make


def stage_files(run_dir: Path) -> dict[str, bytes]:
    names = ["02-align/aligned.jsonl", "03-project/silver.jsonl"]
    files = {n: (run_dir / n).read_bytes() for n in names}
    for p in sorted((run_dir / "04-selftrain" / "model").rglob("*")):
        if p.is_file():
            files[str(p.relative_to(run_dir))] = p.read_bytes()
    return files


def test_every_stage_runs_and_an_interrupted_run_resumes_identically(tiny_config, tmp_path,
                                                                     monkeypatch):
    ref = run_pipeline(load_config(tiny_config("ref")))
    assert [s.name for s in ref.stages] == ["align", "project", "selftrain"]
    m = ref.metrics
    assert 0 <= m["projected_f1"] <= 100 and 0 <= m["tagger_f1"] <= 100
    silver = [json.loads(x) for x in (tmp_path / "ref/03-project/silver.jsonl").open()]
    assert len(silver) == 24 and silver[1]["lang"] == "de"
    assert (tmp_path / "ref/04-selftrain/model/config.json").exists()
    # the summary names the final model relative to itself, so it survives the stage folder's
    # rename from .04-selftrain.partial
    rounds_dir = tmp_path / "ref/04-selftrain/rounds"
    summary = json.loads((rounds_dir / "summary.json").read_text())
    assert (rounds_dir / summary["final_model"] / "config.json").exists()

    # interrupt inside selftrain, after align and project finished
    import xlie.selftrain as rounds
    real = rounds.self_train
    calls = {"align": 0}

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    import xlie.aligners.api as api
    real_align = api.Aligner.align_pairs

    def counting(self, pairs):
        calls["align"] += len(pairs)
        return real_align(self, pairs)

    monkeypatch.setattr(api.Aligner, "align_pairs", counting)
    monkeypatch.setattr(rounds, "self_train", interrupted)
    path = tiny_config("run")
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(load_config(path))
    state = {s.name: s.state for s in run_status(tmp_path / "run")}
    assert state["align"] == "done" and state["project"] == "done"
    assert state["selftrain"] != "done"
    assert calls["align"] == 24

    monkeypatch.setattr(rounds, "self_train", real)
    result = run_pipeline(load_config(path))
    assert [s.status for s in result.stages] == ["skipped", "skipped", "ran"]
    assert calls["align"] == 24                      # not one pair aligned again
    assert stage_files(tmp_path / "run") == stage_files(tmp_path / "ref")
    assert result.metrics == ref.metrics


def test_translate_through_selftrain_from_an_untranslated_corpus(tmp_path, tiny_xlmr):
    from translate_helpers import tiny_marian
    src = [json.loads(x) for x in islice(open(resolve_path("xlie:data/demo/en-de.train.jsonl"),
                                              encoding="utf-8"), 12)]
    corpus = tmp_path / "en.jsonl"
    corpus.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "translation"}) + "\n"
                              for r in src))
    test = head("xlie:data/demo/de.test.jsonl", tmp_path / "test.jsonl", 6)
    data = {"run_dir": str(tmp_path / "run"), "shard_size": 5,
            "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "de"},
            "eval": {"test": str(test)},
            "translate": {"model": str(tiny_marian()), "beam": 1, "max_new_tokens": 16,
                          "cache": False, "batch_size": 4},
            "align": {"model": str(tiny_xlmr)}, "project": {"method": "heuristic"},
            "selftrain": {"rounds": 0, "train": {"model": str(tiny_xlmr), "epochs": 1,
                                                 "batch_size": 8}}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_pipeline(load_config(path))
    assert [s.name for s in result.stages] == ["translate", "align", "project", "selftrain"]
    translated = [json.loads(x) for x in (tmp_path / "run/01-translate/corpus.jsonl").open()]
    assert [r["id"] for r in translated] == [r["id"] for r in src]
    assert all(r["translation"]["lang"] == "de" for r in translated)
    aligned = [json.loads(x) for x in (tmp_path / "run/02-align/aligned.jsonl").open()]
    assert [r["translation"] for r in aligned] == [r["translation"] for r in translated]
    silver = [json.loads(x) for x in (tmp_path / "run/03-project/silver.jsonl").open()]
    assert [r["tokens"] for r in silver] == [r["translation"]["tokens"] for r in translated]
    assert "tagger_f1" in result.metrics
    assert result.stages[0].counts["translated"] >= 1


def test_an_unusable_pair_keeps_its_line_with_an_error(tmp_path, tiny_xlmr):
    recs = [{"id": "a", "tokens": ["Hello", "world"], "spans": [],
             "translation": {"text": "Hallo Welt", "tokens": ["Hallo", "Welt"]}},
            {"id": "b", "tokens": ["Hello"], "spans": [], "translation": {"text": ""}},
            {"id": "c", "tokens": ["Bye"], "spans": [], "translation": {"text": "Tschüss"}}]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in recs))
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"run_dir": str(tmp_path / "run"),
                                    "input": {"corpus": str(corpus)},
                                    "align": {"model": str(tiny_xlmr)}}))
    result = run_pipeline(load_config(path))
    out = [json.loads(x) for x in (tmp_path / "run/02-align/aligned.jsonl").open()]
    assert [r["id"] for r in out] == ["a", "b", "c"]
    assert out[1]["alignment"] == [] and "alignment_error" in out[1]
    assert out[0]["alignment"] and out[2]["alignment"] and "alignment_error" not in out[0]
    assert result.stages[0].counts["pairs_unaligned"] == 1


@pytest.mark.slow  # starts `accelerate launch` in a subprocess (a fresh Python with torch)
def test_selftrain_under_accelerate_launch(tmp_path, tiny_xlmr):
    corpus = head("xlie:data/demo/en-de.train.jsonl", tmp_path / "train.jsonl", 12)
    test = head("xlie:data/demo/de.test.jsonl", tmp_path / "test.jsonl", 4)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({
        "run_dir": str(tmp_path / "run"), "input": {"corpus": str(corpus)},
        "eval": {"test": str(test)}, "align": {"model": str(tiny_xlmr)}, "project": {},
        "selftrain": {"launcher": "accelerate", "num_processes": 1, "rounds": 0,
                      "train": {"model": str(tiny_xlmr), "epochs": 1, "batch_size": 8}}}))
    result = run_pipeline(load_config(path))
    st = result.stages[-1]
    assert st.name == "selftrain" and st.counts["steps"] >= 1 and "tagger_f1" in st.metrics
    job = json.loads((tmp_path / "run/04-selftrain/job.json").read_text())
    assert job["silver"] == [str(tmp_path / "run/03-project/silver.jsonl")]
    assert (tmp_path / "run/04-selftrain/model/config.json").exists()


def test_a_layer_the_model_lacks_fails_before_the_run_naming_the_key(tiny_config, tmp_path):
    """`--set align.layer=99` on a 4-layer model: a config error naming the key, before any
    model weights load or anything is written (it used to fail inside the stage, unnamed,
    leaving config.yaml behind)."""
    from xlie.errors import ConfigError
    cfg = load_config(tiny_config("bad"), ["align.layer=99"])
    with pytest.raises(ConfigError, match=r"'align\.layer'.*99 is out of range.*4 layers"):
        run_pipeline(cfg)
    assert not (tmp_path / "bad").exists()
