"""Pipeline config: typed validation, errors naming key and file, --set overrides; the CLI."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

import pipeline_fakes as fakes
from pipeline_fakes import load_config
from xlie.cli import cli
from xlie.errors import ConfigError, InputFormatError


@pytest.fixture(autouse=True)
def fake_stages():
    yield
    fakes.reset()


def write(tmp_path, data, name="c.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return p


BASE = {"run_dir": "r", "input": {"corpus": "x.jsonl"}, "falign": {"batch_size": 4}}


def test_valid_config_is_typed(tmp_path):
    cfg = load_config(write(tmp_path, {**BASE, "engine": "ray", "ray": {"concurrency": 2}}))
    assert cfg.run.engine == "ray" and cfg.run.ray.concurrency == 2
    assert cfg.stage("falign").batch_size == 4 and cfg.stage("ftranslate") is None


@pytest.mark.parametrize("data,key,problem", [
    ({**BASE, "egnine": "local"}, "egnine", "unknown key; known top-level keys: "),
    ({**BASE, "input": {"corpus": "x", "lang": "de"}}, "input.lang", "unknown key; known keys here: corpus"),
    ({**BASE, "falign": {"ofset": 1}}, "falign.ofset", "unknown key; known keys here: batch_size"),
    ({**BASE, "falign": {"batch_size": "big"}}, "falign.batch_size", "valid integer"),
    ({**BASE, "falign": {"batch_size": 0}}, "falign.batch_size", "greater than or equal to 1"),
    ({**BASE, "engine": "spark"}, "engine", "'local' or 'ray'"),
    ({"run_dir": "r"}, "input", "required"),
    ({**BASE, "falign": [1, 2]}, "falign", "must be a mapping"),
])
def test_errors_name_key_and_file(tmp_path, data, key, problem):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert e.value.key == key and str(path) in e.value.message
    assert problem in e.value.problem


def test_unknown_stage_lists_known_ones(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, {**BASE, "fallign": {}}))
    assert e.value.key == "fallign" and "falign" in e.value.problem


def test_overrides_set_any_key_and_errors_name_the_override(tmp_path):
    path = write(tmp_path, BASE)
    cfg = load_config(path, ["falign.batch_size=8", "run_dir=other", "ftranslate.upper=false",
                             "ray.num_cpus=2"])
    assert cfg.stage("falign").batch_size == 8 and cfg.run.run_dir == "other"
    assert cfg.stage("ftranslate").upper is False and cfg.run.ray.num_cpus == 2
    assert cfg.data["falign"] == {"batch_size": 8}
    with pytest.raises(ConfigError) as e:
        load_config(path, ["falign.batch_sise=8"])
    assert "--set falign.batch_sise=8" in e.value.message and str(path) in e.value.message
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(path, ["falign.batch_size"])
    with pytest.raises(ConfigError, match="'run_dir'.*not a section"):
        load_config(path, ["run_dir.x=1"])


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "run_dir: r\ninput:\n  corpus: [unclosed\nfalign: {}\n")
    with pytest.raises(InputFormatError) as e:
        load_config(path)
    assert e.value.path == str(path) and e.value.line in (3, 4)


def test_cli_run_and_status(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    fakes.write_corpus(corpus, n=6)
    path = write(tmp_path, {"run_dir": str(tmp_path / "run"), "input": {"corpus": str(corpus)},
                            "ftranslate": {}, "falign": {}, "fproject": {}, "ftrain": {}})
    runner = CliRunner()
    res = runner.invoke(cli, obj=fakes.CLI_OBJ, args=["run", str(path), "--until", "falign"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, obj=fakes.CLI_OBJ, args=["status", str(tmp_path / "run")])
    assert res.exit_code == 0
    lines = {ln.split()[0]: ln for ln in res.output.splitlines()[1:] if ln.strip()}
    assert "done" in lines["11-ftranslate"] and "records_in 6" in lines["12-falign"]
    assert lines["13-fproject"].split()[1:] == ["not", "run"]
    res = runner.invoke(cli, obj=fakes.CLI_OBJ, args=["run", str(path), "--json"])
    assert res.exit_code == 0
    summary = json.loads(res.stdout)
    assert [s["status"] for s in summary["stages"]] == ["skipped", "skipped", "ran", "ran"]
    assert summary["stages"][3]["metrics"] == {"fake-f1": 0.5}


def test_cli_config_error_exits_2_naming_key_and_file(tmp_path):
    path = write(tmp_path, {**BASE, "falign": {"batch_size": "x"}})
    res = CliRunner().invoke(cli, obj=fakes.CLI_OBJ, args=["run", str(path)])
    assert res.exit_code == 2
    assert f"error: {path}: config key 'falign.batch_size'" in res.output
    res = CliRunner().invoke(cli, obj=fakes.CLI_OBJ, args=["run", str(path), "--set",
                                                           "falign.batch_size=2", "--from", "nosuch"])
    assert res.exit_code == 2 and "unknown stage 'nosuch'" in res.output
