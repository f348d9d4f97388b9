"""Rebuild the English -> Spanish UPOS slice in xlie/data/pud-es/ from Parallel UD (SOURCE.md).

    python scripts/build_pud_slice.py ../shared/data/pud xlie/data/pud-es

The first N_TRAIN English sentences (tokens, text, UPOS) are the source corpus the demo
translates with Apertium; the last N_TEST Spanish sentences (tokens, UPOS) are the held-out
test set of the Spanish tagger, the same split as benchmarks/apertium_pud.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

from xlie.formats.conllu import read_conllu
from xlie.formats.jsonl import write_jsonl

N_TRAIN, N_TEST = 150, 100


def main(src: Path, out: Path) -> None:
    en = list(read_conllu(src / "en.conllu", lang="en"))
    es = {s.id: s for s in read_conllu(src / "es.conllu", lang="es")}
    pairs = [(e, es[e.id]) for e in en if e.id in es]
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "en.train.jsonl", [_slim(e) for e, _ in pairs[:N_TRAIN]])
    write_jsonl(out / "es.test.jsonl", [_slim(d) for _, d in pairs[-N_TEST:]])


def _slim(s) -> dict:
    """Id, language, text, words and UPOS (no trees: the slice is for UPOS)."""
    rec = s.to_json()
    text = (rec.get("conllu") or {}).get("meta", {}).get("text")
    out = {"id": rec["id"], "lang": rec["lang"], "tokens": rec["tokens"], "tags": rec["tags"]}
    return {**out, "text": text} if text else out


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
