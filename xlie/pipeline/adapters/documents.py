"""The documents stage: pair each source document with its human translation and align it
as one long pair (``xlie.projection.documents``), for projection with no sentence pairing.

A pipeline that starts here has source records carrying ``doc`` (``xlie convert DOC.tml
DOC.jsonl``; the documents of a corpus concatenated) as ``input.corpus`` and the translated
documents (a file, or a folder of ``.tml``/``.jsonl`` files) as ``documents.target``::

    input: {corpus: en-docs.jsonl, src_lang: en, tgt_lang: pt}
    documents: {target: pt/train/, model: e5-small}
    project: {}

Its output is one aligned record per document (the joined source and target, their links,
and the target's sentences), so the project stage projects each document whole and cuts
the target spans back into the target's sentences (counting what a cut loses). The
translate and align stages are left out of such a run.
"""
from __future__ import annotations

from pydantic import Field

from ...aligners.settings import AlignerSettings
from ..stages import Stage, StageConfig, StageContext


class DocumentsStageConfig(StageConfig, AlignerSettings):
    """The translated documents, the aligner's model and ``AlignerSettings``."""
    target: str = Field(description="the translated documents: a file or a folder of them, "
                                    "records paired with the input's by their `doc` key")
    model: str = "e5-small"


def run(ctx: StageContext) -> dict:
    from ...aligners import Aligner
    from ...fileio import atomic_write
    from ...formats.jsonl import read_corpus
    from ...projection.documents import (align_documents, document_records, pair_documents,
                                         read_documents)
    from ..inputs import resolve_path
    import json
    cfg: DocumentsStageConfig = ctx.config
    source = list(read_corpus(ctx.inputs["corpus"]))
    target = read_documents(resolve_path(cfg.target), lang=ctx.tgt_lang)
    pairs, missing = pair_documents(source, target)
    settings = cfg.model_dump(include=set(AlignerSettings.model_fields))
    links = align_documents(pairs, Aligner(cfg.model, AlignerSettings(**settings)))
    with atomic_write(ctx.out_dir / "documents.jsonl") as f:
        for rec in document_records(pairs, links):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return {"counts": {"documents": len(pairs), **dict(missing),
                       "source_sentences": sum(len(p.source) for p in pairs),
                       "target_sentences": sum(len(p.target) for p in pairs)}}


STAGE = Stage(
    "documents", 0, needs=("corpus",), provides=("alignment",),
    config_model=DocumentsStageConfig, outputs={"alignment": "documents.jsonl"}, run=run,
    description="align each source document with its translation as one long pair")
