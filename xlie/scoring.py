"""Scores of predicted annotations against gold, one module for every stage: ``xlie project
eval``, the tagger's dev and test scores in ``xlie selftrain``, and the pipeline's metrics.

NER: entity-level precision, recall and F1 with seqeval's entity decoder: an entity counts
only when start, end and type all match; a tag sequence is decoded as conlleval and seqeval
do (a stray ``I-X`` starts an entity), which for tags made from spans is seqeval's strict
mode. Per type and micro-averaged. POS: accuracy on the gold-tagged words the prediction
tagged, and coverage (the share it tagged). Every score is a fraction in [0, 1];
:func:`percent` is the one place that turns one into a figure for a report.

Trees: UAS and LAS as the CoNLL 2018 shared task (every syntactic word, punctuation
included; LAS compares the universal relation only, ``nmod`` for ``nmod:poss``), on the words
that got a head and over all words, with coverage.
Sentences are paired by id when every predicted id is a gold id (a gold sentence with no
prediction then counts as all missed), else by position.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from .corpus import Sentence, has_tag
from .errors import XlieError
from .formats.detect import read_any
from .trees import universal

Entity = tuple[int, str, int, int]    # (sentence, type, first token, last token)
Pairs = Iterable[tuple[Sentence, Optional[Sentence]]]


def percent(x: float) -> float:
    """A fraction as a percentage with two decimals, for reports."""
    return round(100 * float(x), 2)


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold, "predicted": n_pred}


def entity_scores(gold: Iterable[Entity], pred: Iterable[Entity]) -> dict[str, Any]:
    """Micro and per-type P/R/F1 of exact entity matches (seqeval's counting)."""
    gold, pred = set(gold), set(pred)
    n_gold = Counter(e[1] for e in gold)
    n_pred = Counter(e[1] for e in pred)
    tp = Counter(e[1] for e in pred & gold)
    per_type = {t: _prf(tp[t], n_pred[t], n_gold[t]) for t in sorted(set(n_gold) | set(n_pred))}
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return {"micro": micro, "per_type": per_type}


def _tag_entities(seqs: Sequence[Sequence[str]]) -> set[Entity]:
    from seqeval.metrics.sequence_labeling import get_entities
    return {(k, t, a, b) for k, tags in enumerate(seqs) for t, a, b in get_entities(list(tags))}


def _span_entities(sents: Iterable[Optional[Sentence]]) -> set[Entity]:
    return {(k, s.label, s.start, s.end - 1) for k, sent in enumerate(sents)
            for s in (sent.spans if sent is not None else [])}


def ner_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Entity scores of tag sequences (IOB1, IOB2 or BIOES), one per sentence."""
    return entity_scores(_tag_entities(gold), _tag_entities(pred))


def pos_scores(gold: Sequence[Sequence[Optional[str]]],
               pred: Sequence[Sequence[Optional[str]]]) -> dict[str, Any]:
    """Tagging accuracy over the words with a gold tag that the prediction tagged, the
    coverage (the share of gold-tagged words it tagged) and accuracy over all of them."""
    total = labeled = correct = 0
    for gs, ps in zip(gold, pred):
        for g, p in zip(gs, ps):
            if not has_tag(g):
                continue
            total += 1
            if has_tag(p):
                labeled += 1
                correct += p == g
    return {"accuracy": correct / labeled if labeled else 0.0,
            "coverage": labeled / total if total else 0.0,
            "accuracy_all_tokens": correct / total if total else 0.0,
            "tokens": total, "labeled": labeled}


def main_score(task: str, scores: dict[str, Any]) -> float:
    """The one figure of a result: micro F1 (NER), accuracy (POS), LAS (dep), the RELX
    macro F1 (relation)."""
    if task == "relation":
        return scores["macro_f1"]
    if task == "event":
        return scores["trigger_class"]["f1"]
    if task == "dep":
        return scores["las"]
    return scores["accuracy"] if task == "pos" else scores["micro"]["f1"]


def pair_sentences(gold: list[Sentence], pred: list[Sentence], gold_name: str = "gold",
                   pred_name: str = "predictions") -> list[tuple[Sentence, Sentence | None]]:
    """Pair each gold sentence with its prediction: by id when the gold ids are distinct and
    every predicted id is one of them, else by position when the counts agree. A predicted id
    given twice is an error (one would be scored, the other dropped). ``gold_name`` and
    ``pred_name`` (the files) are what the errors name."""
    by_id = {s.id: s for s in gold}
    if len(by_id) == len(gold) and all(p.id in by_id for p in pred):
        found: dict[str, Sentence] = {}
        for k, p in enumerate(pred, 1):
            if p.id in found:
                raise XlieError(f"{pred_name}: sentence id {p.id!r} appears twice (again as "
                                f"sentence {k})", "give each predicted sentence its own id")
            found[p.id] = p
        pairs = [(g, found.get(g.id)) for g in gold]
    elif len(gold) == len(pred):
        pairs = list(zip(gold, pred))
        for k, (g, p) in enumerate(pairs, 1):   # paired by position: never across documents
            gd, pd = getattr(g, "doc", None), getattr(p, "doc", None)
            if gd is not None and pd is not None and str(gd) != str(pd):
                raise XlieError(f"sentence {k} of {pred_name} is from document {pd!r}, that "
                                f"of {gold_name} from {gd!r} (the ids differ, so sentences "
                                "pair by position)", "score the prediction of the same "
                                "document (a TimeML file's DOCID)")
    else:
        raise XlieError(f"cannot pair the {len(pred)} sentences of {pred_name} with the "
                        f"{len(gold)} of {gold_name}: the ids differ and so do the counts",
                        "score files made from the same sentences, in the same order")
    for g, p in pairs:
        if p is not None and len(p.tokens) != len(g.tokens):
            raise XlieError(f"sentence {g.id}: {len(p.tokens)} tokens in {pred_name} but "
                            f"{len(g.tokens)} in {gold_name}",
                            "project onto the gold tokenization to score")
    return pairs


def score_ner(pairs: Pairs) -> dict[str, Any]:
    """Entity scores of paired sentences' spans (overlapping spans each count)."""
    pairs = list(pairs)
    return entity_scores(_span_entities(g for g, _ in pairs), _span_entities(p for _, p in pairs))


def score_pos(pairs: Pairs) -> dict[str, Any]:
    """POS scores of paired sentences' tags (a missing prediction tags nothing)."""
    pairs = list(pairs)
    gold = [g.tags or [] for g, _ in pairs]
    pred = [(p.tags if p is not None else None) or [None] * len(gs)
            for (_, p), gs in zip(pairs, gold)]
    return pos_scores(gold, pred)


def score_dep(pairs: Pairs) -> dict[str, Any]:
    """UAS/LAS of paired sentences' trees (CoNLL 2018; a missing head counts in ``_all_words``
    only); fractions."""
    total = covered = heads = labeled = 0
    for g, p in pairs:
        if g.heads is None:
            continue
        n = len(g.tokens)
        ph = (p.heads if p is not None else None) or [None] * n
        pr = (p.deprels if p is not None else None) or ["_"] * n
        for gh, gr, h, r in zip(g.heads, g.deprels or ["_"] * n, ph, pr):
            if gh is None:
                continue
            total += 1
            if h is not None:
                covered += 1
                heads += h == gh
                labeled += h == gh and universal(r) == universal(gr)
    return {"uas": heads / covered if covered else 0.0,
            "las": labeled / covered if covered else 0.0,
            "coverage": covered / total if total else 0.0,
            "uas_all_words": heads / total if total else 0.0,
            "las_all_words": labeled / total if total else 0.0,
            "words": total, "covered": covered}


# Relations (KBP37/RELX): each sentence holds one marked pair (spans E1, E2) and one relation.
NONE_LABELS = ("no_relation", "Other")


def directed_label(sent: Sentence) -> Optional[str]:
    """The sentence's relation as one directed label (``rel(e1,e2)``, ``rel(e2,e1)`` or a
    label without direction), or None when it has no relation or no E1/E2 pair."""
    by = {s.label: str(s.id) for s in sent.spans}
    rel = next(iter(sent.relations or []), None)
    if rel is None or "E1" not in by or "E2" not in by:
        return None
    if rel.get("directed") is False or rel["label"] in NONE_LABELS:
        return rel["label"]
    return f"{rel['label']}(e2,e1)" if str(rel.get("head")) == by["E2"] else f"{rel['label']}(e1,e2)"


def split_label(label: str) -> tuple[str, Optional[str]]:
    """``per:x(e2,e1)`` -> (``per:x``, ``e2``): the relation and which entity is the head."""
    if label.endswith(")") and "(" in label:
        base, args = label[:-1].split("(", 1)
        return base, args.split(",")[0]
    return label, None


def relx_f1(gold: Sequence[Sentence], pred: Sequence[Optional[Sentence]]) -> dict[str, Any]:
    """The RELX metric: for each relation (not ``no_relation``), micro-F1 over its two
    directed labels; ``macro_f1`` is their mean over the relations seen in gold or
    prediction. ``per_relation`` holds each relation's F1, ``rows`` its P/R/F1 and counts."""
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        gl, pl = directed_label(g), directed_label(p) if p is not None else None
        if gl is not None and split_label(gl)[0] not in NONE_LABELS:
            n_gold[split_label(gl)[0]] += 1
        if pl is not None and split_label(pl)[0] not in NONE_LABELS:
            n_pred[split_label(pl)[0]] += 1
            tp[split_label(pl)[0]] += pl == gl
    rows = {r: _prf(tp[r], n_pred[r], n_gold[r]) for r in sorted(set(n_gold) | set(n_pred))}
    per = {r: row["f1"] for r, row in rows.items()}
    return {"macro_f1": sum(per.values()) / len(per) if per else 0.0, "per_relation": per,
            "rows": rows, "sentences": len(gold)}


def score_relations(pairs: Pairs) -> dict[str, Any]:
    pairs = list(pairs)
    return relx_f1([g for g, _ in pairs], [p for _, p in pairs])


def evaluate(gold: str | Path | list[Sentence], pred: str | Path | list[Sentence],
             task: str = "auto", gold_format: str | None = None,
             pred_format: str | None = None) -> dict[str, Any]:
    """Score ``pred`` against ``gold``; ``task`` is ner, pos, dep, relation, event or auto
    (what gold has: event triggers where its records carry ``events``, scoring_events.py)."""
    from .scoring_events import has_events, score_events
    if task not in ("ner", "pos", "dep", "relation", "event", "auto"):
        raise XlieError(f"unknown task {task!r}", "choose ner, pos, dep, relation, event or auto")
    names = [str(x) if isinstance(x, (str, Path)) else default
             for x, default in ((gold, "gold"), (pred, "predictions"))]
    gold = list(read_any(gold, gold_format)) if isinstance(gold, (str, Path)) else list(gold)
    pred = list(read_any(pred, pred_format)) if isinstance(pred, (str, Path)) else list(pred)
    pairs = pair_sentences(gold, pred, *names)
    out: dict[str, Any] = {"sentences": len(pairs),
                           "sentences_missing": sum(p is None for _, p in pairs)}
    has_tags = any(g.tags for g in gold)
    has_trees = any(g.heads for g in gold)
    has_relations = any(g.relations for g in gold)
    if task == "relation" or (task == "auto" and has_relations):
        out["relation"] = score_relations(pairs)
        if task == "relation" or all(s.label in ("E1", "E2") for g in gold for s in g.spans):
            return out   # E1/E2 are argument markers, not entities to score
    events_gold = has_events(gold)   # event spans are scored as events, not as entities
    if task in ("ner", "auto") and (task == "ner" or not (has_tags or has_trees or events_gold)
                                    or (any(g.spans for g in gold) and not events_gold)):
        out["ner"] = score_ner(pairs)
    if task in ("pos", "auto") and has_tags:
        out["pos"] = score_pos(pairs)
    if task == "dep" or (task == "auto" and has_trees):
        out["dep"] = score_dep(pairs)
    if task == "event" or (task == "auto" and events_gold):
        out["event"] = score_events(pairs)
    return out


def format_scores(scores: dict[str, Any]) -> str:
    """A small table for the terminal."""
    lines = [f"{scores['sentences']} sentences"
             + (f" ({scores['sentences_missing']} without prediction)"
                if scores.get("sentences_missing") else "")]
    if "ner" in scores:
        lines.append(f"{'type':<8} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'pred':>6}")
        rows = list(scores["ner"]["per_type"].items()) + [("micro", scores["ner"]["micro"])]
        for t, s in rows:
            lines.append(f"{t:<8} {100 * s['precision']:6.2f} {100 * s['recall']:6.2f} "
                         f"{100 * s['f1']:6.2f} {s['support']:6d} {s['predicted']:6d}")
    if "pos" in scores:
        s = scores["pos"]
        lines.append(f"UPOS accuracy {100 * s['accuracy']:.2f} on {s['labeled']} labeled tokens, "
                     f"coverage {100 * s['coverage']:.2f} of {s['tokens']}")
    if "dep" in scores:
        s = scores["dep"]
        lines.append(f"UAS {percent(s['uas']):.2f} LAS {percent(s['las']):.2f} on {s['covered']} "
                     f"words with a head, coverage {percent(s['coverage']):.2f} of {s['words']} "
                     f"(all words: UAS {percent(s['uas_all_words']):.2f} "
                     f"LAS {percent(s['las_all_words']):.2f})")
    if "relation" in scores:
        s = scores["relation"]
        lines.append(f"{'relation':<32} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'pred':>6}")
        for r, row in s["rows"].items():
            lines.append(f"{r:<32} {100 * row['precision']:6.2f} {100 * row['recall']:6.2f} "
                         f"{100 * row['f1']:6.2f} {row['support']:6d} {row['predicted']:6d}")
        lines.append(f"RELX macro F1 {percent(s['macro_f1']):.2f} over {len(s['rows'])} relations "
                     f"(no_relation excluded)")
    if "event" in scores:
        from .scoring_events import format_event_scores
        lines += format_event_scores(scores["event"])
    return "\n".join(lines)
