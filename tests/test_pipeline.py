"""The pipeline runner with fake stages: chain checks, manifests, skip, resume, --from/--until."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

import pipeline_fakes as fakes
from pipeline_fakes import load_config, run_status
from xlie.errors import XlieError
from xlie.pipeline import run_pipeline
from xlie.pipeline.stages import ChainError

ALL = {"ftranslate": {"batch_size": 2}, "falign": {"batch_size": 3}, "fproject": {},
       "ftrain": {}}


@pytest.fixture(autouse=True)
def fake_stages():
    yield
    fakes.reset()


def make_config(tmp_path: Path, run_dir: str = "run", stages=None, n: int = 10,
                name: str = "cfg.yaml", **corpus_kw) -> Path:
    corpus = tmp_path / "corpus.jsonl"
    if not corpus.exists():
        fakes.write_corpus(corpus, n=n, **corpus_kw)
    data = {"run_dir": str(tmp_path / run_dir), "shard_size": 4,
            "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "xx"}}
    data.update(stages if stages is not None else ALL)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def outputs(run_dir: Path) -> dict[str, bytes]:
    """Every stage output file (not manifests or the report, whose timings differ) by
    relative path."""
    files = {}
    for p in sorted(run_dir.rglob("*")):
        if p.is_file() and p.name not in ("manifest.json", ".lock", "config.yaml",
                                          "report.html"):
            files[str(p.relative_to(run_dir))] = p.read_bytes()
    return files


def test_full_chain_writes_folders_manifests_and_done_markers(tmp_path):
    cfg = load_config(make_config(tmp_path))
    result = run_pipeline(cfg)
    run = tmp_path / "run"
    assert [s.status for s in result.stages] == ["ran"] * 4
    for folder in ["11-ftranslate", "12-falign", "13-fproject", "14-ftrain"]:
        assert (run / folder / "DONE").exists()
    man = json.loads((run / "12-falign" / "manifest.json").read_text())
    assert man["config"] == {"enabled": True, "batch_size": 3, "offset": 0}
    assert man["counts"] == {"records_in": 10, "records_out": 10, "links": 40}
    assert man["xlie_version"] and man["timings"]["seconds"] >= 0
    corpus_out = run / "11-ftranslate" / "corpus.jsonl"
    import hashlib
    assert man["inputs"]["translation"]["sha256"] == hashlib.sha256(corpus_out.read_bytes()).hexdigest()
    assert (run / "12-falign" / "DONE").read_text().strip() == man["fingerprint"]
    silver = [json.loads(x) for x in (run / "13-fproject" / "silver.jsonl").read_text().splitlines()]
    assert silver[0]["tokens"] == ["W0", "MET", "NAME0", "TODAY"]
    assert silver[0]["spans"] == [{"start": 2, "end": 3, "label": "PER"}]
    assert json.loads((run / "14-ftrain" / "model" / "labels.json").read_text()) == {"PER": 5}
    assert result.metrics == {"fake-f1": 0.5}
    assert yaml.safe_load((run / "config.yaml").read_text())["falign"] == {"batch_size": 3}
    assert not list(run.glob(".*.tmp")) and not list(run.glob(".*.partial"))


def test_second_run_skips_everything_and_a_config_change_reruns_downstream(tmp_path):
    path = make_config(tmp_path)
    run_pipeline(load_config(path))
    before = outputs(tmp_path / "run")
    fakes.CALLS.clear()
    fakes.SETUPS.clear()
    result = run_pipeline(load_config(path))
    assert [s.status for s in result.stages] == ["skipped"] * 4
    assert sum(fakes.CALLS.values()) == 0 and sum(fakes.SETUPS.values()) == 0
    assert outputs(tmp_path / "run") == before
    # a changed align option re-runs align and what follows it, not translate
    result = run_pipeline(load_config(path, ["falign.offset=1"]))
    assert [s.status for s in result.stages] == ["skipped", "ran", "ran", "ran"]
    assert fakes.CALLS["ftranslate"] == 0 and fakes.CALLS["falign"] == 10


def test_an_edited_output_is_noticed_and_rebuilt(tmp_path):
    path = make_config(tmp_path)
    run_pipeline(load_config(path))
    out = tmp_path / "run" / "12-falign" / "aligned.jsonl"
    good = out.read_bytes()
    out.write_text("{}\n")
    fakes.CALLS.clear()
    run_pipeline(load_config(path))
    assert fakes.CALLS["falign"] == 10 and out.read_bytes() == good


def test_interrupted_run_resumes_with_identical_output_and_no_rework(tmp_path):
    ref = make_config(tmp_path, run_dir="ref", name="ref.yaml")
    run_pipeline(load_config(ref))
    path = make_config(tmp_path, run_dir="run")
    fakes.CALLS.clear()
    fakes.CRASH["falign"] = "s9"  # shard 3 of 3 (shards of 4 records)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(load_config(path))
    run = tmp_path / "run"
    assert (run / "11-ftranslate" / "DONE").exists()
    assert not (run / "12-falign").exists()            # no half stage under the final name
    assert not (run / ".12-falign.tmp").exists()       # nor a half folder beside it
    status = {s.name: s for s in run_status(run)}
    assert status["ftranslate"].state == "done"
    assert status["falign"].state == "partial" and status["falign"].shards_done == 2
    assert not (run / ".lock").exists()

    fakes.CRASH.clear()
    fakes.CALLS.clear()
    fakes.SETUPS.clear()
    result = run_pipeline(load_config(path))
    assert [s.status for s in result.stages] == ["skipped", "ran", "ran", "ran"]
    assert fakes.CALLS["ftranslate"] == 0 and fakes.SETUPS["ftranslate"] == 0
    assert fakes.CALLS["falign"] == 2                   # only the unfinished shard: s8, s9
    assert fakes.CALLS["fproject"] == 10
    ref_out = outputs(tmp_path / "ref")
    assert ref_out and outputs(run) == ref_out


def test_interrupt_between_stages_resumes_at_the_next_stage(tmp_path):
    path = make_config(tmp_path)
    fakes.CRASH["fproject"] = "s0"
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(load_config(path))
    fakes.CRASH.clear()
    fakes.CALLS.clear()
    run_pipeline(load_config(path))
    assert fakes.CALLS == {"fproject": 10, "ftrain": 1}


def test_from_and_until(tmp_path):
    path = make_config(tmp_path)
    result = run_pipeline(load_config(path), until="falign")
    assert [s.name for s in result.stages] == ["ftranslate", "falign"]
    assert not (tmp_path / "run" / "13-fproject").exists()
    fakes.CALLS.clear()
    # --from uses the finished earlier output as it is, even with a changed config
    result = run_pipeline(load_config(path, ["ftranslate.upper=false"]), start="fproject",
                          until="fproject")
    assert [s.name for s in result.stages] == ["fproject"]
    assert fakes.CALLS == {"fproject": 10}
    with pytest.raises(ChainError, match="after --until"):
        run_pipeline(load_config(path), start="ftrain", until="falign")


def test_from_a_stage_whose_inputs_never_ran_is_refused(tmp_path):
    path = make_config(tmp_path)
    with pytest.raises(ChainError, match="'fproject' needs 'alignment'.*before --from"):
        run_pipeline(load_config(path), start="fproject")
    assert not (tmp_path / "run").exists()


def test_chain_is_checked_before_anything_runs(tmp_path):
    path = make_config(tmp_path, stages={"ftranslate": {}, "fproject": {}})
    with pytest.raises(ChainError) as e:
        run_pipeline(load_config(path))
    assert "'fproject' needs 'alignment'" in e.value.message and "falign" in e.value.hint
    assert fakes.CALLS["ftranslate"] == 0 and not (tmp_path / "run").exists()


def test_disabled_stage_breaks_the_chain(tmp_path):
    stages = {**ALL, "falign": {"enabled": False}}
    with pytest.raises(ChainError, match="needs 'alignment'"):
        run_pipeline(load_config(make_config(tmp_path, stages=stages)))


def test_translated_input_starts_at_align(tmp_path):
    path = make_config(tmp_path, stages={"falign": {}, "fproject": {}}, translated=True)
    result = run_pipeline(load_config(path))
    assert [s.name for s in result.stages] == ["falign", "fproject"]
    man = json.loads((tmp_path / "run" / "12-falign" / "manifest.json").read_text())
    assert man["inputs"]["translation"]["path"] == str(tmp_path / "corpus.jsonl")


def test_aligned_input_starts_at_project(tmp_path):
    path = make_config(tmp_path, stages={"fproject": {}, "ftrain": {}}, aligned=True)
    result = run_pipeline(load_config(path))
    assert [s.name for s in result.stages] == ["fproject", "ftrain"]
    assert fakes.CALLS == {"fproject": 10, "ftrain": 1}


def test_bad_input_line_is_named(tmp_path):
    path = make_config(tmp_path, bad_line=6)
    with pytest.raises(XlieError, match=r"corpus.jsonl:6: expected a JSON object"):
        run_pipeline(load_config(path))


def test_a_run_dir_in_use_is_refused(tmp_path):
    path = make_config(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".lock").write_text(str(os.getppid()))
    with pytest.raises(XlieError, match="in use by another xlie run"):
        run_pipeline(load_config(path))
    (tmp_path / "run" / ".lock").write_text("999999999")   # a dead runner's lock is taken over
    run_pipeline(load_config(path))


def test_an_interrupted_whole_stage_resumes_in_its_work_folder(tmp_path):
    path = make_config(tmp_path)
    fakes.CRASH["ftrain"] = "yes"
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(load_config(path))
    run = tmp_path / "run"
    assert {s.name: s.state for s in run_status(run)}["ftrain"] == "partial"
    from xlie.pipeline.status import format_status
    line = [ln for ln in format_status(run, run_status(run)).splitlines() if "14-ftrain" in ln]
    assert "partial  interrupted" in line[0]
    fakes.CRASH.clear()
    fakes.CALLS.clear()
    result = run_pipeline(load_config(path))
    assert [s.status for s in result.stages] == ["skipped"] * 3 + ["ran"]
    assert fakes.CALLS["ftrain_resumed"] == 1
    # a changed config throws the half-done work away
    fakes.CRASH["ftrain"] = "yes"
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(load_config(path, ["ftrain.epochs=2"]))
    fakes.CRASH.clear()
    fakes.CALLS.clear()
    run_pipeline(load_config(path, ["ftrain.epochs=3"]))
    assert fakes.CALLS["ftrain"] == 1 and fakes.CALLS["ftrain_resumed"] == 0


def test_a_changed_language_pair_or_seed_reruns_every_stage(tmp_path):
    """Issue 33 #1: `input.tgt_lang` changed left every stage "up to date, skipped"."""
    path = make_config(tmp_path)
    run_pipeline(load_config(path))
    for override in ("input.tgt_lang=yy", "input.src_lang=de", "seed=7"):
        result = run_pipeline(load_config(path, [override]))
        assert [s.status for s in result.stages] == ["ran"] * 4, override


def test_a_model_rebuilt_under_the_same_name_reruns_its_stage(tmp_path):
    """A local model directory retrained in place changes the stage's fingerprint."""
    from xlie.pipeline.runner import run_settings
    from xlie.pipeline.stages import StageContext
    model = tmp_path / "mt"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"a" * 10)
    ctx = StageContext("translate", None, {}, tmp_path, src_lang="en", tgt_lang="es")
    cfg = {"backend": "hf", "model": str(model)}
    before = run_settings(ctx, cfg)
    assert run_settings(ctx, cfg) == before
    (model / "model.safetensors").write_bytes(b"b" * 10)
    assert run_settings(ctx, cfg) != before
    assert run_settings(ctx, {"backend": "hf", "model": "org/name"})["models"] == {
        "model": "name:org/name"}
