"""``project``: source annotations + word links -> silver target-language corpus + report."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..config import validate_settings
from ..corpus import Sentence
from ..errors import XlieError
from ..fileio import atomic_write
from ..progress import progress
from .edges import EdgeWords, function_words
from .inputs import Pair, load_pairs, make_links
from .methods import get_method
from .options import ProjectionOptions
from .phrases import fixed_pairs
from .report import ProjectionReport
from .sentence import project_sentence
from .type_constraints import TypeEvidence, evidence_of_pairs, uses_evidence


@dataclass
class ProjectionResult:
    sentences: list[Sentence]
    report: ProjectionReport


def make_options(options: ProjectionOptions | dict | None = None, **overrides: Any) -> ProjectionOptions:
    """Options from an object or dict plus keyword overrides; bad keys raise ConfigError."""
    base = options.model_dump() if isinstance(options, ProjectionOptions) else dict(options or {})
    base.update({k: v for k, v in overrides.items() if v is not None})
    opts = validate_settings(ProjectionOptions, base)
    get_method(opts.method)  # unknown names fail before any work
    return opts


def project_pairs(pairs: Iterable[Pair], opts: ProjectionOptions, lang: str | None = None,
                  edge_words: EdgeWords | tuple | None = None,
                  evidence: TypeEvidence | None = None) -> ProjectionResult:
    """Project loaded pairs. Edge function words (target, source) and the target's fixed
    word pairs are learnt from these pairs unless ``edge_words`` gives them (learnt once
    from a whole corpus; a (target, source) tuple has no fixed pairs). Likewise the type
    evidence that corrects tags (``type_constraints``): a first pass over these pairs
    unless ``evidence`` gives it."""
    pairs = list(pairs)
    if evidence is None and uses_evidence(opts):
        evidence = evidence_of_pairs(pairs, opts)
    if edge_words is None:
        tgt_fw = function_words((p.tgt_tokens for p in pairs if p.tgt_tokens), opts.function_words)
        edge_words = EdgeWords(tgt_fw,
                               function_words((p.source.tokens for p in pairs), opts.function_words),
                               fixed_pairs((p.tgt_tokens for p in pairs if p.tgt_tokens), tgt_fw))
    tgt_fw, src_fw, fixed = EdgeWords(*edge_words)
    report = ProjectionReport(method=opts.method)
    out = []
    for p in progress(pairs, total=len(pairs), desc="project"):
        if p.tgt_tokens is None:
            report.skip(p.source.id, "no_translation")
            continue
        if p.links is None and opts.method != "markers":
            report.skip(p.source.id, "no_alignment")
            continue
        tl = lang or getattr(p.translation, "lang", None)
        sent = project_sentence(p.source, p.tgt_tokens, p.links, opts, report,
                                translation=p.translation, src_fw=src_fw, tgt_fw=tgt_fw, lang=tl,
                                pairs=fixed, evidence=evidence)
        if p.target_surface is not None:
            sent.conllu = p.target_surface
        out.append(sent)
    return ProjectionResult(out, report)


def project(input: str | Path | Iterable[Sentence | dict], output: str | Path | None = None, *,
            target: str | Path | None = None, alignment: str | Path | None = None,
            alignment_probs: str | Path | None = None, method: str | None = None,
            threshold: float | None = None, options: ProjectionOptions | dict | None = None,
            src_format: str | None = None, out_format: str | None = None,
            scheme: str = "iob2", src_lang: str | None = None, lang: str | None = None,
            report_path: str | Path | None = None,
            edge_words: EdgeWords | tuple | None = None,
            evidence: TypeEvidence | None = None,
            **overrides: Any) -> ProjectionResult:
    """Project span annotations, UPOS tags, relations and events onto the target side.

    ``input`` is a JSONL corpus with ``translation`` and ``alignment`` (or sentences in
    memory), or, with ``target`` and ``alignment``, a source annotation file. With
    ``output`` the silver corpus is written (format from ``out_format`` or the extension)
    and the report beside it as ``OUTPUT.report.json`` (or ``report_path``). ``edge_words``:
    function words to trim at span edges and fixed pairs to grow over, when the sentences
    given are one batch of a larger corpus (``projection.edges.edge_words_of``); else
    learnt from them. ``evidence``: the whole corpus's type evidence for such a batch
    (``type_constraints.evidence_of_records``); else counted from the sentences given.
    """
    opts = make_options(options, method=method, threshold=threshold, **overrides)
    if output is not None:  # fail before any work on a bad output path
        from ..fileio import check_distinct_outputs, check_output
        from ..formats.detect import detect_format
        detect_format(output, out_format)
        named = [x for x in (input, target, alignment, alignment_probs)
                 if isinstance(x, (str, Path))]
        check_output(output, *named)
        if report_path is not None:
            check_distinct_outputs({"OUTPUT": output, "--report": report_path})
            check_output(report_path, *named)
    if isinstance(input, (str, Path)):
        pairs = load_pairs(input, target, alignment, alignment_probs, src_format, src_lang, lang)
        inputs = [input, target, alignment, alignment_probs]
    else:
        pairs, inputs = [], []
        for k, rec in enumerate(input):
            s = rec if isinstance(rec, Sentence) else Sentence.model_validate(rec)
            tr = s.translation
            toks = (tr.tokens or tr.text.split()) if tr is not None else None
            links = (make_links(s.alignment, len(s.tokens), len(toks), "<sentences>", k + 1)
                     if toks is not None and s.alignment is not None else None)
            pairs.append(Pair(s, toks, tr, links, f"sentence {k + 1}"))
    result = project_pairs(pairs, opts, lang, edge_words, evidence)
    skipped = result.report.skipped
    if isinstance(input, (str, Path)) and pairs and not result.sentences \
            and set(skipped) <= {"no_alignment", "no_translation"}:
        what = "`alignment`" if "no_alignment" in skipped else "`translation`"
        raise XlieError(f"{input}: no record has {what}, so nothing can be projected",
                        "run `xlie translate` and then `xlie align` on its output (the JSONL "
                        "corpus), or give the target text and links with --target and "
                        "--alignment")
    if output is not None:
        from ..formats.detect import write_any
        write_any(output, result.sentences, *inputs, fmt=out_format, scheme=scheme)
        if report_path is None and str(output) != "-":
            report_path = f"{output}.report.json"
    if report_path is not None:
        with atomic_write(report_path, *inputs) as f:
            json.dump(result.report.to_dict(), f, indent=2, ensure_ascii=False)
            f.write("\n")
    return result
