"""Relations and events follow their spans.

A relation ``{"label", "head": span id, "tail": span id}`` (or with ``"args": [{"role",
"span"}]``) is kept only when every span it names was projected. An event ``{"label",
"trigger": span id, "args": [{"role", "span"}]}`` is kept when its trigger was projected,
with only the arguments whose spans were projected; the rest are counted as dropped.

Relation examples (KBP37/RELX) name their two entities E1 and E2 by where they stand: E1
comes first, and the label's direction (``(e2,e1)``) says which is the head. The relation
itself names its spans by id, so when a translation puts the two the other way round
(Turkish, verb-final) the labels are swapped to keep E1 first, and the relation still
points at the same two entities.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..corpus import Span
from ..formats.relx import ENTITIES


def span_refs(rel: dict[str, Any]) -> list[str]:
    refs = [rel[k] for k in ("head", "tail", "trigger") if rel.get(k) is not None]
    refs += [a.get("span") for a in rel.get("args") or [] if isinstance(a, dict)]
    return [str(r) for r in refs]


def project_relations(relations: list[dict[str, Any]], projected: set[str],
                      counts: Counter) -> list[dict[str, Any]]:
    """Keep what can be kept; ``counts`` gets relations/events/arguments kept and dropped."""
    kept = []
    for rel in relations:
        if rel.get("trigger") is not None:
            counts["events_in"] += 1
            args = [a for a in rel.get("args") or []]
            counts["event_args_in"] += len(args)
            if str(rel["trigger"]) not in projected:
                counts["events_dropped"] += 1
                counts["event_args_dropped"] += len(args)
                continue
            good = [a for a in args if str(a.get("span")) in projected]
            counts["event_args_dropped"] += len(args) - len(good)
            counts["event_args_kept"] += len(good)
            counts["events_kept"] += 1
            kept.append({**rel, "args": good})
        else:
            counts["relations_in"] += 1
            if all(r in projected for r in span_refs(rel)):
                counts["relations_kept"] += 1
                kept.append(dict(rel))
            else:
                counts["relations_dropped"] += 1
    return kept


def order_entities(source: list[Span], projected: list[Span]) -> list[Span]:
    """Relabel projected E1/E2 spans so that E1 comes first again, where the source had E1
    first and the target turned them round."""
    src = {s.label: s for s in source if s.label in ENTITIES}
    out = {s.label: s for s in projected if s.label in ENTITIES}
    e1, e2 = ENTITIES
    if len(src) < 2 or len(out) < 2 or src[e1].start > src[e2].start \
            or out[e1].start < out[e2].start:
        return projected
    swap = {e1: e2, e2: e1}
    return [s.model_copy(update={"label": swap[s.label]}) if s.label in swap else s
            for s in projected]
