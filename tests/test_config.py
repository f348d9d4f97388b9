"""xlie.config: one reader of settings for every stage, with errors that name the key, the
file (and the --set item) and the keys known at that place."""
import pytest
from click.testing import CliRunner

from xlie.aligners.training import AlignTrainConfig, load_train_config
from xlie.cli import cli
from xlie.config import apply_overrides, load_settings
from xlie.errors import ConfigError, InputFormatError
from xlie.projection.options import ProjectionOptions
from xlie.selftrain import SelfTrainConfig


def test_unknown_key_inside_a_list_of_sections_lists_the_known_keys(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("schedule:\n  - {mode: top}\n  - {mode: top, treshold: 0.9}\n")
    with pytest.raises(ConfigError) as e:
        load_settings(SelfTrainConfig, f)
    assert e.value.key == "schedule.1.treshold" and str(f) in e.value.message
    assert "known keys here: min_labeled, mode, threshold, top_fraction" in e.value.problem


def test_values_then_overrides_and_the_override_is_named(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("align_train:\n  lr: 1.0e-4\n  batch_size: 2\n")
    cfg = load_settings(AlignTrainConfig, f, ["batch_size=4"], values={"lr": 3e-5, "data": None},
                        section="align_train")
    assert (cfg.lr, cfg.batch_size, cfg.data) == (3e-5, 4, None)
    with pytest.raises(ConfigError) as e:
        load_train_config(f, ["objectives.so=-1"])
    assert e.value.key == "objectives.so" and "(--set objectives.so=-1)" in e.value.message


def test_the_same_error_words_in_every_stage(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("train:\n  epoch: 3\n")
    with pytest.raises(ConfigError) as tagger:
        load_settings(SelfTrainConfig, f)
    assert tagger.value.key == "train.epoch" and "known keys here:" in tagger.value.problem
    assert "epochs" in tagger.value.problem
    with pytest.raises(ConfigError) as align:
        load_train_config(None, ["objectives.tml=1"])
    assert "known keys here: co, mlm, psi, so, tlm" in align.value.problem
    with pytest.raises(ConfigError) as bad:
        load_settings(ProjectionOptions, None, ["trim"])
    assert "KEY=VALUE" in bad.value.problem


def test_yaml_errors_name_the_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("rounds: 2\ntrain: [\n")
    with pytest.raises(InputFormatError) as e:
        load_settings(SelfTrainConfig, f)
    assert e.value.path == str(f) and e.value.line is not None


def test_overrides_read_yaml_values_and_build_sections():
    data = apply_overrides({"a": {"b": 1}}, ["a.c=[1, 2]", "d.e=true", "f=", "g=x: y: z"])
    assert data == {"a": {"b": 1, "c": [1, 2]}, "d": {"e": True}, "f": None, "g": "x: y: z"}
    with pytest.raises(ConfigError, match="not a section"):
        apply_overrides({"a": 1}, ["a.b=2"])


def test_project_set_uses_the_same_reader(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "tokens": ["a"], "translation": {"text": "b"}, '
                   '"alignment": [[0, 0, 1.0]]}\n')
    out = tmp_path / "o.jsonl"
    res = CliRunner().invoke(cli, ["project", str(src), str(out), "--set", "max_len_ratio"])
    assert res.exit_code == 2 and "KEY=VALUE" in res.output
    res = CliRunner().invoke(cli, ["project", str(src), str(out), "--set", "max_len_ratio=0.5"])
    assert res.exit_code == 2 and "config key 'max_len_ratio'" in res.output
    res = CliRunner().invoke(cli, ["project", str(src), str(out), "--set", "max_len_ratio=2.5"])
    assert res.exit_code == 0 and out.exists()


def test_selftrain_options_are_settings_and_set_comes_last(tmp_path):
    text = tmp_path / "t.jsonl"
    text.write_text('{"id": "1", "tokens": ["a"]}\n')
    run = ["selftrain", "run", str(tmp_path / "r"), "--unlabeled", str(text)]
    res = CliRunner().invoke(cli, [*run, "--threshold", "2"])
    assert res.exit_code == 2 and "config key 'select.threshold'" in res.output
    res = CliRunner().invoke(cli, [*run, "--epochs", "2", "--set", "train.epochs=0"])
    assert res.exit_code == 2 and "--set train.epochs=0" in res.output
    assert "config key 'train.epochs'" in res.output
