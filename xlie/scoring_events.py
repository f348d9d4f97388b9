"""Event trigger scores (TimeML, ACE-style events): kept apart from ``scoring.py``, which
calls it for ``task="event"`` (and for ``auto`` where the gold records carry ``events``).

Two strict figures, as the TempEval-3 and ACE event papers report them:

* **trigger**: a predicted trigger counts when its start and end match a gold trigger of
  the same sentence (event identification, class ignored);
* **trigger + class** (``trigger_class``): start, end and class must match (event
  classification), micro-averaged, and per class.

Where the gold events carry arguments (ACE-style ``args: [{"role", "span"}]``), two more,
as Li et al. (2013) and later ACE papers (OneIE, DyGIE++) count them:

* **argument** (identification): a predicted argument counts when its span's start and end
  and its event's type match a gold argument of the same sentence;
* **argument + role** (``argument_class``): the role must match too.

Each is over unique ``(sentence, event type, start, end[, role])`` tuples, so the trigger
itself need not be right, only its type (two events of one type sharing an argument count
once). Sentences whose gold events have no arguments at all add no such figure.

A sentence's triggers are the spans its ``events`` list names as ``trigger``; a sentence
with no ``events`` list (a tagger's output) has every span as a trigger. Fractions, like
the other scores.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Optional

from .corpus import Sentence, Span

Trigger = tuple[int, int, int, str]    # (sentence, start, end, class)
Argument = tuple[int, str, int, int, str]   # (sentence, event type, start, end, role)


def triggers(sent: Optional[Sentence]) -> list[Span]:
    """The spans of a sentence that are event triggers (see the module doc)."""
    if sent is None:
        return []
    events = getattr(sent, "events", None)
    if events is None:
        return list(sent.spans)
    named = {str(e.get("trigger")) for e in events if isinstance(e, dict)}
    return [s for s in sent.spans if s.id is not None and str(s.id) in named]


def arguments(sent: Optional[Sentence]) -> list[tuple[str, int, int, str]]:
    """``(event type, start, end, role)`` of every argument of the sentence's events (an
    argument naming no span of the sentence is left out)."""
    if sent is None:
        return []
    by_id = {str(s.id) if s.id is not None else f"{sent.id}-{k}": s
             for k, s in enumerate(sent.spans)}
    out = []
    for ev in getattr(sent, "events", None) or []:
        if not isinstance(ev, dict):
            continue
        trig = by_id.get(str(ev.get("trigger")))
        etype = ev.get("label") or (trig.label if trig is not None else "")
        for a in ev.get("args") or []:
            span = by_id.get(str(a.get("span"))) if isinstance(a, dict) else None
            if span is not None:
                out.append((str(etype), span.start, span.end, str(a.get("role"))))
    return out


def argument_scores(gold: Iterable[Argument], pred: Iterable[Argument]) -> dict[str, Any]:
    """Argument identification (type and span) and argument + role of argument sets."""
    gold, pred = set(gold), set(pred)
    ident_g, ident_p = {a[:4] for a in gold}, {a[:4] for a in pred}
    return {"argument": _prf(len(ident_g & ident_p), len(ident_p), len(ident_g)),
            "argument_class": _prf(len(gold & pred), len(pred), len(gold))}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "support": n_gold, "predicted": n_pred}


def trigger_scores(gold: Iterable[Trigger], pred: Iterable[Trigger]) -> dict[str, Any]:
    """Trigger identification, trigger + class (micro and per class) of trigger sets."""
    gold, pred = set(gold), set(pred)
    span_g = {t[:3] for t in gold}
    span_p = {t[:3] for t in pred}
    n_g, n_p = Counter(t[3] for t in gold), Counter(t[3] for t in pred)
    tp = Counter(t[3] for t in gold & pred)
    return {"trigger": _prf(len(span_g & span_p), len(span_p), len(span_g)),
            "trigger_class": _prf(sum(tp.values()), len(pred), len(gold)),
            "per_class": {c: _prf(tp[c], n_p[c], n_g[c]) for c in sorted(set(n_g) | set(n_p))}}


def score_events(pairs: Iterable[tuple[Sentence, Optional[Sentence]]]) -> dict[str, Any]:
    """Trigger scores of paired (gold, predicted) sentences; a missing prediction finds
    nothing."""
    gold: set[Trigger] = set()
    pred: set[Trigger] = set()
    gold_args: set[Argument] = set()
    pred_args: set[Argument] = set()
    for k, (g, p) in enumerate(pairs):
        gold |= {(k, s.start, s.end, s.label) for s in triggers(g)}
        pred |= {(k, s.start, s.end, s.label) for s in triggers(p)}
        gold_args |= {(k, *a) for a in arguments(g)}
        pred_args |= {(k, *a) for a in arguments(p)}
    out = trigger_scores(gold, pred)
    if gold_args:
        out.update(argument_scores(gold_args, pred_args))
    return out


def has_events(sentences: Iterable[Sentence]) -> bool:
    """Whether a gold corpus carries events (``task auto`` scores them then)."""
    return any(getattr(s, "events", None) is not None for s in sentences)


def format_event_scores(scores: dict[str, Any]) -> list[str]:
    """Lines of the terminal table."""
    lines = [f"{'event':<12} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'pred':>6}"]
    rows = list(scores["per_class"].items()) + [("trigger", scores["trigger"]),
                                                 ("trig+class", scores["trigger_class"])]
    rows += [(name, scores[key]) for name, key in (("argument", "argument"),
                                                   ("arg+role", "argument_class"))
             if key in scores]
    for name, s in rows:
        lines.append(f"{name:<12} {100 * s['precision']:6.2f} {100 * s['recall']:6.2f} "
                     f"{100 * s['f1']:6.2f} {s['support']:6d} {s['predicted']:6d}")
    return lines
