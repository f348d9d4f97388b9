"""`xlie align train` with no settings: a run planned from the data size, pairs held out for
the loss (early stopping, best/), progress lines in a log, and Ctrl-C that stops at once and
resumes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from test_align_train import cfg_for, pair_lines

from xlie.aligners.training import load_train_config, train_aligner
from xlie.aligners.training.plan import (MAX_STEPS, MIN_STEPS, holdout_size, plan_run,
                                         should_stop, split_holdout)

REPO = Path(__file__).resolve().parents[1]


def test_plan_scales_length_and_lr_with_the_data():
    cfg = load_train_config(None, [])
    assert cfg.lr is None and cfg.epochs is None and cfg.max_steps is None
    assert cfg.freeze_embeddings and cfg.objectives.mlm == 0.01 and cfg.objectives.so == 1
    small = plan_run(cfg, steps_per_epoch=149)            # 1,188 pairs at batch 8
    assert (small.steps, small.lr) == (298, 1e-4)          # two epochs at 1e-4
    assert small.eval_every == 30
    tiny = plan_run(cfg, steps_per_epoch=13)                # 100 pairs: the floor
    assert tiny.steps == MIN_STEPS and tiny.lr == 1e-4
    big = plan_run(cfg, steps_per_epoch=125_000)            # a million pairs: the cap
    assert big.steps == MAX_STEPS and big.lr == pytest.approx(2e-5)   # the paper's lr
    mid = plan_run(cfg, steps_per_epoch=640)
    assert mid.steps == 1280 and 2e-5 < mid.lr < 1e-4
    set_ = plan_run(load_train_config(None, ["max_steps=50", "lr=3e-5", "eval_every=7"]), 149)
    assert (set_.steps, set_.lr, set_.eval_every) == (50, 3e-5, 7)
    assert plan_run(load_train_config(None, ["epochs=1"]), 149).steps == 149


def test_holdout_only_without_gold_and_within_bounds():
    cfg = load_train_config(None, [])
    assert holdout_size(cfg, 1250) == 62
    assert holdout_size(cfg, 100) == 0                     # 5 pairs tell nothing
    assert holdout_size(cfg, 1_000_000) == 200
    gold = load_train_config(None, ["eval_data=d", "eval_gold=g"])
    assert holdout_size(gold, 1250) == 0
    assert holdout_size(load_train_config(None, ["holdout=0.1", "eval_data=d", "eval_gold=g"]), 1250) == 125
    train, held = split_holdout(list(range(100)), 20, seed=3)
    assert len(held) == 20 and sorted(train + held) == list(range(100))
    assert split_holdout(list(range(100)), 20, seed=3) == (train, held)


def test_should_stop_after_patience_evals_without_improvement():
    assert not should_stop([1.0, 0.9, 0.8, 0.7], 2, 0.01)
    assert should_stop([1.0, 0.8, 0.799, 0.8], 2, 0.01)      # 0.799 is within 1% of 0.8
    assert not should_stop([1.0, 0.8, 0.799, 0.7], 2, 0.01)
    # negative losses (SO, CO are): improving means going further below zero
    assert not should_stop([-0.5, -0.6, -0.7], 1, 0.01)
    assert should_stop([-0.5, -0.6, -0.601], 1, 0.01)
    assert not should_stop([1.0, 2.0, 3.0], None, 0.01)


@pytest.fixture()
def many_pairs(tmp_path) -> Path:
    p = tmp_path / "pairs.txt"
    p.write_text("\n".join(pair_lines(60)) + "\n", encoding="utf-8")
    return p


def test_heldout_loss_chooses_best_and_stops_early(tiny_bert, many_pairs, tmp_path, capsys):
    out = tmp_path / "ft"
    # no gold: 18 pairs held out; min_delta 10 asks for a tenfold drop, so the second eval
    # after the first already fails it (patience 1) and the run stops at step 4 of 8
    res = train_aligner(cfg_for(tiny_bert, many_pairs, out, "max_steps=8", "eval_every=2",
                                "holdout=0.3", "patience=1", "min_delta=10"))
    assert res.heldout == 18 and res.pairs == 42 and res.selected_on == "heldout_loss"
    assert res.stopped_early and res.steps == 4
    assert [e["step"] for e in res.evals] == [2, 4]
    assert all(torch.isfinite(torch.tensor(e["heldout_loss"])) for e in res.evals)
    best = min(res.evals, key=lambda e: e["heldout_loss"])
    record = json.loads((out / "best" / "xlie-train.json").read_text())
    assert record["step"] == best["step"]
    final = json.loads((out / "xlie-train.json").read_text())
    assert final["heldout"] == 18 and final["stopped_early"] and "max_steps" in final["plan"]
    text = capsys.readouterr().out                          # stdout is no terminal here
    assert "18 held out" in text and "stopped at step 4 of 8" in text
    # a line per step (log_every=1) with the loss and the time left, one per eval
    assert "align train: step 3/8 (38%), loss " in text and "left" in text
    assert "align train: step 4: held-out loss " in text
    # without patience (the default) the run goes the whole budget
    res = train_aligner(cfg_for(tiny_bert, many_pairs, tmp_path / "all", "max_steps=8",
                                "eval_every=2", "holdout=0.3", "min_delta=10"))
    assert res.steps == 8 and not res.stopped_early


def test_held_out_loss_is_the_same_for_the_same_weights(tiny_bert, many_pairs):
    from xlie.aligners.training.data import Collator, read_pairs
    from xlie.aligners.training.eval import heldout_loss
    from xlie.aligners.training.model import AlignTrainingModel, load_mlm_model
    from xlie.models import load_tokenizer
    tok = load_tokenizer(str(tiny_bert))
    mlm, _ = load_mlm_model(str(tiny_bert))
    model = AlignTrainingModel(mlm, ["mlm", "tlm", "so", "psi", "co"], 2, 0.1, "softmax",
                               tok.mask_token_id, 0.15)
    pairs = read_pairs(many_pairs)[:9]                       # a lone last pair is left out
    w = {"mlm": 0.01, "tlm": 0.01, "so": 1, "psi": 1, "co": 1}
    a, b = (heldout_loss(model, Collator(tok), pairs, w, batch_size=4) for _ in range(2))
    assert a == b and model.training                         # no dropout, same masks; mode kept
    # the figure that chooses is that of the aligning objectives, SO and CO
    assert a["heldout_loss"] == pytest.approx(a["heldout_so"] + a["heldout_co"])
    assert {f"heldout_{k}" for k in w} <= set(a)


def test_select_on_heldout_loss_needs_held_out_pairs(tiny_bert, many_pairs, tmp_path):
    from xlie.errors import XlieError
    with pytest.raises(XlieError, match="held-out pairs"):
        train_aligner(cfg_for(tiny_bert, many_pairs, tmp_path / "o", "select=heldout_loss",
                              "holdout=0"))


TRAIN = [sys.executable, "-c", "import sys; from xlie.cli import main; sys.argv[0] = 'xlie'; main()"]


def _command(model: Path, data: Path, out: Path, steps: int) -> list[str]:
    # a constant lr, so that the length of the run does not change its steps
    return TRAIN + ["align", "train", "--data", str(data), "--model", str(model), "-o", str(out),
                    "--set", f"max_steps={steps}", "--set", "batch_size=4", "--set", "log_every=1",
                    "--set", "lr=1e-3", "--set", "schedule=constant", "--set", "seed=7",
                    "--set", "holdout=0", "--set", "eval_every=100000"]


def test_ctrl_c_stops_at_once_and_the_rerun_resumes(tiny_bert, many_pairs, tmp_path):
    """SIGINT to a run in progress: it exits within seconds with a checkpoint of its last
    complete step; the rerun resumes there and ends with the weights of a run never
    interrupted."""
    out = tmp_path / "cut"
    env = {**os.environ, "PYTHONPATH": str(REPO), "XLIE_PROGRESS": "0"}
    proc = subprocess.Popen(_command(tiny_bert, many_pairs, out, 100_000), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = out / "train-log.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()[0]
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    watchdog = threading.Timer(120, proc.kill)   # a lost Ctrl-C fails the test, never hangs it
    watchdog.start()
    lines, stopped = [], None
    for line in proc.stdout:          # the run says it stopped once its checkpoint is written
        lines.append(line)
        if "run the same command to resume" in line:
            stopped = time.monotonic() - sent
    proc.wait(timeout=60)
    watchdog.cancel()
    exited = time.monotonic() - sent
    text = "".join(lines)
    # on a busy machine the interpreter's own exit adds seconds: the bound is on the stop
    assert proc.returncode != 0 and stopped is not None and stopped < 5, (stopped, exited, text)
    saved = sorted((out / "checkpoints").glob("step-*"))
    assert len(saved) == 1 and (saved[0] / "trainer.json").exists()
    cut_at = json.loads((saved[0] / "trainer.json").read_text())["step"]
    assert cut_at >= 3
    assert not (out / "model.safetensors").exists()
    # the rerun resumes from that step
    end = cut_at + 5
    again = subprocess.run(_command(tiny_bert, many_pairs, out, end), env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"resuming from step {cut_at}" in again.stdout
    steps = [json.loads(x)["step"] for x in log.read_text().splitlines()]
    assert steps[-5:] == list(range(cut_at + 1, end + 1)) and steps[:3] == [1, 2, 3]
    full = tmp_path / "full"
    subprocess.run(_command(tiny_bert, many_pairs, full, end), env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    from safetensors.torch import load_file
    a, b = load_file(full / "model.safetensors"), load_file(out / "model.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_progress_lines_only_when_stdout_is_no_terminal():
    import io
    from xlie.aligners.training.report import ProgressLines

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, steps_shown in ((io.StringIO(), True), (Terminal(), False)):
        lines = ProgressLines(total=20, start=0, every=10, enabled=True, stream=stream)
        for step in range(1, 21):
            lines.step(step, {"so": -0.5, "psi": 0.7}, {"so": 1.0, "psi": 1.0}, 1e-4)
        lines.evaluation(20, {"heldout_loss": 0.25}, "heldout_loss", best=True)
        text = stream.getvalue()
        assert ("step 10/20 (50%), loss 0.2000 (so -0.500 psi 0.700)" in text) == steps_shown
        assert ("step 5/20" in text) is False
        assert "step 20: held-out loss 0.2500 (best heldout loss so far)" in text   # always
