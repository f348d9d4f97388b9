"""The GPU check of issue 37 (run by ``benchmarks/gpu_check.sh``): on whatever device is
there, `xlie align` pairs/s in fp32 and bf16 on e5-small and on an encoder of
xlm-roberta-large's shape with random weights (no hub), tagger / parser / relation training
steps/s, and tagger predict sentences/s; one RESULTS.md section naming the device.

Every part is timed after a warm-up (CUDA kernels, allocator) and runs on its own: a part
that fails writes its error into the table and the rest go on. ``--quick`` shrinks every
size so the whole check runs in a few CPU minutes (the dry run of the script itself; its
figures are not GPU figures).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
TEST_DATA = REPO / "tests" / "data"

LARGE = dict(num_hidden_layers=24, hidden_size=1024, num_attention_heads=16,
             intermediate_size=4096)                     # xlm-roberta-large
QUICK_LARGE = dict(num_hidden_layers=4, hidden_size=128, num_attention_heads=4,
                   intermediate_size=256)


def sync() -> None:
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def pairs(n: int) -> list[tuple[list[str], list[str]]]:
    """``n`` en-cs pairs from the repository (the held-out slice and training text, repeated)."""
    lines = []
    for name in ("heldout.src-tgt", "train.src-tgt"):
        lines += (TEST_DATA / "encs" / name).read_text(encoding="utf-8").splitlines()
    out = []
    for k in range(n):
        src, tgt = lines[k % len(lines)].split(" ||| ")
        out.append((src.split(), tgt.split()))
    return out


def random_large(tmp: Path, quick: bool) -> Path:
    """An XLM-R encoder directory of xlm-roberta-large's shape, random weights, with e5-small's
    tokenizer (XLM-R's 250,002 pieces)."""
    import torch
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel
    from xlie.models import build_builtin
    tok = AutoTokenizer.from_pretrained(str(build_builtin("e5-small")))
    shape = QUICK_LARGE if quick else LARGE
    cfg = XLMRobertaConfig(vocab_size=len(tok), max_position_embeddings=514,
                           pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id,
                           eos_token_id=tok.sep_token_id, **shape)
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = XLMRobertaModel(cfg, add_pooling_layer=False)
    out = tmp / "xlmr-large-random"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def align_rate(model: str, dtype: str, n: int, layer: int | None) -> dict:
    """pairs/s of ``Aligner.align_pairs`` (what `xlie align` runs), after a warm-up batch."""
    from xlie.aligners import Aligner
    al = Aligner(model, dtype=dtype, layer=layer, token_budget=16384 if n > 1000 else 8192)
    data = pairs(n)
    al.align_pairs(data[:256])
    sync()
    t0 = time.perf_counter()
    res = al.align_pairs(data)
    sync()
    secs = time.perf_counter() - t0
    assert len(res) == n
    return {"value": n / secs, "unit": "pairs/s", "n": n, "seconds": secs}


class StepClock:
    """Times training steps through the trainers' ``on_step`` hook; the first ``skip`` steps
    (warm-up) are left out."""

    def __init__(self, skip: int = 2):
        self.skip, self.times = skip, []

    def __call__(self, step: int, loss: float) -> None:
        sync()
        self.times.append(time.perf_counter())

    def rate(self) -> dict:
        t = self.times[min(self.skip, max(0, len(self.times) - 3)):]
        if len(t) < 2:
            raise RuntimeError(f"only {len(self.times)} steps were timed")
        return {"value": (len(t) - 1) / (t[-1] - t[0]), "unit": "steps/s", "n": len(t) - 1,
                "seconds": t[-1] - t[0]}


def tagger_steps(tmp: Path, steps: int, batch: int) -> tuple[dict, Path]:
    from xlie.selftrain import TrainConfig, train
    clock = StepClock()
    cfg = TrainConfig(model="e5-small", task="ner", max_steps=steps, batch_size=batch,
                      checkpoint_every=100000, dev_fraction=0.0)
    result = train([TEST_DATA / "europarl-ner" / "en.conll02"], tmp / "tagger", cfg,
                   on_step=clock, resume=False)
    return clock.rate(), Path(result.model_dir)


def parser_steps(tmp: Path, steps: int, batch: int) -> dict:
    from xlie.formats.conllu import read_conllu
    from xlie.selftrain.config import TaggerTrainConfig
    from xlie.selftrain.parser_train import train_parser
    clock = StepClock()
    gold = list(read_conllu(TEST_DATA / "pud" / "en.conllu"))
    cfg = TaggerTrainConfig(model="e5-small", task="dep", max_steps=steps, batch_size=batch,
                            dev_fraction=0.0)
    train_parser(gold, tmp / "parser", cfg, on_step=clock, resume=False)
    return clock.rate()


def relation_steps(tmp: Path, steps: int, batch: int) -> dict:
    """The relation trainer has no step hook: steps/s of the whole ``train_relation`` call
    (load and feature cache included, so a lower bound)."""
    from xlie.selftrain.config import TaggerTrainConfig
    from xlie.selftrain.relation import train_relation
    cfg = TaggerTrainConfig(model="e5-small", task="relation", max_steps=steps,
                            batch_size=batch, dev_fraction=0.0)
    sync()
    t0 = time.perf_counter()
    _, metrics = train_relation([TEST_DATA / "relx" / "en.txt"], tmp / "relation", cfg)
    sync()
    secs = time.perf_counter() - t0
    done = int(metrics.get("step", steps))
    return {"value": done / secs, "unit": "steps/s (whole call)", "n": done, "seconds": secs}


def predict_rate(model_dir: Path, dtype: str, n: int) -> dict:
    from xlie.formats.detect import read_any
    from xlie.selftrain.predict import Tagger
    sents = [s.tokens for s in read_any(TEST_DATA / "europarl-ner" / "en.conll02") if s.tokens]
    words = [sents[k % len(sents)] for k in range(n)]
    tagger = Tagger.load(model_dir, dtype=dtype, batch_size=64)
    tagger.predict_words(words[:64])
    sync()
    t0 = time.perf_counter()
    tagger.predict_words(words)
    sync()
    secs = time.perf_counter() - t0
    return {"value": n / secs, "unit": "sentences/s", "n": n, "seconds": secs}


def device_name() -> str:
    import torch
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        return f"{torch.cuda.get_device_name(0)} ({p.total_memory / 2**30:.0f} GiB)"
    return "CPU only (dry run)"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a CPU dry run")
    ap.add_argument("--section", default=None, help="default gpu-check (gpu-check-dry-run "
                    "with --quick)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    import torch
    if not torch.cuda.is_available():
        torch.set_num_threads(1)
    q = args.quick
    n_align, n_large = (64, 32) if q else (20000, 4000)
    steps, batch = (8, 4) if q else (60, 16)
    n_pred = 64 if q else 5000
    rows: list[dict] = []

    def part(name: str, fn, *a):
        t0 = time.perf_counter()
        try:
            out = fn(*a)
        except Exception as e:                      # noqa: BLE001 - report and go on
            traceback.print_exc()
            out = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"}
        rows.append({"part": name, **(out if isinstance(out, dict) else out[0]),
                     "part_s": time.perf_counter() - t0})
        print(json.dumps(rows[-1]), flush=True)
        return out

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for dtype in ("fp32", "bf16"):
            part(f"align e5-small {dtype}", align_rate, "e5-small", dtype, n_align, None)
        large = None
        try:
            large = random_large(tmp, q)
        except Exception as e:                      # noqa: BLE001
            rows.append({"part": "build xlmr-large-shape", "error": str(e)[:120]})
        if large is not None:
            layer = 16 if not q else 3
            for dtype in ("fp32", "bf16"):
                part(f"align xlmr-large-shape (random) L{layer} {dtype}", align_rate, str(large),
                     dtype, n_large, layer)
        tagged = part("train tagger (e5-small, NER)", tagger_steps, tmp, steps, batch)
        part("train parser (e5-small)", parser_steps, tmp, steps, batch)
        part("train relations (e5-small)", relation_steps, tmp, steps, batch)
        if isinstance(tagged, tuple):
            for dtype in ("fp32", "bf16"):
                part(f"predict tagger {dtype}", predict_rate, tagged[1], dtype, n_pred)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    from results import machine, publish, table
    lines = [[r["part"], f"{r['value']:.1f}" if "value" in r else "-", r.get("unit", "-"),
              r.get("n", "-"), f"{r['seconds']:.1f}" if "seconds" in r else "-",
              r.get("error", "")] for r in rows]
    section = args.section or ("gpu-check-dry-run" if q else "gpu-check")
    text = (f"## GPU check (issue 37): {device_name()}\n\n"
            f"`bash benchmarks/gpu_check.sh{' --quick' if q else ''}`: align = "
            "`Aligner.align_pairs` (what `xlie align` runs) on en-cs pairs from tests/data, after "
            "a warm-up of 256 pairs; e5-small at its layer 7, and an XLM-R encoder of "
            "xlm-roberta-large's shape (24 layers, 1024 wide) with random weights at layer 16 "
            "(speed only). Training: optimizer steps/s after 2 warm-up steps (tagger NER on "
            "Europarl en, parser on PUD en, batch 16, mixed precision auto; relations: the "
            "whole call on RELX en). Predict: the trained tagger's `predict_words`, batch 64."
            + (" **--quick: tiny sizes on the CPU, a dry run of the script; not GPU figures.**"
               if q else "") + "\n\n"
            + table(["part", "rate", "unit", "items", "timed s", "error"], lines)
            + f"\n\nMachine: {machine()}.\n")
    publish(section, text, write=not args.no_write)


if __name__ == "__main__":
    main()
