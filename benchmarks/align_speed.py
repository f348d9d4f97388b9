"""Throughput (pairs/s) and peak memory of xlie's aligner, awesome-align's and SimAlign's code,
and the limit: a bare batched forward of the encoder through its first L layers.

Every measurement runs in a fresh subprocess (``--worker``), so its peak RSS
(``getrusage``) is its own; memory growth is the peak minus the RSS right after loading, at
two corpus sizes (flat = it does not grow with the number of pairs). Same thread count for all.

    XLIE_HOME=/tmp/xh .venv/bin/python benchmarks/align_speed.py              # ~25 min on 2 cores
    ... align_speed.py --sizes 300 --tools bare,xlie:softmax --no-write        # quick look
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from align_data import MODEL, load_pairs  # noqa: E402
from batches import length_batches  # noqa: E402

XLIE_METHODS = ["softmax", "entmax", "ot", "argmax", "itermax", "match"]
DEFAULT_TOOLS = ["bare"] + [f"xlie:{m}" for m in XLIE_METHODS] + ["xlie-stream:softmax", "awesome", "simalign"]


def rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def reset_peak() -> None:
    """Forget the peak RSS of model loading (Linux: writing 5 to clear_refs resets VmHWM), so
    the peak read afterwards is that of aligning."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak RSS since the last ``reset_peak`` (VmHWM), else since the start (getrusage)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(n: int):
    """The first ``n`` gold pairs, the set repeated when ``n`` is larger than it."""
    pairs, _ = load_pairs()
    return [pairs[k % len(pairs)] for k in range(n)]


