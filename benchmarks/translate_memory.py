"""Memory of `xlie translate` is flat in corpus size: it streams one sort window at a time.

Peak Python heap (tracemalloc) while translating corpora of 1,000 and 10,000 sentences
(Europarl NER English sentences, each made unique so the cache cannot shortcut anything)
through the whole stage (reading, marker insertion, batching, JSONL writing, Moses word
tokenization) with an identity backend in place of the MT model, whose own memory does not
depend on corpus size; after a small untraced warm-up run (imports, Moses' regexes).
Run: ``python benchmarks/translate_memory.py`` (about 2 minutes on 2 loaded cores).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, table, write_section  # noqa: E402

from xlie.formats.conll import read_conll  # noqa: E402
from xlie.translation import translate  # noqa: E402
from xlie.translation.backends.base import Backend, Hypothesis  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class Identity(Backend):
    """The 'translation' is the source text: all of xlie's work, none of a model's. Its
    "token ids" are the text's code points, so it keeps no state."""
    name = key = "identity"
    max_input_tokens = 100_000

    def encode(self, texts):
        return [[ord(c) for c in t] for t in texts]

    def _translate(self, batch):
        return [Hypothesis("".join(map(chr, ids))) for ids in batch]


def write_corpus(path: Path, n: int) -> None:
    sents = list(read_conll(DATA / "europarl-ner" / "en.conll02"))
    with open(path, "w", encoding="utf-8") as f:
        for k in range(n):
            s = sents[k % len(sents)]
            rec = s.to_json()
            rec["id"] = str(k)
            rec["tokens"] = rec["tokens"] + [f"#{k}"]   # unique text
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    rows = []
    write_corpus(tmp / "warm.jsonl", 50)
    translate(tmp / "warm.jsonl", tmp / "out.jsonl", backend=Identity(), cache=False,
              resume=False, markers="xml")
    for n in (int(x) for x in args.sizes.split(",")):
        corpus = tmp / f"in{n}.jsonl"
        write_corpus(corpus, n)
        backend = Identity()
        tracemalloc.start()
        t0 = time.perf_counter()
        rep = translate(corpus, tmp / "out.jsonl", backend=backend, cache=False, resume=False,
                        markers="xml", sort_window=1024)
        secs = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = corpus.stat().st_size / 2 ** 20
        rows.append([n, f"{size:.1f}", f"{peak / 2 ** 20:.1f}", f"{secs:.1f}",
                     f"{n / secs:.0f}", rep.counts.markers_lost])
        print(rows[-1], file=sys.stderr)
    body = ("### Translation stage memory (`benchmarks/translate_memory.py`)\n\n"
            f"Machine: {machine()}.\n\n"
            "Peak Python heap (tracemalloc, after an untraced warm-up run) of `translate()` with markers on, sort window 1024, "
            "an identity backend in place of the model (the model's memory does not grow with "
            "the corpus, so this isolates the stage's own): reading, marker insertion, "
            "batching, Moses word tokenization of the output, JSONL writing. Sentences are "
            "Europarl NER English, each made unique; batches are by characters here.\n\n"
            + table(["sentences", "input MB", "peak heap MB", "seconds", "sentences/s",
                     "markers lost"], rows))
    print(body)
    if not args.no_write:
        write_section("translate_memory", body)


if __name__ == "__main__":
    main()
