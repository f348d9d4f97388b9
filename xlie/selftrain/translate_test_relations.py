"""Translate-test for relations: classify a marked pair on its translation.

A relation input names its two arguments (spans labelled E1 and E2). The classifier of the
source language needs them marked on the translation, so each sentence goes there and back
through the same word links (``xlie align``'s, translation word -> input word):

1. **there**: the input's E1/E2 spans are projected onto the translation's words with the
   projection stage's span projection (ids kept; where the translation turns the two round,
   E1 is relabelled to come first again, as the classifier was trained);
2. the source model predicts the pair's relation on the translation (its ``head`` and
   ``tail`` name span ids, so the direction survives the relabelling);
3. **back**: the translation's arguments and the predicted relation are projected onto the
   input's words; the relation is kept only when both arguments come back onto the input's
   own span of the same id (overlapping it), and it is put on the input record, whose own
   E1/E2 spans are left as they were.

What was lost is counted per step (:func:`new_counts`): arguments that did not reach the
translation, arguments that did not come back, arguments that came back elsewhere. A pair
lost on the way gets no relation (the teacher abstains), never a guess.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..corpus import Sentence, Span, Translation
from ..formats.relx import ENTITIES
from ..projection.inputs import Pair
from ..projection.links import Links
from ..projection.sentence import with_span_ids

LOST = ("not_carried", "not_back", "elsewhere")   # where an argument was lost


def new_counts() -> dict[str, Any]:
    """The relation part of the translate-test report."""
    return {"pairs": 0, "carried": 0, "predicted": 0, "projected": 0, "lost": 0,
            "arguments_lost": {k: 0 for k in LOST}}


def arguments(sent: Sentence) -> dict[str, Span]:
    """The input's E1 and E2 spans (with ids), by label; {} unless both are there."""
    by = {s.label: s for s in with_span_ids(sent) if s.label in ENTITIES}
    return by if len(by) == 2 else {}


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def relations_through_translation(source: Any, sents: Sequence[Sentence],
                                  words: Sequence[list[str]], aligned: Sequence[Any],
                                  langs: tuple[str, str], counts: dict[str, Any]
                                  ) -> list[list[dict]]:
    """The relations (``[]`` or one) of each input sentence, predicted by ``source`` on
    ``words`` (its translation) and brought back through ``aligned`` (the aligner's output
    per pair, links from translation word to input word). ``langs``: (input's, model's).
    ``counts`` (:func:`new_counts`) gets what was lost."""
    from ..projection.api import make_options, project_pairs
    src_lang, tgt_lang = langs
    opts = make_options(pos_types=False, dep_types=False, dep_relabel=False)
    out: list[list[dict]] = [[] for _ in sents]
    there, where, args_of = [], [], []
    for k, (s, w, al) in enumerate(zip(sents, words, aligned)):
        args = arguments(s)
        if not args:
            continue
        counts["pairs"] += 1
        if al is None or al.error is not None or not w:
            counts["lost"] += 1
            counts["arguments_lost"]["not_carried"] += 2
            continue
        fwd = Links.from_triples([(int(j), int(i), p) for i, j, p in al.links],
                                 len(s.tokens), len(w))
        marked = Sentence(id=s.id, tokens=list(s.tokens), spans=list(args.values()))
        there.append(Pair(marked, list(w), Translation(lang=tgt_lang, text=" ".join(w),
                                                       tokens=list(w)),
                          fwd, f"sentence {k + 1}"))
        where.append(k)
        args_of.append(args)
    carried = project_pairs(there, opts, tgt_lang).sentences if there else []
    ready, keep = [], []
    for k, args, c in zip(where, args_of, carried):
        got = {sp.id for sp in c.spans if sp.label in ENTITIES}
        missing = sum(1 for a in args.values() if a.id not in got)
        if missing:
            counts["lost"] += 1
            counts["arguments_lost"]["not_carried"] += missing
            continue
        counts["carried"] += 1
        ready.append(c)
        keep.append((k, args))
    predicted = source.predict(ready) if ready else []
    back = []
    for (k, _), p in zip(keep, predicted):
        counts["predicted"] += bool(p.relations)
        al = aligned[k]
        links = Links.from_triples([tuple(x) for x in al.links], len(words[k]),
                                   len(sents[k].tokens))
        back.append(Pair(p, list(sents[k].tokens),
                         Translation(lang=src_lang, text=" ".join(sents[k].tokens),
                                     tokens=list(sents[k].tokens)),
                         links, f"sentence {k + 1}"))
    returned = project_pairs(back, opts, src_lang).sentences if back else []
    for (k, args), p, r in zip(keep, predicted, returned):
        if not p.relations:
            counts["lost"] += 1
            continue
        came = {sp.id: sp for sp in r.spans}
        lost = 0
        for a in args.values():
            if a.id not in came:
                counts["arguments_lost"]["not_back"] += 1
                lost += 1
            elif not _overlaps(came[a.id], a):
                counts["arguments_lost"]["elsewhere"] += 1
                lost += 1
        if lost or not r.relations:
            counts["lost"] += 1
            continue
        counts["projected"] += 1
        out[k] = [dict(rel) for rel in r.relations]
    return out
