"""Training examples from corpora: gold source data, silver (projected) data, pseudo-labels.

Input files are corpus JSONL, CoNLL NER or CoNLL-U, read by :mod:`xlie.formats` (format by
extension, else by content). Every word gets a
label or ``None`` (ignored by the loss): unaligned POS tokens (``_``), tokens of a silver span
whose projection score is under the threshold, and words a pseudo-label round did not keep
(``label_mask`` false). Bad sentences are counted in a :class:`DataReport`, never dropped
silently, and unknown labels stop with the file and line unless told to skip.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Collection, Iterator, Optional

from ..corpus import Sentence, has_tag
from ..errors import InputFormatError, XlieError
from ..formats.detect import read_numbered
from ..formats.iob import overlapping, spans_to_tags
from .config import TaggerSettings
from .labels import LabelMap, OUTSIDE



@dataclass
class Example:
    """One sentence as a tagger sees it: words and a label (or ``None``) per word."""

    id: str
    words: list[str]
    labels: list[Optional[str]]
    weight: float = 1.0
    origin: str = "source"


@dataclass
class DataReport:
    """What became of the sentences of each input: kept, skipped, masked, and why."""

    counts: dict[str, Counter] = field(default_factory=dict)

    def add(self, origin: str, key: str, n: int = 1) -> None:
        self.counts.setdefault(origin, Counter())[key] += n

    def to_json(self) -> dict:
        return {k: dict(v) for k, v in self.counts.items()}


def read_sentences(path: str | Path) -> Iterator[tuple[Optional[int], Sentence]]:
    """``(line or None, sentence)`` from a corpus file of any format ``xlie.formats`` reads,
    told by its extension or, failing that, its content."""
    return read_numbered(path, sniff=True)


def read_all(paths: Iterable[str | Path]) -> list[Sentence]:
    """Every sentence of the corpus files, in order: what each task trains and predicts on."""
    return [s for path in paths for _, s in read_sentences(path)]


def task_spans(sent: Sentence, task: str) -> list:
    """The spans a span tagger learns: all of them (NER), the event triggers (event: the
    spans the sentence's ``events`` name as triggers, not their arguments)."""
    if task == "event":
        from ..scoring_events import triggers
        return triggers(sent)
    return list(sent.spans)


def sentence_types(sent: Sentence, task: str) -> set[str]:
    """The entity types (NER), tags (POS) or event classes a sentence uses."""
    if task == "pos":
        return {t for t in (sent.tags or []) if has_tag(t)}
    return {s.label for s in task_spans(sent, task)}


class ExampleBuilder:
    """Turns sentences into examples under one label map and one filtering policy."""

    def __init__(self, labels: LabelMap, config: TaggerSettings, report: DataReport):
        self.labels, self.config, self.report = labels, config, report

    def build(self, path: str | Path, line: Optional[int], sent: Sentence,
              origin: str) -> Optional[Example]:
        rep = self.report
        rep.add(origin, "read")
        if not sent.tokens:
            rep.add(origin, "skipped_empty")
            return None
        unknown = sentence_types(sent, self.labels.task) - set(self.labels.types)
        if unknown:
            if self.config.unknown_labels == "error":
                where = line if line is not None else None
                raise InputFormatError(
                    path, where, f"labels among {', '.join(self.labels.types)}",
                    f"{', '.join(sorted(unknown))} in sentence {sent.id}",
                    hint="the label sets of source and silver data differ; set "
                         "train.unknown_labels=skip to skip such sentences, or train.labels")
            rep.add(origin, "skipped_unknown_label")
            return None
        labels = (self._pos_labels(sent, origin) if self.labels.task == "pos"
                  else self._ner_labels(sent, origin))
        if labels is None:
            return None
        mask = getattr(sent, "label_mask", None)
        if mask is not None:
            if len(mask) != len(sent.tokens):
                raise InputFormatError(path, line, f"label_mask of {len(sent.tokens)} booleans",
                                       f"{len(mask)} in sentence {sent.id}")
            labels = [lab if keep else None for lab, keep in zip(labels, mask)]
        if all(lab is None for lab in labels):
            rep.add(origin, "skipped_unlabeled")
            return None
        rep.add(origin, "kept")
        weight = 1.0 if origin == "source" else self.config.silver_weight
        return Example(sent.id, list(sent.tokens), labels, weight, origin)

    def _ner_labels(self, sent: Sentence, origin: str) -> Optional[list[Optional[str]]]:
        mine = task_spans(sent, self.labels.task)
        spans = [(s.start, s.end, s.label) for s in mine]
        if overlapping(spans):
            self.report.add(origin, "overlapping_spans_first_kept")
        tags: list[Optional[str]] = list(spans_to_tags(len(sent.tokens), spans, overlaps="first"))
        floor = self.config.min_silver_score if origin == "silver" else None
        if floor is None:
            return tags
        low = [s for s in mine if s.score is not None and s.score < floor]
        if not low:
            return tags
        self.report.add(origin, "low_score_spans", len(low))
        if self.config.low_score == "drop":
            self.report.add(origin, "dropped_low_score")
            return None
        for s in low:  # neither the entity nor O: the loss ignores these words
            for i in range(s.start, s.end):
                tags[i] = None
        return tags

    def _pos_labels(self, sent: Sentence, origin: str) -> Optional[list[Optional[str]]]:
        if sent.tags is None:
            self.report.add(origin, "skipped_no_tags")
            return None
        tags: list[Optional[str]] = [t if has_tag(t) else None for t in sent.tags]
        scores = getattr(sent, "tag_scores", None)
        floor = self.config.min_silver_score if origin == "silver" else None
        if floor is not None and scores is not None:
            low = [i for i, s in enumerate(scores) if s is not None and s < floor]
            self.report.add(origin, "low_score_tags", len(low))
            for i in low:
                tags[i] = None
        return tags


def load_label_map(config: TaggerSettings, source: list[str | Path],
                   silver: list[str | Path]) -> LabelMap:
    """The label set: ``config.labels``, else the source data's, else the silver data's."""
    if config.labels:
        return LabelMap.build(config.task, config.labels)
    types: set[str] = set()
    for path in source or silver:
        for _, sent in read_sentences(path):
            types |= sentence_types(sent, config.task)
    if config.task == "pos" and not types:
        raise XlieError("no POS tags found in the training data",
                        "POS training needs a `tags` field (or a CoNLL-U UPOS column)")
    if config.task in ("ner", "event") and not types:
        types = set()  # an all-O tagger is legal but useless; the caller warns
    return LabelMap.build(config.task, types - {OUTSIDE})


def load_examples(paths: list[str | Path], origin: str, builder: ExampleBuilder,
                  skip: Collection[tuple[int, int]] = frozenset()) -> list[Example]:
    """Examples of every sentence but those ``skip`` names by (file index, sentence index)."""
    out = []
    for fi, path in enumerate(paths):
        for si, (line, sent) in enumerate(read_sentences(path)):
            if (fi, si) in skip:
                builder.report.add(origin, "held_out_for_dev")
                continue
            ex = builder.build(path, line, sent, origin)
            if ex is not None:
                out.append(ex)
    return out
