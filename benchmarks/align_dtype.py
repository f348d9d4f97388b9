"""`xlie align --dtype` on CPU: whole-process speed and peak memory against a whole fp32
bare-forward process through the same layer, on the same pairs, and the AER of each setting
on the en-cs gold.

Each row is one fresh process, timed from the outside (wall clock, and the child's CPU
seconds and peak RSS from ``wait4``): python start, imports, model load, tokenizing,
forward, extraction, writing. ``bare:fp32`` is the limit of issue 37's target: tokenize
both sides, sort by length, batch by 8192 padded tokens, forward through the first L
layers (the same loop as ``align_speed.py``), nothing else. ``xlie:DTYPE`` is the CLI,
``xlie align IN OUT --dtype DTYPE --threads T``; ``xlie:int8`` runs OpenVINO's int8 (what
``--dtype int8`` runs). The alternatives measured beside it, by the same command:
``xlie:int8-ort``, ONNX Runtime's dynamic int8 (``ort_int8.py``, the choice before), and
``xlie:int8-torch``, PyTorch's dynamic int8 (``models.quantize.quantize_linear_int8``).
Each int8 encoder is built once before the timed runs (OpenVINO's build time is reported).

    XLIE_HOME=/tmp/xh .venv/bin/python benchmarks/align_dtype.py --pairs 500 --aer-pairs 2501
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from align_data import MODEL, aer, load_pairs  # noqa: E402
from batches import length_batches  # noqa: E402

SETTINGS = ["bare:fp32", "bare:bf16", "xlie:fp32", "xlie:bf16", "xlie:int8", "xlie:int8-ort",
            "xlie:int8-torch"]


def bare(pairs_file: Path, layer: int, dtype: str, budget: int = 8192) -> None:
    """The limit: a batched forward through the first ``layer`` layers, nothing else."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(MODEL))
    kw = {"dtype": torch.bfloat16} if dtype == "bf16" else {}
    model = AutoModel.from_pretrained(str(MODEL), **kw).eval()
    model.encoder.layer = model.encoder.layer[:layer]
    sents = []
    for line in pairs_file.read_text(encoding="utf-8").splitlines():
        src, tgt = line.split(" ||| ")
        sents += [src.split(" "), tgt.split(" ")]
    ids = tok(sents, is_split_into_words=True)["input_ids"]
    with torch.inference_mode():
        for x, mask in length_batches(ids, tok.pad_token_id, budget):
            model(input_ids=x, attention_mask=mask).last_hidden_state.float()


def xlie_cli(args: list[str], int8: str = "int8") -> None:
    """The CLI in this process; ``int8``: ``int8-torch`` runs PyTorch's dynamic int8 and
    ``int8-ort`` ONNX Runtime's (``ort_int8.py``) instead of OpenVINO's."""
    if int8 == "int8-torch":
        from xlie.aligners.encoder import Encoder
        Encoder._load_int8 = lambda self, *a: False     # -> for_inference(model, "int8")
    if int8 == "int8-ort":
        from ort_int8 import use_ort_int8
        use_ort_int8()
    from xlie.cli import cli
    cli.main(args, prog_name="xlie", standalone_mode=True)


