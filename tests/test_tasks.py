"""The task registry (issue: one trainer for every task): one entry per task, settings
written once, the same effective settings on every path, relations on the shared loop
(resume after an interrupt) and relation scoring in ``xlie.scoring``."""
from __future__ import annotations

import json
import random
import types

import pytest
import yaml
from click.testing import CliRunner

from xlie.cli import cli
from xlie.config import load_settings
from xlie.errors import ConfigError, XlieError
from xlie.selftrain.config import TASK_NAMES, TASK_SETTINGS, SelfTrainConfig

from test_selftrain_relation import toy_relx


def test_every_task_has_one_registry_entry_with_its_settings():
    from xlie.selftrain.tasks import TASKS, get_task
    assert set(TASKS) == set(TASK_NAMES) == set(TASK_SETTINGS)
    for name, task in TASKS.items():
        assert task.settings is TASK_SETTINGS[name]
        assert TASK_SETTINGS[name]().task == name or name in ("pos", "event")   # taggers
    with pytest.raises(XlieError, match="unknown task 'ud'"):
        get_task("ud")


@pytest.mark.parametrize("task,key", [("relation", "window_context"), ("ner", "min_arc_score"),
                                      ("dep", "min_silver_score"), ("pos", "top_layers")])
def test_a_setting_the_task_does_not_use_is_an_error_naming_both(task, key):
    with pytest.raises(ConfigError) as err:
        load_settings(SelfTrainConfig, None, [f"train.task={task}", f"train.{key}=1"])
    assert f"train.{key}" in str(err.value) and "not a setting of" in str(err.value)
    assert task in str(err.value)


def test_the_task_defaults_are_plain_field_defaults_that_survive_a_dump():
    cfg = load_settings(SelfTrainConfig, None, ["train.task=relation"])
    again = SelfTrainConfig.model_validate(cfg.model_dump(mode="json"))   # as the pipeline does
    assert again.train.lr == 3e-4 and again.train.frozen_layers(12) == 6
    assert again.train == cfg.train


def _train_command():
    from xlie.cli.selftrain import train_cmd
    return {p.name: p for p in train_cmd.params}


def test_cli_options_take_help_and_defaults_from_the_settings_models():
    params = _train_command()
    checked = 0
    for name, param in params.items():
        models = [m for m in TASK_SETTINGS.values() if name in m.model_fields]
        if not models or name in ("task",):
            continue
        assert param.default is None, name   # a flag not given sets nothing: the model decides
        for m in models:
            default = m.model_fields[name].default
            shown = "none" if default is None else str(default)
            assert shown in param.help, (name, shown, param.help)
        checked += 1
    assert checked >= 7
    assert "relation: 0.0003" not in params["max_steps"].help   # one value when tasks agree
    help_text = CliRunner().invoke(cli, ["selftrain", "train", "--help"]).output
    assert "800" in help_text   # the budget, from the settings model, not written by hand


def _pipeline_settings(tmp_path, section: dict):
    """The training settings the pipeline's selftrain stage hands ``self_train``."""
    from xlie.pipeline.adapters.selftrain import job_for
    from xlie.pipeline.config import load_config
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"input": {"corpus": "in.conll", "src_lang": "en",
                                              "tgt_lang": "de"},
                                    "run_dir": str(tmp_path / "run"), "selftrain": section}))
    stage = load_config(path).stage("selftrain")
    ctx = types.SimpleNamespace(config=stage, inputs={"silver": "s.jsonl", "corpus": "c.jsonl"},
                                out_dir=tmp_path / "st", eval_test=None)
    return SelfTrainConfig.model_validate(job_for(ctx)["config"]).train


@pytest.mark.parametrize("task", TASK_NAMES)
def test_the_pipeline_and_the_cli_give_the_same_effective_settings(task, tmp_path):
    given = {"model": "e5-small", "task": task, "max_steps": 2}
    cli_cfg = load_settings(SelfTrainConfig, None, [],
                            values={f"train.{k}": v for k, v in given.items()}).train
    pipe_cfg = _pipeline_settings(tmp_path, {"train": given})
    assert pipe_cfg.effective() == cli_cfg.effective()
    assert type(pipe_cfg) is TASK_SETTINGS[task]


def test_the_pipeline_relation_run_records_the_relation_defaults(tiny_xlmr, tmp_path, capfd):
    from xlie.pipeline.adapters.selftrain import run_job
    toy_relx(tmp_path / "train.txt", 12, 0)
    cfg = SelfTrainConfig.model_validate({"train": {"model": str(tiny_xlmr), "task": "relation",
                                                    "max_steps": 2, "top_layers": 2}})
    job = {"source": [str(tmp_path / "train.txt")], "unlabeled": [str(tmp_path / "train.txt")],
           "run_dir": str(tmp_path / "r"), "config": cfg.model_dump(mode="json"),
           "silver": [], "test": None}
    run_job(job)
    m = json.loads((tmp_path / "r" / "round-0" / "metrics.json").read_text())
    assert m["settings"]["lr"] == 3e-4 and m["frozen_layers"] == 2   # tiny: 4 layers, top 2
    assert "2 of 4 layers frozen, lr 0.0003" in capfd.readouterr().err
    r = CliRunner().invoke(cli, ["selftrain", "predict", str(tmp_path / "train.txt"), "-o",
                                 str(tmp_path / "p.jsonl"), "--model",
                                 str(tmp_path / "r" / "round-0" / "model"), "--score"])
    assert r.exit_code == 0, r.output
    assert "RELX macro F1" in r.output and "per:employee_of" in r.output   # the scorer's rows


