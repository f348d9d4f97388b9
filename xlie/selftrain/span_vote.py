"""Ensembles of span taggers by weighted votes per span (``selftrain predict --combine span``).

The per-word mean (:mod:`.ensemble`) lets a member that says ``O`` with confidence overrule
a span another member found; a vote per span asks instead which spans the members agree on,
each member counting its weight:

* every span some member predicted, ``(start, end, label)`` exactly, is a candidate; its
  **votes** are the weights of the members that predicted it;
* the members that predicted nothing overlapping it, and that spoke on its words (a
  translate-test member is silent on a word no link reached: ``tag_scores`` 0), vote that
  it is **outside** (``O``);
* candidates are taken by most votes (ties: the larger sum of weight x confidence, then the
  earlier, shorter, alphabetically first); one is kept when its votes beat the outside
  votes (ties again by weight x confidence, the outside side using the members' ``O``
  confidences) and it overlaps no span kept before it.

Confidences come out as one tagger's: a kept span's ``score`` is the weighted mean of the
members' confidences in it over the members that spoke on its words (one that did not
predict it counts 0); a word outside every kept span gets (as its ``tag_scores`` entry) the
weighted mean, over the members that spoke on it, of their ``O`` confidence there (0 for a
member that put it in a span), and a word inside a span that span's score. A word no
member spoke on gets 0.0 (no evidence).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..corpus import Sentence, Span


@dataclass
class _Member:
    spans: dict[tuple[int, int, str], float]   # (start, end, label) -> confidence
    spoke: list[bool]                          # gave evidence on each word
    outside: list[float]                       # confidence that each word is outside
    inside: list[bool]                         # the word is in one of its spans


def _member(sent: Sentence) -> _Member:
    n = len(sent.tokens)
    scores = list(getattr(sent, "tag_scores", None) or [1.0] * n)
    spans, inside = {}, [False] * n
    for sp in sent.spans:
        spans[(sp.start, sp.end, sp.label)] = 1.0 if sp.score is None else float(sp.score)
        inside[sp.start:sp.end] = [True] * (sp.end - sp.start)
    spoke = [inside[j] or scores[j] > 0 for j in range(n)]
    outside = [0.0 if inside[j] else min(1.0, float(scores[j])) for j in range(n)]
    return _Member(spans, spoke, outside, inside)


def vote_spans(outputs: Sequence[Sentence], weights: Sequence[float]
               ) -> tuple[list[tuple[int, int, str, float]], list[float]]:
    """The kept spans ``(start, end, label, score)`` and each word's confidence, from the
    members' predicted ``outputs`` of one sentence (same words) and their ``weights``."""
    members = [_member(s) for s in outputs]
    n = len(outputs[0].tokens)
    cands = sorted({key for m in members for key in m.spans})
    table = []
    for start, end, label in cands:
        votes = conf = mass = against = against_conf = 0.0
        for m, w in zip(members, weights):
            if (start, end, label) in m.spans:
                votes += w
                conf += w * m.spans[(start, end, label)]
                mass += w
            elif any(m.spoke[start:end]):
                mass += w
                if not any(m.inside[start:end]):
                    against += w
                    words = m.outside[start:end]
                    against_conf += w * sum(words) / len(words)
        table.append(((-votes, -conf, start, end - start, label),
                      (start, end, label), votes, conf, mass, against, against_conf))
    kept: list[tuple[int, int, str, float]] = []
    taken = [False] * n
    for _, (start, end, label), votes, conf, mass, against, against_conf in sorted(table):
        wins = votes > against or (votes == against and conf > against_conf)
        if not wins or votes <= 0 or any(taken[start:end]):
            continue
        kept.append((start, end, label, conf / mass if mass else 0.0))
        taken[start:end] = [True] * (end - start)
    kept.sort()
    word = [0.0] * n
    for j in range(n):
        num = den = 0.0
        for m, w in zip(members, weights):
            if m.spoke[j]:
                den += w
                num += w * m.outside[j]
        word[j] = num / den if den else 0.0
    for start, end, _, score in kept:
        word[start:end] = [score] * (end - start)
    return kept, word


def voted_sentence(sent: Sentence, outputs: Sequence[Sentence],
                   weights: Sequence[float]) -> Sentence:
    """``sent`` labeled by the vote of its members' ``outputs`` (see the module doc)."""
    kept, word = vote_spans(outputs, weights)
    data = sent.to_json()
    data["spans"] = [Span(start=s, end=e, label=lab, id=f"{sent.id}-{k}",
                          score=round(score, 6)).model_dump(exclude_none=True)
                     for k, (s, e, lab, score) in enumerate(kept)]
    data["tag_scores"] = [round(x, 6) for x in word]
    return Sentence.model_validate(data)
