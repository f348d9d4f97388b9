"""Score the run's taggers once more on its test set, word by word: what ``metrics.json``
keeps as one figure (POS accuracy, LAS) becomes per-label scores, a confusion matrix, the
LAS of each relation, and the sentences the final tagger got most wrong."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from .summary import RunSummary, SentenceCase

WORST = 3          # sentences drawn
CONFUSION_TAGS = 17


def per_label(gold: Sequence[Sequence[Optional[str]]],
              pred: Sequence[Sequence[Optional[str]]]) -> dict[str, dict[str, float]]:
    """Per-tag precision, recall and F1 over the words with a gold tag (fractions)."""
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for gs, ps in zip(gold, pred):
        for g, p in zip(gs, ps):
            if g in (None, "_"):
                continue
            n_gold[g] += 1
            if p not in (None, "_"):
                n_pred[p] += 1
                tp[g] += p == g
    out = {}
    for t in sorted(set(n_gold) | set(n_pred)):
        prec = tp[t] / n_pred[t] if n_pred[t] else 0.0
        rec = tp[t] / n_gold[t] if n_gold[t] else 0.0
        out[t] = {"precision": prec, "recall": rec,
                  "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                  "support": n_gold[t]}
    return out


def confusion(gold, pred, top: int = CONFUSION_TAGS) -> tuple[list[str], list[list[int]]]:
    """Counts of (gold tag, predicted tag) over the ``top`` most frequent gold tags."""
    pairs = Counter((g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps)
                    if g not in (None, "_") and p not in (None, "_"))
    freq = Counter()
    for (g, _), n in pairs.items():
        freq[g] += n
    labels = sorted(t for t, _ in freq.most_common(top))
    return labels, [[pairs[(g, p)] for p in labels] for g in labels]


def las_by_relation(gold: Sequence[Sentence], pred: Sequence[Sentence]
                    ) -> dict[str, tuple[float, int]]:
    """Per gold relation (universal part, as LAS counts it): the share of its words whose
    predicted head and relation are right, and how many words it has."""
    from ..trees import universal
    right, total = Counter(), Counter()
    for g, p in zip(gold, pred):
        if g.heads is None:
            continue
        n = len(g.tokens)
        rels, ph, pr = g.deprels or ["_"] * n, p.heads or [None] * n, p.deprels or ["_"] * n
        for gh, gr, h, r in zip(g.heads, rels, ph, pr):
            if gh is None or gr in (None, "_"):
                continue
            rel = universal(gr)
            total[rel] += 1
            right[rel] += h == gh and universal(r) == rel
    return {rel: (right[rel] / n, n) for rel, n in total.items()}


def _parser(summary: RunSummary, final: Path, sents: list[Sentence]) -> None:
    from ..selftrain.parser import Parser
    gold = [s for s in sents if s.heads is not None]
    if gold:
        summary.las_by_relation = las_by_relation(gold, Parser.load(final).predict(gold))


def _gold_tags(task: str, sents: list[Sentence]) -> list[list[Optional[str]]]:
    if task == "pos":
        return [list(s.tags or [None] * len(s.tokens)) for s in sents]
    from ..formats.iob import spans_to_tags
    return [spans_to_tags(len(s.tokens), [(x.start, x.end, x.label) for x in s.spans],
                          overlaps="first") for s in sents]


def _sentence_score(task: str, gold: list, pred: list) -> float:
    if task == "pos":
        scored = [(g, p) for g, p in zip(gold, pred) if g not in (None, "_")]
        return sum(g == p for g, p in scored) / len(scored) if scored else 1.0
    from ..scoring import ner_scores
    both = [x for x in gold + pred if x not in ("O", None)]
    return ner_scores([gold], [pred])["micro"]["f1"] if both else 1.0


def _as_record(task: str, sent: Sentence, tags: list) -> dict:
    if task == "pos":
        return {"id": sent.id, "tokens": sent.tokens, "tags": list(tags)}
    from ..formats.iob import tags_to_spans
    return {"id": sent.id, "tokens": sent.tokens,
            "spans": [{"start": a, "end": b, "label": lab} for a, b, lab in tags_to_spans(tags)]}


def score_models(summary: RunSummary, train_dir: Path, test_path: Path) -> None:
    """Fill ``label_scores``, ``confusion`` and ``worst_test`` from the final tagger (and the
    source-only one, when the run trained it)."""
    final = train_dir / "model"
    if not (final / "config.json").exists():
        return
    from ..selftrain.data import read_sentences
    from ..selftrain.predict import Tagger
    sents = [s for _, s in read_sentences(test_path) if s.tokens]
    if not sents:
        return
    if (final / "parser.json").exists():
        _parser(summary, final, sents)
        return
    models = {"final tagger": final, "source only": train_dir / "source-only" / "model"}
    for name, path in models.items():
        if not (path / "config.json").exists():
            continue
        tagger = Tagger.load(path, device="cpu")
        task = tagger.labels.task
        pred = [p.labels for p in tagger.predict_words([s.tokens for s in sents])]
        gold = _gold_tags(task, sents)
        if task == "pos":
            summary.label_scores[name] = per_label(gold, pred)
        else:
            from ..scoring import ner_scores
            summary.label_scores[name] = ner_scores(gold, pred)["per_type"]
        if name != "final tagger":
            continue
        if task == "pos":
            summary.confusion = confusion(gold, pred)
        scored = sorted(((_sentence_score(task, g, p), k) for k, (g, p) in
                         enumerate(zip(gold, pred)) if len(sents[k].tokens) >= 3))
        for score, k in scored[:WORST]:
            s = sents[k]
            what = "accuracy" if task == "pos" else "F1"
            summary.worst_test.append(SentenceCase(
                s.id, f"final tagger's {what} on this sentence: {100 * score:.0f}%",
                s.model_dump(exclude_none=True), _as_record(task, s, pred[k])))
