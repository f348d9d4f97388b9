"""RELX argument projection: the English `<e1>`/`<e2>` spans projected through `xlie align`
links onto each human translation of the RELX dev half (de, fr, es, tr here) and scored
against that translation's own markers (entity F1 over E1 and E2, as `xlie project eval`),
heuristic beside xlie, on the same links, for two ways of splitting the sentences into
words.

`whitespace`: words are what lies between spaces once the markers are taken out
(``Kalifornien.``, ``(ABA)``, ``Sacramento'da`` are one word each); `split_words`: the RELX
reader's default (`xlie.formats.relx.split_words`), which splits punctuation off word edges
and apostrophe suffixes off names. In both, a gold marker inside a word (German ``Kanada
</e1>s``) takes the whole word, and the words never depend on where the markers are.

    XLIE_SHARED=/work/shared .venv/bin/python benchmarks/project_relx.py      # ~2-4 min, 2 cores
    ... project_relx.py --langs tr --no-write --errors 20                      # look at misses
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project_europarl import SHARED, pct, prf, run, with_links  # noqa: E402
from results import machine, publish, table  # noqa: E402
from run_options import parse_run_args  # noqa: E402

DATA = SHARED / "data" / "relations" / "relx"


def whitespace(text: str):
    ms = list(re.finditer(r"\S+", text))
    return [m.group() for m in ms], [m.span() for m in ms]


def tokenizers():
    from xlie.formats.relx import split_words
    return {"whitespace": whitespace, "split_words": split_words}


def target_languages() -> list[str]:
    langs = sorted(p.name.split(".")[0] for p in DATA.glob("*.dev.txt"))
    langs = [l for l in langs if l != "en"]
    if not langs:
        sys.exit(f"no RELX dev files in {DATA} (set XLIE_SHARED to the shared folder)")
    return langs


def load(lang: str, tokenize):
    from xlie.formats.relx import read_relx
    en = list(read_relx(DATA / "en.dev.txt", lang="en", tokenize=tokenize))
    tgt = list(read_relx(DATA / f"{lang}.dev.txt", lang=lang, tokenize=tokenize))
    assert [s.id for s in en] == [s.id for s in tgt], f"en and {lang} must be parallel"
    return en, tgt


def links(en, tgt, cache: Path | None = None, key: str = "") -> list:
    path = cache / f"relx-{key}-{len(en)}.json" if cache else None
    if path is not None and path.exists():
        return json.loads(path.read_text())
    from xlie.aligners import Aligner
    out = [a.links for a in Aligner("e5-small").align_pairs([(e.tokens, d.tokens)
                                                              for e, d in zip(en, tgt)])]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out))
    return out


def as_in_english(sent):
    """The projected spans labelled as their English sources were (no reordering)."""
    spans = [s.model_copy(update={"label": "E1" if str(s.id).endswith("-e1") else "E2"})
             for s in sent.spans]
    return sent.model_copy(update={"spans": spans})


def show_errors(gold, pred, n: int) -> None:
    shown = 0
    for g, p in zip(gold, pred):
        gs = {(s.label, s.start, s.end) for s in g.spans}
        ps = {(s.label, s.start, s.end) for s in p.spans}
        if gs != ps and shown < n:
            shown += 1
            fmt = lambda ss: [(l, " ".join(g.tokens[a:b])) for l, a, b in sorted(ss)]  # noqa: E731
            print(g.id, "gold", fmt(gs - ps), "pred", fmt(ps - gs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", nargs="+", default=None)
    ap.add_argument("--tokenizers", nargs="+", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--errors", type=int, default=0, help="print this many misses per run")
    args = parse_run_args(ap)
    from xlie.projection.api import project
    from xlie.scoring import pair_sentences, score_ner
    langs = args.langs or target_languages()
    toks = tokenizers()
    names = args.tokenizers or list(toks)
    rows, n_sent = [], 0
    for lang in langs:
        row = [lang]
        for name in names:
            en, tgt = load(lang, toks[name])
            n_sent = len(en)
            t = time.perf_counter()
            records = with_links(en, tgt, links(en, tgt, args.cache, f"{lang}-{name}"), lang)
            secs = time.perf_counter() - t
            h = run(records, tgt, "heuristic")
            x = run(records, tgt, "xlie")
            hm, xm = h["scores"]["micro"], x["scores"]["micro"]
            kept = score_ner(pair_sentences(tgt, [as_in_english(p) for p in
                                                  project(records, method="xlie").sentences]))
            print(lang, name, "heuristic", pct(hm["f1"]), "xlie", pct(xm["f1"]),
                  f"align {secs:.0f}s", dict(x["report"].dropped), flush=True)
            if args.errors:
                res = project(records, method="xlie")
                show_errors(tgt, res.sentences, args.errors)
            row += [prf(hm), prf(xm), pct(kept["micro"]["f1"])]
        rows.append(row)
    header = ["target"] + [f"{n}: {m}" for n in names
                           for m in ("heuristic P / R / F1", "xlie P / R / F1",
                                     "xlie F1, E1/E2 as in English")]
    md = [f"## Projection: RELX relation arguments en→{', '.join(langs)} ({n_sent} sentences)", "",
          f"Machine: {machine()}.", "",
          "The English `<e1>`/`<e2>` spans of the RELX dev half projected through e5-small "
          "links (`xlie align` defaults) onto each human translation, scored against its own "
          "markers: entity-level P / R / F1 over E1 and E2, strict (`xlie project eval`). "
          "`whitespace`: words between spaces; `split_words`: the RELX reader's default "
          "(punctuation and apostrophe suffixes split off). The projection's defaults were "
          "chosen on Europarl NER (section project-crosslingual), not on RELX. RELX numbers "
          "the entities by position (E1 first, the label's direction says which is the head), "
          "so where a translation turns the two round, projection swaps the labels; the last "
          "column of each tokenization scores xlie without that swap.", "",
          table(header, rows), "",
          "Which data chose what: the word splitting (punctuation at word edges, apostrophe "
          "suffixes: `Sacramento'da` -> `Sacramento` `'da`, `l'Université` -> `l'` "
          "`Université`) and the E1/E2 reordering were chosen by reading the misses on the "
          "Turkish and German dev sentences, and checked on French and Spanish (no setting "
          "of the projection itself was tuned on RELX). Every figure here is on the dev half; "
          "the other half is kept for the final check. The issue's reference figures (de 75.2, "
          "fr 79.4, es 61.3, tr 32.5, xlie) were measured on that other half with a word "
          "splitting and gold convention it does not state; they could not be reproduced here, "
          "so the `whitespace` columns are the before/after comparison on the same sentences. "
          "What is left on Turkish: a name mentioned twice goes to the wrong copy, free "
          "translation (`Queen Victoria` -> `İngiltere Kraliçesi Victoria`), and gold spans that "
          "take in a case-marked head noun (`Meclisi`) where English marks only a name. On "
          "French and Spanish the gold often takes in an article (`la liga`, `Le National`) or "
          "a punctuation mark (`Ron Sandler .`) that the English side leaves out."]
    publish("project-relx", "\n".join(md), not args.no_write)


if __name__ == "__main__":
    main()
