"""--log-with: training logged through accelerate's trackers. TensorBoard's event files of a
tiny `selftrain train` run hold the step losses, learning rates and dev scores; a tracker
that is not installed stops the command (and a pipeline, before it runs) with the pip line;
without the option nothing is logged and the model's record is the same."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from test_selftrain_train import toy_corpus

from xlie import tracking
from xlie.cli import cli
from xlie.formats.jsonl import write_jsonl


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy-track")
    write_jsonl(d / "train.jsonl", toy_corpus(32, 0))
    write_jsonl(d / "dev.jsonl", toy_corpus(8, 1))
    return d


def _train(toy, model, out, *extra):
    return CliRunner().invoke(cli, [
        "selftrain", "train", str(toy / "train.jsonl"), "-o", str(out), "--model", str(model),
        "--epochs", "2", "--dev", str(toy / "dev.jsonl"), "--set", "train.batch_size=8",
        "--set", "train.warmup_ratio=0.0", *extra])


def test_selftrain_train_log_with_tensorboard_writes_events_tensorboard_reads(
        tiny_xlmr, toy, tmp_path):
    pytest.importorskip("tensorboard", reason="pip install tensorboard (the `track` extra)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "tb"
    res = _train(toy, tiny_xlmr, out, "--log-with", "tensorboard")
    assert res.exit_code == 0, res.output
    metrics = json.loads((out / "metrics.json").read_text())
    runs = [p.parent for p in (out / "logs").rglob("events.out.tfevents.*")]
    assert runs, "no TensorBoard event file"
    scalars = {}
    hparams = b""
    for run in runs:
        acc = EventAccumulator(str(run))
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            scalars[tag] = acc.Scalars(tag)
        if "_hparams_/session_start_info" in acc.summary_metadata:
            hparams += acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    loss = scalars["train/loss"]
    assert [e.step for e in loss] == list(range(1, metrics["step"] + 1))
    assert [round(e.value, 4) for e in loss] == [round(x, 4) for x in metrics["losses"]]
    assert len(scalars["train/lr"]) == metrics["step"]
    dev_steps = [d["step"] for d in metrics["dev"]]
    f1 = scalars["dev/micro/f1"]
    assert [e.step for e in f1] == dev_steps
    assert [round(e.value, 5) for e in f1] == [round(d["micro"]["f1"], 5) for d in metrics["dev"]]
    # the settings, as TensorBoard's hyperparameters of the run
    assert b"batch_size" in hparams and b"warmup_ratio" in hparams
    # logging is no setting of the model: its record is the same as without the option
    assert "log_with" not in metrics["config"]
    assert "log_with" not in json.loads((out / "settings.json").read_text())


def test_nothing_is_logged_unless_asked(tiny_xlmr, toy, tmp_path):
    out = tmp_path / "plain"
    res = _train(toy, tiny_xlmr, out, "--set", "train.epochs=1")
    assert res.exit_code == 0, res.output
    assert not (out / "logs").exists()
    assert tracking.accelerator_kwargs(None, out) == {}


def test_a_tracker_not_installed_fails_with_the_pip_line(tiny_xlmr, toy, tmp_path, monkeypatch):
    monkeypatch.setattr(tracking, "_available", lambda name: name == "tensorboard")
    res = _train(toy, tiny_xlmr, tmp_path / "w", "--log-with", "wandb")
    assert res.exit_code == 2
    assert "wandb package is not installed" in res.output and "pip install wandb" in res.output
    assert not (tmp_path / "w" / "model").exists()
    with pytest.raises(Exception, match="the wandb, mlflow packages are not installed"):
        tracking.trackers("all")

    # the pipeline says so before any stage runs, naming the key
    corpus = tmp_path / "c.jsonl"
    write_jsonl(corpus, [{**r, "translation": {"lang": "de", "text": " ".join(r["tokens"]),
                                               "tokens": r["tokens"]}} for r in toy_corpus(4, 3)])
    config = {"run_dir": str(tmp_path / "run"),
              "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "de"},
              "align": {"model": str(tiny_xlmr)}, "project": {},
              "selftrain": {"train": {"model": str(tiny_xlmr), "log_with": "mlflow"}}}
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    res = CliRunner().invoke(cli, ["run", str(path)])
    assert res.exit_code == 2, res.output
    assert "selftrain.train.log_with" in res.output and "pip install mlflow" in res.output
    assert not (tmp_path / "run" / "02-align").exists()


def test_hyperparameters_are_flat_scalars():
    hp = tracking.hyperparameters({"train": {"lr": 1e-3, "labels": ["PER", "LOC"],
                                             "max_steps": None, "freeze": True}, "rounds": 2})
    assert hp == {"train.lr": 1e-3, "train.labels": "PER,LOC", "train.max_steps": "none",
                  "train.freeze": True, "rounds": 2}


def test_align_train_log_with_tensorboard(tiny_bert, tmp_path):
    pytest.importorskip("tensorboard", reason="pip install tensorboard (the `track` extra)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from test_align_train import pair_lines
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("\n".join(pair_lines(24)) + "\n", encoding="utf-8")
    out = tmp_path / "ft"
    res = CliRunner().invoke(cli, [
        "align", "train", "--data", str(pairs), "--model", str(tiny_bert), "--output", str(out),
        "--set", "lr=1e-3", "--set", "batch_size=4", "--set", "max_steps=4", "--set", "layer=2",
        "--set", "seed=7", "--log-with", "tensorboard"])
    assert res.exit_code == 0, res.output
    scalars = {}
    for ev in (out / "logs").rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(ev.parent))
        acc.Reload()
        scalars.update({t: acc.Scalars(t) for t in acc.Tags()["scalars"]})
    losses = [t for t in scalars if t.startswith("train/loss/")]
    assert {"train/loss/so", "train/loss/co"} <= set(losses)
    assert [e.step for e in scalars["train/loss/so"]] == [1, 2, 3, 4]
    assert [e.step for e in scalars["train/lr"]] == [1, 2, 3, 4]
    record = json.loads((out / "xlie-train.json").read_text())
    assert "log_with" not in record["config"]
