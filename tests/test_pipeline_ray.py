"""engine: ray runs the batch stages as Ray Data map_batches with byte-identical output."""
from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest
import yaml

ray = pytest.importorskip("ray")

from xlie.pipeline import load_config, run_pipeline  # noqa: E402


@pytest.fixture
def local_ray():
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_and_local_engines_write_identical_bytes(tmp_path, tiny_xlmr, local_ray):
    corpus = tmp_path / "corpus.jsonl"
    from xlie.pipeline.config import resolve_path
    with open(resolve_path("xlie:data/demo/en-de.train.jsonl"), encoding="utf-8") as f:
        corpus.write_text("".join(islice(f, 40)), encoding="utf-8")
    runs = {}
    for engine in ("local", "ray"):
        data = {"run_dir": str(tmp_path / engine), "engine": engine, "shard_size": 12,
                "input": {"corpus": str(corpus)},
                "align": {"model": str(tiny_xlmr), "batch_size": 5},
                "project": {"batch_size": 7}}
        path = tmp_path / f"{engine}.yaml"
        path.write_text(yaml.safe_dump(data))
        result = run_pipeline(load_config(path))
        assert [s.status for s in result.stages] == ["ran"] * len(result.stages)
        runs[engine] = result
    files = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*.jsonl"))
    assert {Path("02-align/aligned.jsonl"), Path("03-project/silver.jsonl")} <= set(files)
    for rel in files:
        assert (tmp_path / "local" / rel).read_bytes() == (tmp_path / "ray" / rel).read_bytes(), rel
    lines = (tmp_path / "ray" / "02-align" / "aligned.jsonl").read_text().splitlines()
    assert len(lines) == 40 and all(json.loads(x)["alignment"] for x in lines[1:])
    man = json.loads((tmp_path / "ray" / "02-align" / "manifest.json").read_text())
    assert man["engine"] == "ray" and man["counts"]["records_in"] == 40
    assert [s.counts for s in runs["ray"].stages] == [s.counts for s in runs["local"].stages]
