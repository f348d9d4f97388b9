"""Throughput of `xlie translate` against a plain loop over `model.generate`, and CTranslate2.

No MT weights can be downloaded here, so the model is a randomly initialised MarianMTModel of
opus-mt-en-de's size (d_model 512, 6+6 layers, 8 heads, ffn 2048, vocabulary 58101) with a
sentencepiece tokenizer trained on the development text. A random model does not know when
to stop, so every system decodes a fixed length: a batch decodes exactly as many tokens as
its longest source sentence has subwords (a real model's output length tracks its input;
generate() keeps computing finished rows until the batch's longest is done, so this is the
work a real model would do). Greedy decoding, the same batch size everywhere.

- plain loop: consecutive chunks of `--batch-size` sentences in corpus order, tokenizer ->
  generate -> batch_decode (no file reading or writing, no word tokenization).
- xlie: `translate()` end to end (JSONL in, JSONL with Moses-tokenized translation out,
  cache off), length-sorted batches of at most `--batch-size` sentences and 4096 tokens.
- ct2: the same through xlie's CTranslate2 backend (float32 and int8), when installed.

Two sets of real English sentences (Europarl NER + the en-cs alignment set): corpus order
(mixed lengths) and one of near-uniform length. Run:
``python benchmarks/translate_throughput.py`` (192 sentences per set, 2 interleaved runs of
each system: 27 minutes on 2 cores shared at load average 15; 96 sentences took 14;
``--n``/``--repeats`` to change).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # random_model
from random_model import build_random_marian  # noqa: E402
from results import machine, table, write_section  # noqa: E402

from xlie.formats.conll import read_conll  # noqa: E402
from xlie.models.home import xlie_home  # noqa: E402
from xlie.translation import translate  # noqa: E402
from xlie.translation.backends.hf import HFBackend  # noqa: E402
from xlie.translation.options import GenerationOptions  # noqa: E402
from xlie.translation.wordtok import detokenize  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OPUS_MT_VOCAB = 58101


def english() -> list[list[str]]:
    sents = [s.tokens for s in read_conll(DATA / "europarl-ner" / "en.conll02")]
    with open(DATA / "align" / "encs.src-tgt", encoding="utf-8") as f:
        sents += [line.split("|||")[0].split() for line in f]
    return [s for s in sents if s]


def model_dir() -> Path:
    d = xlie_home() / "bench" / "marian-base-random"
    if not (d / "config.json").exists():
        texts = [" ".join(s) for s in english()]
        with open(DATA / "align" / "encs.src-tgt", encoding="utf-8") as f:
            texts += [line.split("|||")[1].strip() for line in f]
        build_random_marian(d, texts, vocab_size=8000, d_model=512, layers=6, heads=8, ffn=2048,
                            max_positions=512, init_std=0.02, pad_vocab_to=OPUS_MT_VOCAB)
    return d


class FixedLengthHF(HFBackend):
    """Decodes exactly as many tokens as the batch's longest source (see the docstring)."""

    def _generate(self, inputs):
        n = int(inputs["attention_mask"].sum(1).max())
        self.generation_config.min_new_tokens = self.generation_config.max_new_tokens = n
        with torch.inference_mode():
            return self.model.generate(**inputs, generation_config=self.generation_config).tolist()


def fixed_length_ct2(**kw):
    from xlie.translation.backends.ct2 import CT2Backend

    class FixedLengthCT2(CT2Backend):
        def _kwargs(self, batch):
            n = max(len(ids) for ids in batch)
            return {**super()._kwargs(batch), "min_decoding_length": n, "max_decoding_length": n}

    return FixedLengthCT2(**kw)


def plain_loop(be: HFBackend, texts: list[str], batch_size: int) -> float:
    """What one writes without xlie: the same model, tokenizer and generation settings."""
    tok, model = be.mt.tok, be.model
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        enc = tok(texts[i:i + batch_size], padding=True, return_tensors="pt")  # (B, S)
        n = int(enc["attention_mask"].sum(1).max())
        with torch.inference_mode():
            out = model.generate(**enc, num_beams=1, do_sample=False, min_new_tokens=n,
                                 max_new_tokens=n)
        tok.batch_decode(out, skip_special_tokens=True)
    return time.perf_counter() - t0


OUTSIDE_MODEL: dict[str, float] = {}


