"""The projection report: what was projected, what was dropped and why, per label."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from .result import Projected


@dataclass
class ProjectionReport:
    method: str = "xlie"
    sentences: int = 0
    skipped: Counter = field(default_factory=Counter)        # reason -> sentences
    skipped_ids: list[str] = field(default_factory=list)      # the first few
    spans_in: int = 0
    projected: int = 0
    dropped: Counter = field(default_factory=Counter)          # reason -> spans
    how: Counter = field(default_factory=Counter)              # alignment | string | marker ...
    split: int = 0
    per_label: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    pos: Counter = field(default_factory=Counter)              # tokens, labeled
    relations: Counter = field(default_factory=Counter)
    trees: Counter = field(default_factory=Counter)            # sentences, words, arcs, ...
    arcs_dropped: Counter = field(default_factory=Counter)     # reason -> arcs
    documents: Counter = field(default_factory=Counter)        # projection by document

    def add_tree(self, tree) -> None:
        """Count one projected tree (projection.trees.ProjectedTree): coverage, the arcs
        dropped and why, and what keeps the output from being a tree."""
        from ..trees import tree_problems
        t = self.trees
        t["sentences"] += 1
        t["words"] += len(tree.heads)
        t["arcs"] += sum(h is not None for h in tree.heads)
        self.arcs_dropped.update(tree.dropped)
        problems = set(tree_problems(tree.heads))
        t["complete_trees"] += not problems
        for p in problems:
            t[p] += 1
        t["not_trees"] += bool(problems & {"multiple_roots", "cycle"})
        if tree.full_tree is not None:
            t["decoded_trees"] += tree.full_tree

    def add_spans(self, results: list[Projected]) -> None:
        for r in results:
            lab = self.per_label[r.source.label]
            self.spans_in += 1
            lab["in"] += 1
            if r.ok:
                self.projected += 1
                lab["projected"] += 1
                self.how[r.how] += 1
                self.split += int(r.split)
            else:
                self.dropped[r.reason] += 1
                lab[f"dropped:{r.reason}"] += 1

    def skip(self, sid: str, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.skipped_ids) < 20:
            self.skipped_ids.append(sid)

    @property
    def pos_coverage(self) -> float | None:
        return self.pos["labeled"] / self.pos["tokens"] if self.pos["tokens"] else None

    def to_dict(self) -> dict[str, Any]:
        out = {"method": self.method, "sentences": self.sentences,
               "sentences_skipped": dict(self.skipped), "skipped_ids": self.skipped_ids,
               "spans": {"in": self.spans_in, "projected": self.projected,
                         "dropped": dict(self.dropped), "how": dict(self.how),
                         "split_links": self.split},
               "per_label": {k: dict(v) for k, v in sorted(self.per_label.items())}}
        if self.pos["tokens"]:
            out["pos"] = {**dict(self.pos), "coverage": round(self.pos_coverage, 4)}
        if self.relations:
            out["relations"] = dict(self.relations)
        if self.documents:
            out["documents"] = dict(self.documents)
        if self.trees:
            out["trees"] = {**dict(self.trees), "coverage": round(self.tree_coverage, 4),
                            "arcs_dropped": dict(self.arcs_dropped)}
        return out

    @property
    def tree_coverage(self) -> float:
        return self.trees["arcs"] / self.trees["words"] if self.trees["words"] else 0.0

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"{self.sentences} sentences projected ({self.method})"
                 + (f", {sum(self.skipped.values())} skipped: {dict(self.skipped)}"
                    if self.skipped else "")]
        if self.spans_in:
            pct = 100 * self.projected / self.spans_in
            lines.append(f"spans: {self.projected}/{self.spans_in} projected ({pct:.1f}%)"
                         + (f"; dropped: " + ", ".join(f"{k} {v}" for k, v in
                                                        self.dropped.most_common())
                            if self.dropped else ""))
            for label, c in sorted(self.per_label.items()):
                lines.append(f"  {label}: {c['projected']}/{c['in']}")
        if self.pos["tokens"]:
            lines.append(f"POS: {self.pos['labeled']}/{self.pos['tokens']} target tokens "
                         f"labeled (coverage {100 * self.pos_coverage:.1f}%)")
        if self.trees:
            t = self.trees
            lines.append(f"trees: {t['arcs']}/{t['words']} target words got a head (coverage "
                         f"{100 * self.tree_coverage:.1f}%); {t['complete_trees']} of "
                         f"{t['sentences']} sentences complete trees, {t['not_trees']} not "
                         f"trees (several roots or a cycle)"
                         + (f"; arcs dropped: " + ", ".join(
                             f"{k} {v}" for k, v in self.arcs_dropped.most_common())
                            if self.arcs_dropped else ""))
        if self.documents:
            d = self.documents
            lines.append(f"documents: {d['documents']} projected whole ({d['source_sentences']} "
                         f"source, {d['target_sentences']} target sentences); lost at target "
                         f"sentence cuts: {d['spans_lost_at_cuts']} spans, "
                         f"{d['events_lost_at_cuts']} events"
                         + (f"; one side only: {d['source_only']} source, "
                            f"{d['target_only']} target documents"
                            if d["source_only"] or d["target_only"] else ""))
        if self.relations:
            lines.append("relations/events: " + ", ".join(f"{k} {v}" for k, v in
                                                          sorted(self.relations.items())))
        return "\n".join(lines)
