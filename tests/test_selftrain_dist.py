"""Two training processes on CPU (gloo) under `accelerate launch`: one code path for CPU,
one GPU and many processes."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from test_selftrain_train import toy_corpus
from xlie.formats.jsonl import write_jsonl

SCRIPT = """
import sys
from xlie.selftrain import train_settings, train
cfg = train_settings(model=sys.argv[1], epochs=1, batch_size=4, lr=1e-3, checkpoint_every=2)
train([sys.argv[2]], sys.argv[3], cfg, dev=sys.argv[4])
"""


def free_port() -> str:
    """A port nothing listens on now (a fixed one collides with any other run on the machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def test_two_cpu_processes_under_accelerate_launch(tiny_xlmr, tmp_path):
    write_jsonl(tmp_path / "train.jsonl", toy_corpus(24, 0))
    write_jsonl(tmp_path / "dev.jsonl", toy_corpus(6, 1))
    (tmp_path / "job.py").write_text(SCRIPT)
    launcher = Path(sys.executable).with_name("accelerate")
    # `--cpu` alone starts one process; `--multi_gpu` starts torchrun workers, which xlie
    # joins over gloo when there is no CUDA
    cmd = [str(launcher), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", free_port(),
           str(tmp_path / "job.py"), str(tiny_xlmr), str(tmp_path / "train.jsonl"),
           str(tmp_path / "out"), str(tmp_path / "dev.jsonl")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    # a failing rank's own traceback comes first, the launcher's summary last: show both
    assert res.returncode == 0, res.stderr[:3000] + "\n...\n" + res.stderr[-2000:]
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert m["processes"] == 2
    # 24 sentences over 2 processes in batches of 4: 3 steps, each on 8 sentences
    assert m["step"] == 3 and len(m["dev"]) == 1
    ckpt = tmp_path / "out" / "checkpoint"
    assert (ckpt / "random_states_0.pkl").exists() and (ckpt / "random_states_1.pkl").exists()
    from xlie.selftrain import Tagger
    (pred,) = Tagger.load(tmp_path / "out" / "model", device="cpu").predict_words([["Anna", "lives"]])
    assert len(pred.labels) == 2
