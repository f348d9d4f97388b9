"""Ensembles of relation classifiers: several members label the marked E1/E2 pair of each
sentence, combined as distributions over directed labels (``rel(e1,e2)``, ``rel(e2,e1)``,
undirected ones such as ``no_relation``).

* a classifier predicting directly gives its softmax (``RelationClassifier.probabilities``);
* any other member (translate-test above all, whose pair comes back through word links)
  gives its predicted sentences: the directed label of its relation gets the relation's
  score, the rest of the mass is spread evenly over the other labels; a sentence whose pair
  it lost (no relation predicted) is left to the other members.

A sentence's distribution is the weighted mean over the members that gave one; its relation
is the most probable label with that probability as its score, as one classifier's.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ..corpus import Sentence
from ..scoring import directed_label
from .ensemble import members_report
from .relation import with_relation


def _direct(member: Any):
    model = getattr(member, "model", None)
    return model if model is not None and hasattr(model, "probabilities") else None


def member_labels(member: Any) -> list[str]:
    """The directed labels of a member (a classifier, or the source classifier of a
    translate-test member)."""
    for obj in (member, getattr(member, "source", None)):
        model = _direct(obj) if obj is not None else None
        if model is not None:
            return list(model.labels)
    return []


class RelationEnsemble:
    """``.predict`` like a registry predictor; ``.report`` the translate-test members' losses."""

    def __init__(self, members: Sequence[Any], weights: Optional[Sequence[float]] = None,
                 batch_size: int = 32):
        self.members, self.batch_size = list(members), batch_size
        self.weights = list(weights) if weights is not None else [1.0] * len(self.members)
        labels: list[str] = []
        for m in self.members:
            labels += [x for x in member_labels(m) if x not in labels]
        self.labels, self.index = labels, {x: i for i, x in enumerate(labels)}
        self.report: dict = {}

    def distributions(self, member: Any, sents: Sequence[Sentence]) -> list[Optional[np.ndarray]]:
        """One member's distribution over the ensemble's labels per sentence (None: none)."""
        n = len(self.labels)
        direct = _direct(member)
        if direct is not None:
            cols = [self.index[x] for x in direct.labels]
            out = []
            for p in direct.probabilities(sents, self.batch_size):
                row = None
                if p is not None:
                    row = np.zeros(n, dtype=np.float64)
                    row[cols] = p.numpy()
                out.append(row)
            return out
        out = []
        for pred in member.predict(sents):
            label = directed_label(pred)
            rel = next(iter(pred.relations or []), None)
            if label is None or label not in self.index:
                out.append(None)
                continue
            score = min(1.0, float(rel.get("score", 1.0) if rel else 1.0))
            row = np.full(n, (1.0 - score) / max(1, n - 1))
            row[self.index[label]] = score
            out.append(row)
        return out

    def predict(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        sents = list(sentences)
        per_member = [self.distributions(m, sents) for m in self.members]
        self.report = members_report(self.members)
        out = []
        for i, s in enumerate(sents):
            total, mass = np.zeros(len(self.labels)), 0.0
            for dists, w in zip(per_member, self.weights):
                if dists[i] is not None:
                    total += w * dists[i]
                    mass += w
            if mass == 0:
                out.append(with_relation(s, None, 0.0))
                continue
            total /= mass
            k = int(total.argmax())
            out.append(with_relation(s, self.labels[k], float(total[k])))
        return out