def test_an_interrupted_relation_run_resumes_to_the_same_classifier(tiny_xlmr, tmp_path):
    from xlie.selftrain.config import train_settings
    from xlie.selftrain.relation import RelationClassifier
    from xlie.selftrain.relation_train import train_relation
    from xlie.formats.relx import read_relx
    toy_relx(tmp_path / "train.txt", 24, 0)
    cfg = train_settings(model=str(tiny_xlmr), task="relation", epochs=3, batch_size=4,
                         lr=2e-3, max_length=64, checkpoint_every=2, freeze_layers=2)
    full_dir, full = train_relation([tmp_path / "train.txt"], tmp_path / "full", cfg)

    def interrupt(step, loss):
        if step == 7:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        train_relation([tmp_path / "train.txt"], tmp_path / "cut", cfg, on_step=interrupt)
    assert (tmp_path / "cut" / "checkpoint").is_dir()
    assert not (tmp_path / "cut" / "metrics.json").exists()
    cut_dir, resumed = train_relation([tmp_path / "train.txt"], tmp_path / "cut", cfg)
    assert resumed["resumed_at_step"] == 6 and resumed["step"] == full["step"] == 18
    assert resumed["losses"] == pytest.approx(full["losses"], abs=1e-4)
    sents = list(read_relx(tmp_path / "train.txt"))
    a = RelationClassifier.load(full_dir).probabilities(sents)
    b = RelationClassifier.load(cut_dir).probabilities(sents)
    assert all(float((x - y).abs().max()) < 1e-4 for x, y in zip(a, b))


def test_the_relation_classifier_stops_on_ctrl_c_with_exit_130(tiny_xlmr, tmp_path, monkeypatch):
    from xlie.selftrain import fit as fit_module
    toy_relx(tmp_path / "train.txt", 8, 0)

    def stop(*a, **kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(fit_module, "run_loop", stop)
    r = CliRunner().invoke(cli, ["selftrain", "train", str(tmp_path / "train.txt"), "-o",
                                 str(tmp_path / "out"), "--model", str(tiny_xlmr), "--task",
                                 "relation", "--max-steps", "2"])
    assert r.exit_code == 130


def _independent_relx(gold_labels, pred_labels):
    """The RELX metric written out again: per relation, micro-F1 over its two directed
    labels; the mean over the relations in gold or prediction (no_relation excluded)."""
    rels = {l.split("(")[0] for l in gold_labels + pred_labels} - {"no_relation"}
    f1s = []
    for r in rels:
        tp = sum(g == p and g.split("(")[0] == r for g, p in zip(gold_labels, pred_labels))
        npred = sum(p.split("(")[0] == r for p in pred_labels)
        ngold = sum(g.split("(")[0] == r for g in gold_labels)
        prec, rec = (tp / npred if npred else 0), (tp / ngold if ngold else 0)
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return 100 * sum(f1s) / len(f1s)


def test_project_eval_scores_a_relx_file_like_an_independent_scorer(tmp_path):
    rng = random.Random(3)
    labels = ["per:employee_of(e1,e2)", "per:employee_of(e2,e1)", "org:founded_by(e1,e2)",
              "org:founded_by(e2,e1)", "per:origin(e1,e2)", "no_relation"]
    gold = [rng.choice(labels) for _ in range(80)]
    pred = [g if rng.random() < 0.6 else rng.choice(labels) for g in gold]

    def write(path, labs):
        path.write_text("".join(f'{k}\t"<e1> A{k} </e1> x <e2> B{k} </e2> ."\n{lab}\n\n\n'
                                for k, lab in enumerate(labs)))
    write(tmp_path / "gold.txt", gold)
    write(tmp_path / "pred.txt", pred)
    r = CliRunner().invoke(cli, ["project", "eval", str(tmp_path / "gold.txt"),
                                 str(tmp_path / "pred.txt")])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if x.startswith("RELX macro F1"))
    assert abs(float(line.split()[3]) - _independent_relx(gold, pred)) < 0.1
    assert "per:employee_of" in r.output and "\nno_relation" not in r.output   # per-relation rows
    from xlie.scoring import evaluate
    assert set(evaluate(tmp_path / "gold.txt", tmp_path / "pred.txt")) >= {"relation"}
