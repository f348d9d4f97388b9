"""The chain from untranslated English to a Spanish UPOS tagger with Apertium as the MT
(skipped where apertium and its eng-spa pair are not installed), on tiny random encoders:
all four stages run, and a run interrupted inside translate resumes to the same bytes."""
from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest
import yaml
from test_translate_apertium import real

from xlie.pipeline import load_config, run_pipeline
from xlie.pipeline.config import resolve_path

pytestmark = real


def head(src: str, dst: Path, n: int) -> Path:
    with open(resolve_path(src), encoding="utf-8") as f:
        dst.write_text("".join(islice(f, n)), encoding="utf-8")
    return dst


def config(tmp_path: Path, name: str, tiny_xlmr: Path) -> Path:
    corpus = head("xlie:data/pud-es/en.train.jsonl", tmp_path / "en.jsonl", 16)
    test = head("xlie:data/pud-es/es.test.jsonl", tmp_path / "test.jsonl", 6)
    data = {"run_dir": str(tmp_path / name), "shard_size": 6,
            "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "es"},
            "eval": {"test": str(test)},
            "translate": {"backend": "apertium", "cache": False},
            "align": {"model": str(tiny_xlmr), "batch_size": 8}, "project": {},
            "selftrain": {"rounds": 1, "source_only_baseline": True, "train": {
                "model": str(tiny_xlmr), "task": "pos", "epochs": 1, "batch_size": 8,
                "lr": 1e-3, "warmup_ratio": 0.0, "checkpoint_every": 1000}}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def outputs(run_dir: Path) -> dict[str, bytes]:
    names = ["01-translate/corpus.jsonl", "02-align/aligned.jsonl", "03-project/silver.jsonl"]
    files = {n: (run_dir / n).read_bytes() for n in names}
    for p in sorted((run_dir / "04-selftrain" / "model").rglob("*")):
        if p.is_file():
            files[str(p.relative_to(run_dir))] = p.read_bytes()
    return files


def test_apertium_chain_runs_and_resumes_byte_identically(tmp_path, tiny_xlmr, monkeypatch):
    ref = run_pipeline(load_config(config(tmp_path, "ref", tiny_xlmr)))
    assert [s.name for s in ref.stages] == ["translate", "align", "project", "selftrain"]
    m = ref.metrics
    for key in ("tagger_accuracy", "tagger_accuracy_round0", "tagger_accuracy_source_only"):
        assert 0 <= m[key] <= 100
    translated = [json.loads(x) for x in (tmp_path / "ref/01-translate/corpus.jsonl").open()]
    assert len(translated) == 16
    tr = [r["translation"] for r in translated]
    assert all(t["lang"] == "es" and t["text"] and len(t["unknown"]) == len(t["tokens"]) for t in tr)
    assert any(any(t["unknown"]) for t in tr)              # PUD's names: some unknown words
    silver = [json.loads(x) for x in (tmp_path / "ref/03-project/silver.jsonl").open()]
    assert [s["tokens"] for s in silver] == [t["tokens"] for t in tr]
    assert sum(t not in (None, "_") for s in silver for t in s["tags"]) > 0

    # killed inside translate, after its first shard
    from xlie.translation.backends.apertium import ApertiumBackend
    real_translate = ApertiumBackend._translate
    calls = {"n": 0}

    def dies_on_second(self, batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_translate(self, batch)

    monkeypatch.setattr(ApertiumBackend, "_translate", dies_on_second)
    path = config(tmp_path, "run", tiny_xlmr)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(load_config(path))
    assert not (tmp_path / "run/01-translate/corpus.jsonl").exists()
    sent = []

    def counting(self, batch):
        sent.extend(batch)
        return real_translate(self, batch)

    monkeypatch.setattr(ApertiumBackend, "_translate", counting)
    result = run_pipeline(load_config(path))
    assert len(sent) == 16 - 6                  # the first shard was kept, not translated again
    assert outputs(tmp_path / "run") == outputs(tmp_path / "ref")
    assert result.metrics == ref.metrics


def test_the_baseline_is_the_judge_when_the_judge_is_that_model(tmp_path, tiny_xlmr):
    """With a silver judge and `source_only_baseline`, the source-only model was trained
    twice (once to judge the silver, once as the baseline): the judge is now scored."""
    path = config(tmp_path, "judged", tiny_xlmr)
    data = yaml.safe_load(path.read_text())
    data["selftrain"].update(rounds=0)
    data["selftrain"]["train"]["silver_judge"] = "source"
    path.write_text(yaml.safe_dump(data))
    result = run_pipeline(load_config(path))
    stage = tmp_path / "judged" / "04-selftrain"
    judge = json.loads((stage / "rounds" / "round-0" / "judge" / "metrics.json").read_text())
    assert not (stage / "source-only").exists()
    assert result.metrics["tagger_accuracy_source_only"] == \
        pytest.approx(100 * judge["test"]["accuracy"], abs=0.01)