def via_xlie(name: str, backend, corpus: Path, out: Path, batch_size: int) -> float:
    t0 = time.perf_counter()
    rep = translate(corpus, out, backend=backend, beam=1, batch_size=batch_size, cache=False,
                    resume=False)
    total = time.perf_counter() - t0
    OUTSIDE_MODEL[name] = total - rep.counts.model_seconds  # reading, tokenizing, writing
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=192, help="sentences per set")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2, help="runs per system (best is kept)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and CTranslate2 threads (1 is fastest on a crowded machine)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("xlie.translation").setLevel(logging.ERROR)
    torch.manual_seed(0)
    mdir = model_dir()
    gen = GenerationOptions(num_beams=1)
    hf = FixedLengthHF(mdir, "en", "de", gen)
    sents = english()
    lengths = [len(x) for x in hf.encode([detokenize(s, "en")[0] for s in sents])]
    mixed = list(range(args.n))                                   # corpus order
    median = sorted(lengths)[len(lengths) // 2]
    uniform = sorted(range(len(sents)), key=lambda i: (abs(lengths[i] - median), i))[:args.n]
    uniform.sort()
    systems = {"plain loop (HF generate)": None, "xlie translate (HF)": hf}
    try:
        systems["xlie translate (CT2 float32)"] = fixed_length_ct2(
            model=mdir, src_lang="en", tgt_lang="de", options=gen, threads=torch.get_num_threads())
        systems["xlie translate (CT2 int8)"] = fixed_length_ct2(
            model=mdir, src_lang="en", tgt_lang="de", options=gen, dtype="int8",
            threads=torch.get_num_threads())
    except Exception as e:  # not installed: report HF only
        print(f"CTranslate2 skipped: {e}", file=sys.stderr)
    rows, ratios = [], {}
    tmp = Path(tempfile.mkdtemp())
    for set_name, idx in (("mixed lengths (corpus order)", mixed), ("near-uniform lengths", uniform)):
        corpus = tmp / "in.jsonl"
        with open(corpus, "w", encoding="utf-8") as f:
            for i in idx:
                f.write(json.dumps({"id": str(i), "tokens": sents[i]}, ensure_ascii=False) + "\n")
        texts = [detokenize(sents[i], "en")[0] for i in idx]
        ls = [lengths[i] for i in idx]
        best: dict[str, float] = {}
        for _ in range(args.repeats):  # interleaved, so load changes hit every system alike
            for name, be in systems.items():
                t = plain_loop(hf, texts, args.batch_size) if be is None else \
                    via_xlie(name, be, corpus, tmp / "out.jsonl", args.batch_size)
                best[name] = min(best.get(name, t), t)
                print(f"{set_name}: {name}: {t:.1f}s", file=sys.stderr)
        base = best["plain loop (HF generate)"]
        for name, t in best.items():
            ratios[(set_name, name)] = base / t
            outside = f"{OUTSIDE_MODEL[name]:.2f}" if name in OUTSIDE_MODEL else "-"
            rows.append([set_name, name, f"{min(ls)}-{max(ls)} (mean {sum(ls) / len(ls):.1f})",
                         f"{t:.1f}", outside, f"{len(idx) / t:.2f}", f"{base / t:.2f}x"])
    body = (
        "### Translation throughput (`benchmarks/translate_throughput.py`)\n\n"
        f"Machine: {machine()}. Each figure "
        f"is the best of {args.repeats} interleaved runs.\n\n"
        "**Model: randomly initialised, not a real MT model** (no MT weights can be downloaded "
        "here): MarianMTModel at opus-mt-en-de size (d_model 512, 6+6 layers, 8 heads, ffn 2048, "
        f"vocabulary {OPUS_MT_VOCAB}), fp32, greedy, {args.threads} thread(s). Fixed output length: each batch decodes "
        "exactly as many tokens as its longest source sentence has subwords (a real model's "
        "output tracks its input length, and generate() runs a batch until its longest row is "
        f"done). {args.n} real English sentences per set (Europarl NER + en-cs alignment set), "
        f"batch size {args.batch_size} for every system; xlie also caps batches at 4096 tokens. "
        "The plain loop gets pre-detokenized text and writes nothing; xlie's time includes "
        "reading the JSONL, Moses-tokenizing the output and writing it. CT2 = CTranslate2 "
        f"{_ct2_version()} through xlie's backend, same length rule.\n\n"
        + table(["sentences", "system", "subword lengths", "seconds",
                 "of which outside the model", "sentences/s", "vs plain loop"], rows))
    print(body)
    if not args.no_write:
        write_section("translate_throughput", body)


def _ct2_version() -> str:
    try:
        import ctranslate2
        return ctranslate2.__version__
    except ImportError:
        return "(not installed)"


if __name__ == "__main__":
    main()