def bare_forward(pairs, layer: int, budget: int = 8192) -> dict:
    """The limit: tokenize both sides, sort by length, batch by padded-token budget, run
    only the first ``layer`` layers. Nothing else."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(MODEL))
    model = AutoModel.from_pretrained(str(MODEL)).eval()
    model.encoder.layer = model.encoder.layer[:layer]
    loaded = rss_mb()
    reset_peak()
    load_cpu = time.process_time()
    t0 = time.perf_counter()
    sents = [s for s, _ in pairs] + [t for _, t in pairs]
    ids = tok(sents, is_split_into_words=True)["input_ids"]             # with specials
    t_fwd = 0.0
    with torch.inference_mode():
        for x, mask in length_batches(ids, tok.pad_token_id, budget):
            t = time.perf_counter()
            model(input_ids=x, attention_mask=mask).last_hidden_state   # (B, T, H)
            t_fwd += time.perf_counter() - t
    return {"seconds": time.perf_counter() - t0, "forward_seconds": t_fwd, "loaded_mb": loaded,
            "cpu_seconds": time.process_time() - load_cpu}


def run_xlie(pairs, layer: int, method: str, stream: bool) -> dict:
    import xlie.aligners.encoder as enc_mod
    from xlie.aligners import Aligner
    encode, spent = enc_mod.Encoder.encode, [0.0]

    def timed(self, *a, **kw):                     # time the encoder's share, change nothing
        t = time.perf_counter()
        out = encode(self, *a, **kw)
        spent[0] += time.perf_counter() - t
        return out
    enc_mod.Encoder.encode = timed
    al = Aligner("e5-small", layer=layer, extraction=method)
    loaded = rss_mb()
    reset_peak()
    load_cpu = time.process_time()
    t0 = time.perf_counter()
    n = sum(1 for _ in al.iter_align(pairs)) if stream else len(al.align_pairs(pairs))
    assert n == len(pairs)
    return {"seconds": time.perf_counter() - t0, "encode_seconds": spent[0], "loaded_mb": loaded,
            "cpu_seconds": time.process_time() - load_cpu}


def run_awesome(pairs, layer: int) -> dict:
    """awesome-align's own ``word_align`` (its CLI's loop: dataset, collate, batch 32,
    get_aligned_word, writers), num_workers 0 (2 shared cores)."""
    import tempfile
    from argparse import Namespace
    import reference_aligners as ref
    from awesome_align.run_align import word_align
    model, tok = ref.load_awesome(MODEL)
    loaded = rss_mb()
    reset_peak()
    load_cpu = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in.txt"
        data.write_text("".join(" ".join(s) + " ||| " + " ".join(t) + "\n" for s, t in pairs), encoding="utf-8")
        args = Namespace(data_file=str(data), output_file=str(Path(tmp) / "out.txt"), align_layer=layer,
                         extraction="softmax", softmax_threshold=1e-3, output_prob_file=None,
                         output_word_file=None, batch_size=32, num_workers=0, device="cpu")
        t0 = time.perf_counter()
        word_align(args, model, tok)
        secs, cpu = time.perf_counter() - t0, time.process_time() - load_cpu
        n = len((Path(tmp) / "out.txt").read_text(encoding="utf-8").splitlines())
    assert n == len(pairs), (n, len(pairs))
    return {"seconds": secs, "loaded_mb": loaded, "cpu_seconds": cpu}


def run_simalign(pairs, layer: int) -> dict:
    import reference_aligners as ref
    al = ref.load_simalign(MODEL, layer=layer, methods="mai")
    loaded = rss_mb()
    reset_peak()
    load_cpu = time.process_time()
    t0 = time.perf_counter()
    for s, t in pairs:
        al.get_word_aligns(s, t)
    return {"seconds": time.perf_counter() - t0, "loaded_mb": loaded, "cpu_seconds": time.process_time() - load_cpu}


def worker(tool: str, n: int, layer: int, threads: int) -> dict:
    import torch
    torch.set_num_threads(threads)
    pairs = corpus(n)
    name, _, method = tool.partition(":")
    if name == "bare":
        out = bare_forward(pairs, layer)
    elif name in ("xlie", "xlie-stream"):
        out = run_xlie(pairs, layer, method, stream=name == "xlie-stream")
    elif name == "awesome":
        out = run_awesome(pairs, layer)
    elif name == "simalign":
        out = run_simalign(pairs, layer)
    else:
        raise SystemExit(f"unknown tool {tool}")
    # CPU seconds of the timed part: on a shared machine wall time moves with other people's
    # load; one thread's CPU time much less.
    return {"tool": tool, "pairs": n, **out, "pairs_per_s": n / out["seconds"],
            "pairs_per_cpu_s": n / out["cpu_seconds"], "peak_mb": peak_mb()}


def measure(tool: str, n: int, layer: int, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, "--n", str(n), "--layer", str(layer),
           "--threads", str(threads)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode or not lines:
        tail = (r.stderr.strip().splitlines() or ["?"])[-1]
        return {"tool": tool, "pairs": n, "error": f"exit {r.returncode}: {tail}"}
    return json.loads(lines[-1])


def sizes_for(tool: str, args) -> list[int]:
    if tool.startswith("simalign"):
        return args.slow_sizes
    if tool.startswith("xlie-stream"):
        return args.stream_sizes
    if tool.startswith("xlie:") and tool != "xlie:softmax":
        return args.sizes[:1]          # methods compared at one size; softmax also scales
    return args.sizes


def report(rows: list[dict], layer: int, threads: int) -> str:
    from results import machine, table
    # the bracketing bare runs: keep the faster of each size (least disturbed by others)
    bare = [r for r in rows if r["tool"] == "bare" and "error" not in r]
    rows = [r for r in rows if r["tool"] != "bare"] + [
        max((r for r in bare if r["pairs"] == n), key=lambda r: r["pairs_per_cpu_s"])
        for n in sorted({r["pairs"] for r in bare})]
    ok = [r for r in rows if "error" not in r]
    same_n = lambda tool, n: next((x for x in ok if x["tool"] == tool and x["pairs"] == n), None)  # noqa: E731
    speed = []
    for r in sorted(ok, key=lambda r: (r["pairs"], r["tool"] != "bare")):
        bare, soft = same_n("bare", r["pairs"]), same_n("xlie:softmax", r["pairs"])
        extract = r["seconds"] - r["encode_seconds"] if "encode_seconds" in r else None
        speed.append([r["tool"], r["pairs"], f"{r['pairs_per_cpu_s']:.1f}",
                      f"{r['pairs_per_cpu_s'] / bare['pairs_per_cpu_s']:.2f}" if bare else "-",
                      f"{r['cpu_seconds'] / soft['cpu_seconds']:.2f}" if soft and r["tool"].startswith("xlie") else "-",
                      f"{extract / r['pairs'] * 1000:.2f}" if extract is not None else "-",
                      f"{r['pairs_per_s']:.1f}"])
    mem = []
    for tool in dict.fromkeys(r["tool"] for r in rows):
        for r in [x for x in rows if x["tool"] == tool]:
            if "error" in r:
                mem.append([tool, r["pairs"], "-", "-", "-", r["error"][:120]])
            else:
                mem.append([tool, r["pairs"], f"{r['loaded_mb']:.0f}", f"{r['peak_mb']:.0f}",
                            f"{r['peak_mb'] - r['loaded_mb']:.0f}", f"{r['pairs_per_cpu_s']:.1f} pairs/CPU-s"])
    return (f"## Alignment speed and memory: xlie vs awesome-align, SimAlign and a bare forward\n\n"
            f"`benchmarks/align_speed.py`: en-cs gold pairs (repeated past 2,501), e5-small, layer {layer}, "
            f"{threads} torch thread(s) for every tool, each run in a fresh process. `bare` = tokenize both "
            f"sides, sort by length, batch by 8192 padded tokens, forward through the first {layer} layers "
            f"only: the limit for any aligner on this encoder. awesome-align: its own `word_align` loop "
            f"(batch 32, num_workers 0); SimAlign: `get_word_aligns` per pair, methods `mai`, bpe. "
            f"xlie `align_pairs` holds a list; `xlie-stream` is `iter_align` (chunks of 2048).\n\n"
            + "Throughput is pairs per CPU-second of the timed part (one thread; on this shared machine "
            "wall time moved 3x with other people's load within minutes); wall-clock pairs/s is shown last.\n\n"
            + table(["tool", "pairs", "pairs/CPU-s", "x bare", "CPU time / xlie softmax",
                     "extraction ms/pair (wall)", "pairs/s (wall)"], speed)
            + "\n\nMemory (RSS, MiB): after loading, peak while aligning (the peak counter is reset after loading), and growth = peak - loaded, per corpus size:\n\n"
            + table(["tool", "pairs", "loaded", "peak", "growth", "speed"], mem)
            + f"\n\nMachine: {machine()}. Throughput moves with the machine's load; compare "
            f"rows of one run, not runs.\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=500, help=argparse.SUPPRESS)
    ap.add_argument("--layer", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tools", default=",".join(DEFAULT_TOOLS))
    ap.add_argument("--sizes", default="200,600", help="corpus sizes for most tools")
    ap.add_argument("--stream-sizes", default="200,600,1200", help="sizes for xlie-stream")
    ap.add_argument("--slow-sizes", default="50,100", help="sizes for SimAlign (one pair per forward)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--render", type=Path, default=None, help="only write the section of an earlier --json dump")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--section", default="align-speed", help="RESULTS.md section to write")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.layer, args.threads)), flush=True)
        return
    if args.render:
        import torch
        torch.set_num_threads(args.threads)     # the machine line reports it
        from results import write_section
        text = report(json.loads(args.render.read_text()), args.layer, args.threads)
        print(text)
        write_section(args.section, text)
        return
    for k in ("sizes", "stream_sizes", "slow_sizes"):
        setattr(args, k, [int(x) for x in getattr(args, k).split(",")])
    rows = []
    tools = args.tools.split(",")
    if "bare" in tools:                     # bracket the run with the limit: load drifts
        tools.append("bare")
    for tool in tools:
        for n in sizes_for(tool, args):
            rows.append(measure(tool, n, args.layer, args.threads))
            print(rows[-1], flush=True)
    text = report(rows, args.layer, args.threads)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if not args.no_write:
        from results import write_section
        write_section(args.section, text)


if __name__ == "__main__":
    main()
