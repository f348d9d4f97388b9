"""Relations and events follow their spans.

A relation ``{"label", "head": span id, "tail": span id}`` (or with ``"args": [{"role",
"span"}]``) is kept only when every span it names was projected. An event ``{"label",
"trigger": span id, "args": [{"role", "span"}]}`` is kept when its trigger was projected,
with only the arguments whose spans were projected; the rest are counted as dropped.
"""
from __future__ import annotations

from collections import Counter
from typing import Any


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
