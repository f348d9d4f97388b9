"""Project one sentence: spans by the chosen method, then tags, trees, relations, events."""
from __future__ import annotations

from ..corpus import UNLABELED, Sentence, Span
from .links import Links
from .methods import get_method
from .options import ProjectionOptions
from .pos import project_tags
from .relations import order_entities, project_relations
from .report import ProjectionReport
from .result import LOW_CONFIDENCE, Projected
from .trees import project_tree_heuristic, project_tree_mst
from .tree_labels import agree_relations
from .type_constraints import TypeEvidence, arc_types, constrain_tags


def with_span_ids(sent: Sentence) -> list[Span]:
    """Source spans, each with an id (``{sentence id}-{k}`` where it had none)."""
    return [s if s.id is not None else s.model_copy(update={"id": f"{sent.id}-{k}"})
            for k, s in enumerate(sent.spans)]


def project_sentence(src: Sentence, tgt_tokens: list[str], links: Links | None,
                     opts: ProjectionOptions, report: ProjectionReport, translation=None,
                     src_fw: frozenset[str] = frozenset(), tgt_fw: frozenset[str] = frozenset(),
                     lang: str | None = None,
                     pairs: frozenset[tuple[str, str]] = frozenset(),
                     evidence: TypeEvidence | None = None) -> Sentence:
    spans = with_span_ids(src)
    method = get_method(opts.method)
    results: list[Projected] = []
    if spans:
        results = method(spans, links, tgt_tokens, opts, src_tokens=src.tokens,
                         src_fw=src_fw, tgt_fw=tgt_fw, translation=translation, pairs=pairs)
        for r in results:
            if r.ok and r.score < opts.threshold:
                r.reason = LOW_CONFIDENCE
        report.add_spans(results)
    kept = sorted((r for r in results if r.ok), key=lambda r: (r.start, r.end))
    out = {"id": src.id, "lang": lang, "tokens": tgt_tokens,
           "spans": order_entities(spans, [r.to_span() for r in kept])}
    tags = None
    if src.tags is not None and links is not None:
        heuristic = opts.method == "heuristic"
        tags = project_tags(src.tags, links, tgt_tokens, vote=not heuristic,
                            rules=opts.pos_rules and not heuristic,
                            src_heads=src.heads if opts.pos_phrase_heads else None)
        if evidence is not None and opts.pos_types:
            tags = constrain_tags(tgt_tokens, tags, evidence, opts.pos_type_min_share,
                                  opts.pos_type_fill_share, opts.pos_type_min_count,
                                  opts.pos_casing)
        report.pos["tokens"] += len(tags)
        report.pos["labeled"] += sum(t != UNLABELED for t in tags)
        out["tags"] = tags
    if src.heads is not None and src.deprels is not None and links is not None:
        if opts.method == "heuristic":
            tree = project_tree_heuristic(src.heads, src.deprels, links, tgt_tokens)
        else:
            tree = project_tree_mst(src.heads, src.deprels, links, tgt_tokens,
                                    decay=opts.dep_decay, threshold=opts.dep_threshold,
                                    punct=opts.dep_punct, types=arc_types(evidence, tags, opts),
                                    fallback=opts.dep_fallback)
            if opts.dep_relabel and tags is not None:
                tree.deprels = agree_relations(tags, tree.heads, tree.deprels)
        report.add_tree(tree)
        out.update(heads=tree.heads, deprels=tree.deprels, arc_scores=tree.scores)
    if src.relations:
        out["relations"] = project_relations(src.relations, {r.source.id for r in kept},
                                             report.relations)
    events = getattr(src, "events", None)
    if events:   # a corpus's own event list (TimeML's): trigger and arguments name span ids
        out["events"] = project_relations(events, {r.source.id for r in kept}, report.relations)
    report.sentences += 1
    return Sentence(**out)