def run(setting: str, pairs_file: Path, out: Path, layer: int, threads: int) -> dict:
    """One fresh process; wall, CPU and peak RSS of the whole of it."""
    kind, _, dtype = setting.partition(":")
    cmd = [sys.executable, __file__, "--worker", setting, "--in", str(pairs_file),
           "--out", str(out), "--layer", str(layer), "--threads", str(threads)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "XLIE_PROGRESS": "0"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        return {"setting": setting, "error": err.strip().splitlines()[-1:]}
    warnings = [line for line in err.splitlines() if line.startswith("warning: could not")]
    return {"setting": setting, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "warnings": warnings}


def worker(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    kind, _, dtype = args.worker.partition(":")
    if kind == "bare":
        bare(args.input, args.layer, dtype)
        return
    real = "int8" if dtype.startswith("int8") else dtype
    xlie_cli(["align", str(args.input), str(args.out), "--dtype", real, "--layer", str(args.layer),
              "--threads", str(args.threads), "--device", "cpu"], int8=dtype)


def score(out: Path, gold) -> dict:
    pred = []
    for line in out.read_text(encoding="utf-8").splitlines():
        pred.append({tuple(int(x) for x in tok.split("-")) for tok in line.split()})
    return aer(pred, gold)


def write_pairs(path: Path, pairs) -> None:
    path.write_text("".join(" ".join(s) + " ||| " + " ".join(t) + "\n" for s, t in pairs),
                    encoding="utf-8")


def build_int8(tmp: Path, pairs, layer: int, threads: int, settings: list[str]) -> float:
    """Build each int8 encoder once (outside the timed runs); seconds OpenVINO's took, 0 if
    it was built already."""
    from xlie.models.int8_encoder import int8_path
    built = int8_path("e5-small", str(MODEL), layer).is_file()
    write_pairs(tmp / "warm.txt", pairs[:3])
    seconds = 0.0
    for setting in ("xlie:int8", "xlie:int8-ort"):
        if setting in settings:
            r = run(setting, tmp / "warm.txt", tmp / "warm.out", layer, threads)
            if setting == "xlie:int8" and not built:
                seconds = r.get("wall_s", float("nan"))
    return seconds


def report(rows: list[dict], n: int, n_aer: int, layer: int, threads: int, build_s: float) -> str:
    from results import machine, table
    ok = {(r["setting"], r["n"]): r for r in rows if "error" not in r}
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["setting"], r["n"], "error: " + " ".join(r["error"])[:100]] + ["-"] * 7)
            continue
        base = ok.get(("bare:fp32", r["n"]))
        fp32 = ok.get(("xlie:fp32", r["n"]))
        a = r.get("aer")
        lines.append([
            r["setting"], r["n"], f"{r['cpu_s']:.1f}", f"{r['wall_s']:.1f}",
            f"{base['cpu_s'] / r['cpu_s']:.2f}" if base else "-",
            f"{base['wall_s'] / r['wall_s']:.2f}" if base else "-",
            f"{r['peak_mb']:.0f}", f"{r['peak_mb'] / base['peak_mb']:.2f}" if base else "-",
            f"{a['aer']:.2f}" if a else "-",
            f"{a['aer'] - fp32['aer']['aer']:+.2f}" if a and fp32 and fp32.get("aer") else "-"])
    return (
        f"## Alignment precision on CPU: fp32, bf16, int8 against a whole fp32 bare forward\n\n"
        f"`benchmarks/align_dtype.py --pairs {n} --aer-pairs {n_aer}`: e5-small, layer {layer}, "
        f"{threads} thread(s), the first {n} en-cs gold pairs (speed) and all {n_aer} (speed "
        "again, and AER: gold 1-indexed, every link sure). Each row is one whole process timed "
        "from outside: start, imports, load, tokenize, forward, (xlie: extraction and writing). "
        "`bare:*` is a batched forward through the first layers only, the limit of issue 37; "
        "`xlie:*` is `xlie align IN OUT --dtype ...`; `xlie:int8` is OpenVINO's int8 "
        "(NNCF post-training quantization of weights and activations, calibrated on xlie's "
        "bundled sample text; the rest in OpenVINO's default precision for the CPU), "
        "`xlie:int8-ort` ONNX Runtime's dynamic int8 (per-channel weights, the FFN down "
        "projections kept fp32; `benchmarks/ort_int8.py`), `xlie:int8-torch` PyTorch's "
        "dynamic int8 on every Linear (per-channel): the alternatives. "
        "Each int8 encoder is built once, on first use, before the timed runs"
        + (f" (OpenVINO's here in {build_s:.0f} s wall: export, calibration and quantization)"
           if build_s else " (already built here; about 60 s wall on first use, export, "
           "calibration and quantization)")
        + ". x bare = the fp32 bare process's CPU (wall) seconds / this row's, on the same "
        "pairs; memory = peak RSS of the whole process. ΔAER against xlie fp32.\n\n"
        + table(["setting", "pairs", "CPU s", "wall s", "x bare (CPU)", "x bare (wall)",
                 "peak MiB", "memory / bare", "AER", "ΔAER"], lines)
        + f"\n\nMachine: {machine()}. The machine is shared with other sessions (2 cores for "
        "up to five people): wall time moves with their load, CPU seconds much less; "
        "compare rows of one run.\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--in", dest="input", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--layer", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--aer-pairs", type=int, default=2501, help="0: no AER runs")
    ap.add_argument("--settings", default=",".join(SETTINGS))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--section", default="align-dtype")
    ap.add_argument("--render", type=Path, help="only write the section of an earlier --json")
    ap.add_argument("--reading", type=Path, help="a Markdown file appended to the section")
    ap.add_argument("--build-seconds", type=float, default=0.0, help="with --render")
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return
    if args.render:
        import torch
        torch.set_num_threads(args.threads)     # the machine line reports it
        from results import publish
        text = report(json.loads(args.render.read_text()), args.pairs, args.aer_pairs,
                      args.layer, args.threads, args.build_seconds)
        if args.reading:
            text += "\n" + args.reading.read_text(encoding="utf-8")
        publish(args.section, text, write=not args.no_write)
        return
    import torch
    torch.set_num_threads(args.threads)
    pairs, gold = load_pairs()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        build_s = build_int8(tmp, pairs, args.layer, args.threads, args.settings.split(","))
        sizes = [args.pairs] + ([args.aer_pairs] if args.aer_pairs else [])
        for n in sizes:
            write_pairs(tmp / f"in{n}.txt", pairs[:n])
            for setting in args.settings.split(","):
                out = tmp / f"{setting.replace(':', '-')}-{n}.txt"
                r = {**run(setting, tmp / f"in{n}.txt", out, args.layer, args.threads), "n": n}
                if setting.startswith("xlie") and "error" not in r and n == args.aer_pairs:
                    r["aer"] = score(out, gold[:n])
                rows.append(r)
                print(json.dumps(r), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    from results import publish
    publish(args.section, report(rows, args.pairs, args.aer_pairs, args.layer, args.threads,
                                 build_s), write=not args.no_write)


if __name__ == "__main__":
    main()
