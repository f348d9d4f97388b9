"""Rebuild the demo slice in xlie/data/demo/ from the Europarl parallel NER data (see SOURCE.md).

    python scripts/build_demo_slice.py ../shared/data/europarl-ner xlie/data/demo

Sentences 0-239 become the parallel training corpus (English tokens and entity spans, the
German sentence as its translation) and the German gold for scoring the projection;
sentences 240-299 become the held-out German test set for the tagger.
"""
from __future__ import annotations

import sys
from itertools import islice
from pathlib import Path

from xlie.corpus import Translation
from xlie.formats.conll import read_conll
from xlie.formats.jsonl import write_jsonl

N_TRAIN, N_TEST = 240, 60


def main(src: Path, out: Path) -> None:
    n = N_TRAIN + N_TEST
    en = list(islice(read_conll(src / "en.conll02", lang="en", id_prefix="europarl-"), n))
    de = list(islice(read_conll(src / "de.conll02", lang="de", id_prefix="europarl-"), n))
    train = []
    for e, d in zip(en[:N_TRAIN], de[:N_TRAIN]):
        e.translation = Translation(lang="de", text=" ".join(d.tokens), tokens=d.tokens)
        train.append(e)
    write_jsonl(out / "en-de.train.jsonl", train)
    write_jsonl(out / "de.gold.jsonl", de[:N_TRAIN])
    write_jsonl(out / "de.test.jsonl", de[N_TRAIN:])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
