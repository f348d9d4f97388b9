"""Two CPU processes under `accelerate launch` (gloo): the same training code path as one
process or many GPUs; one model directory comes out."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from test_align_train import pair_lines


def test_two_process_cpu_run_saves_one_model(tiny_bert, tmp_path):
    data = tmp_path / "pairs.txt"
    data.write_text("\n".join(pair_lines(16)) + "\n", encoding="utf-8")
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "XLIE_PROGRESS": "0"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "-m", "xlie.cli.align_train", "--data", str(data), "--model", str(tiny_bert),
           "-o", str(out), "--set", "batch_size=2", "--set", "max_steps=3",
           "--set", "save_every=2", "--set", "log_every=1"]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads((out / "xlie-train.json").read_text())
    assert record["step"] == 3
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    # exactly one model written per save: no per-rank copies, no half-written checkpoint
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-0000003"]
    assert [json.loads(x)["step"] for x in (out / "train-log.jsonl").read_text().splitlines()] == [1, 2, 3]
    assert "trained 3 steps on 16 pairs" in run.stderr
