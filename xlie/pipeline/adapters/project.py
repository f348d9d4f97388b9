"""The project stage: ``xlie.projection.project`` over each batch of aligned records.

Output: the silver target-language corpus (each span keeps its source span's id); counts
of what was projected and what was dropped, by reason and per label (``label:PER:in``,
``label:PER:dropped:unaligned``, ...), go into the manifest. With
``eval.gold`` the silver corpus is scored against the target gold (``projected_f1``, in percent).

Records of the documents stage (one per document, with ``target_sentences``) are
projected whole and cut back into the target's sentences (``projection.documents``).

Edge-trimming function words, and the type evidence that corrects and fills projected tags
(``projection.type_constraints``), are learnt once, in streaming passes over the whole
aligned corpus before the first batch, so every batch projects with the same evidence as a
whole-file ``xlie project`` would.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ...config import choice_validator
from ...projection.methods import METHODS
from ...projection.options import ProjectionOptions
from ..stages import BatchResult, BatchStageConfig, Stage, StageContext


class ProjectStageConfig(BatchStageConfig, ProjectionOptions):
    """``xlie.projection.ProjectionOptions`` plus the batch size."""
    batch_size: int = Field(1024, ge=1)

    _method = choice_validator("method", "projection method", METHODS)


def setup(cfg: ProjectStageConfig, ctx: StageContext):
    from ...formats.jsonl import read_jsonl
    from ...projection.api import make_options
    from ...projection.edges import edge_words_of
    from ...projection.type_constraints import evidence_of_records, uses_evidence
    opts = make_options(cfg.model_dump(exclude={"enabled", "batch_size"}))
    def records():
        return (rec for _, rec in read_jsonl(ctx.inputs["alignment"]))
    edges = edge_words_of(records(), opts.function_words)
    # more streaming passes: each target type's projected tags, then its projected arcs
    evidence = evidence_of_records(records, opts) if uses_evidence(opts) else None
    return opts, ctx.tgt_lang, edges, evidence


def _counts(report: dict) -> dict[str, int]:
    spans = report.get("spans", {})
    counts = {"sentences": report.get("sentences", 0), "spans_in": spans.get("in", 0),
              "spans_projected": spans.get("projected", 0)}
    counts.update({f"spans_dropped:{k}": v for k, v in spans.get("dropped", {}).items()})
    counts.update({f"sentences_skipped:{k}": v
                   for k, v in report.get("sentences_skipped", {}).items()})
    # per label (the run report's losses by label and reason; `xlie status` hides them)
    counts.update({f"label:{label}:{k}": v for label, c in report.get("per_label", {}).items()
                   for k, v in c.items()})
    pos, trees = report.get("pos", {}), report.get("trees", {})
    if pos:  # silver POS and trees: words, and how many got a tag / a head
        counts.update(pos_tokens=pos.get("tokens", 0), pos_labeled=pos.get("labeled", 0))
    if trees:
        counts.update(tree_words=trees.get("words", 0), tree_arcs=trees.get("arcs", 0))
    counts.update({f"documents:{k}": v for k, v in report.get("documents", {}).items()})
    return counts


def process_batch(state, records: list[dict]) -> BatchResult:
    from ...projection.api import project
    opts, lang, edge_words, evidence = state
    result = project(records, options=opts, lang=lang, edge_words=edge_words, evidence=evidence)
    sentences = result.sentences
    if any("target_sentences" in r for r in records):   # whole documents (the documents stage)
        from ...projection.documents import cut_documents
        sentences = cut_documents(records, sentences, result.report, lang)
    return BatchResult([s.to_json() for s in sentences], _counts(result.report.to_dict()))


def finalize(ctx: StageContext, output: Path) -> dict:
    """Projected-F1 against the target gold, when the config names one."""
    if ctx.eval_gold is None:
        return {}
    from ...errors import XlieError
    from ...scoring import evaluate, percent
    try:
        scores = evaluate(ctx.eval_gold, output, task="ner")["ner"]["micro"]
    except XlieError as e:  # e.g. machine-translated tokens are not the gold's sentences
        return {"projected_f1": f"not scored: {e.message}"}
    return {"projected_f1": percent(scores["f1"]),
            "projected_precision": percent(scores["precision"]),
            "projected_recall": percent(scores["recall"])}


STAGE = Stage(
    "project", 3, needs=("alignment",), provides=("silver",), config_model=ProjectStageConfig,
    outputs={"silver": "silver.jsonl"}, setup=setup, process_batch=process_batch,
    finalize=finalize, description="project source spans through the alignment")
