"""Ensembles of taggers (NER, POS): several models label the same words, combined per word
(here) or, for NER, per span by weighted votes (``combine="span"``, :mod:`.span_vote`).

Each member gives every word a label distribution, or abstains on it:

* a tagger predicting directly gives its softmax (``Tagger.predict_words``);
* any other member (translate-test above all, whose labels come through word links) gives
  its predicted sentences, read as distributions: a word of a span labeled X gets ``B-X``
  (first word) or ``I-X`` with the span's score, a word with a tag gets it with its
  ``tag_scores`` entry, the rest of the mass spread evenly over the other labels; a word
  with no evidence (``tag_scores`` 0: nothing reached it through a link, or an unlabeled
  tag) is left to the other members.

The ensemble's distribution of a word is the weighted mean over the members that did not
abstain; its labels, spans (IOB2 decoding) and confidences then come out exactly as one
tagger's (:func:`.predict.annotate_words`). Members must share the task; the label set is
the union of theirs. Weights are given per member, in member order (``selftrain predict
--weight``: the ``--model`` ones, then ``--translate-test-model``).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..corpus import UNLABELED, Sentence
from ..errors import XlieError
from .labels import OUTSIDE

Dist = tuple[np.ndarray, np.ndarray]    # (n_words, n_labels) probabilities, (n_words,) given
COMBINE = ("word", "span")              # per word (label distributions), per span (votes)


def member_labels(member: Any) -> list[str]:
    """The classes of a member (a registry tagger predictor or a translate-test one)."""
    for obj in (member, getattr(member, "source", None)):
        model = getattr(obj, "model", None)
        if model is not None and hasattr(model, "labels") and hasattr(model, "predict_words"):
            return list(model.labels.labels)
    raise XlieError("an ensemble member is not a tagger", "ensembles combine NER or POS taggers")


def _direct(member: Any):
    model = getattr(member, "model", None)
    return model if model is not None and hasattr(model, "predict_words") else None


def from_sentence(sent: Sentence, task: str, index: dict[str, int]) -> Dist:
    """A predicted sentence as per-word distributions over ``index``'s labels."""
    n, n_labels = len(sent.tokens), len(index)
    probs = np.zeros((n, n_labels), dtype=np.float32)
    given = np.zeros(n, dtype=bool)
    scores = list(getattr(sent, "tag_scores", None) or [1.0] * n)

    def put(j: int, label: str, score: float) -> None:
        if label not in index or score <= 0:
            return
        score = min(1.0, float(score))
        probs[j] = (1.0 - score) / max(1, n_labels - 1)
        probs[j, index[label]] = score
        given[j] = True

    if task == "pos":
        for j, t in enumerate(sent.tags or []):
            if t != UNLABELED:
                put(j, t, scores[j])
        return probs, given
    inside = set()
    for sp in sent.spans:
        s = sp.score if sp.score is not None else 1.0
        for j in range(sp.start, sp.end):
            put(j, ("B-" if j == sp.start else "I-") + sp.label, s)
            inside.add(j)
    for j in range(n):
        if j not in inside:
            put(j, OUTSIDE, scores[j])
    return probs, given


def members_report(members: Sequence[Any]) -> dict:
    """What each translate-test member lost on the way, by member position."""
    return {f"member_{k}": m.report.to_dict() for k, m in enumerate(members)
            if hasattr(getattr(m, "report", None), "to_dict")}


def combine(dists: Sequence[Dist], weights: Sequence[float]) -> Dist:
    """The weighted mean over the members that gave each word."""
    n, n_labels = dists[0][0].shape
    total = np.zeros((n, n_labels), dtype=np.float64)
    mass = np.zeros(n, dtype=np.float64)
    for (p, g), w in zip(dists, weights):
        total[g] += w * p[g]
        mass[g] += w
    given = mass > 0
    total[given] /= mass[given][:, None]
    return total.astype(np.float32), given


class EnsemblePredictor:
    """Members' per-word distributions averaged (see the module doc), or their spans voted
    on (``combine="span"``, NER); ``.predict`` like a registry predictor, ``.report`` the
    translate-test members' losses."""

    def __init__(self, members: Sequence[Any], task: str,
                 weights: Optional[Sequence[float]] = None, combine: str = "word"):
        if task not in ("ner", "pos"):
            raise XlieError(f"ensembles combine ner or pos taggers, not {task}",
                            "give one model for other tasks")
        if combine not in COMBINE:
            raise XlieError(f"unknown way to combine an ensemble: {combine!r}",
                            f"choose one of: {', '.join(COMBINE)}")
        if combine == "span" and task != "ner":
            raise XlieError(f"a vote per span needs spans; {task} taggers give tags",
                            "combine them per word (--combine word)")
        self.combine = combine
        if not members:
            raise ValueError("an ensemble needs members")
        self.members, self.task = list(members), task
        self.weights = list(weights) if weights is not None else [1.0] * len(self.members)
        if len(self.weights) != len(self.members) or any(w < 0 for w in self.weights):
            raise XlieError("one non-negative weight per ensemble member is needed",
                            f"{len(self.members)} members, weights {self.weights}")
        labels: list[str] = []
        for m in self.members if combine == "word" else ():   # a vote needs only spans
            labels += [x for x in member_labels(m) if x not in labels]
        if task == "ner" and OUTSIDE in labels:
            labels.remove(OUTSIDE)
            labels.insert(0, OUTSIDE)
        self.labels = labels
        self.index = {x: i for i, x in enumerate(labels)}
        self.report: dict = {}

    def distributions(self, member: Any, sents: Sequence[Sentence]) -> list[Dist]:
        """One member's distributions over the ensemble's labels, per sentence."""
        direct = _direct(member)
        if direct is None:
            return [from_sentence(s, self.task, self.index) for s in member.predict(sents)]
        cols = [self.index[x] for x in direct.labels.labels]
        out = []
        for wp in direct.predict_words([s.tokens for s in sents]):
            p = np.zeros((len(wp.probs), len(self.labels)), dtype=np.float32)
            if len(wp.probs):
                p[:, cols] = wp.probs
            out.append((p, np.ones(len(wp.probs), dtype=bool)))
        return out

    def predict_distributions(self, sentences: Sequence[Sentence]) -> list[Dist]:
        sents = list(sentences)
        per_member = [self.distributions(m, sents) for m in self.members]
        self.report = members_report(self.members)
        return [combine([d[i] for d in per_member], self.weights) for i in range(len(sents))]

    def member_outputs(self, sentences: Sequence[Sentence]) -> list[list[Sentence]]:
        """Each member's predicted sentences (what a vote per span combines)."""
        sents = list(sentences)
        outs = [list(m.predict(sents)) for m in self.members]
        self.report = members_report(self.members)
        return outs

    def predict(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        from .predict import WordPrediction, annotate_words
        sents = list(sentences)
        if self.combine == "span":
            from .span_vote import voted_sentence
            outs = self.member_outputs(sents)
            return [voted_sentence(s, [o[i] for o in outs], self.weights)
                    for i, s in enumerate(sents)]
        out = []
        for s, (p, given) in zip(sents, self.predict_distributions(sents)):
            best = p.argmax(-1) if len(p) else np.zeros(0, dtype=int)
            none = UNLABELED if self.task == "pos" else OUTSIDE
            labels = [self.labels[b] if g else none for b, g in zip(best, given)]
            scores = [float(p[i, b]) if g else 0.0 for i, (b, g) in enumerate(zip(best, given))]
            out.append(annotate_words(s, WordPrediction(labels, scores, p), self.task))
        return out
