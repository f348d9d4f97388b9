"""Project whole documents onto their translations, with no sentence pairing.

A human translation of a document seldom keeps its sentences one to one (TimeBankPT joins,
splits and drops them), so each document is aligned as one long pair: the records that
share a ``doc`` are joined on each side, the aligner's long-input path cuts the pair into
corresponding sentence groups itself (``aligners.sentences``: sentence-level dynamic
programme, then word alignment of each group), the source spans are projected over the
whole document, and each target span is cut back into the target's own sentences. A
target span that would cross a target sentence boundary is dropped and counted
(``documents.spans_lost_at_cuts``, ``events_lost_at_cuts`` in the report), with its event.

The target records keep everything of their own (``doc``, ``text``, ``offsets``, a TimeML
file's XML) but their annotation: the output is the target's sentences with projected
spans and events only, so writing it as TimeML puts the projected events in the target
document.
"""
from __future__ import annotations

import bisect
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..corpus import Sentence, Span
from ..errors import XlieError
from ..fileio import atomic_write, check_distinct_outputs, check_output
from .api import ProjectionResult, make_options
from .edges import EdgeWords, function_words
from .links import Links
from .options import ProjectionOptions
from .phrases import fixed_pairs
from .report import ProjectionReport
from .sentence import project_sentence

# what a target record's own annotation is made of: never carried into the silver output
GOLD_KEYS = ("spans", "events", "relations", "tags", "heads", "deprels", "arc_scores",
             "translation", "alignment", "alignment_score")


def doc_of(sent: Sentence) -> str:
    """A record's document: its ``doc`` key (written by the TimeML reader)."""
    doc = getattr(sent, "doc", None)
    if doc is None:
        raise XlieError(f"sentence {sent.id} names no document",
                        "projection by document needs a `doc` key on every record (the "
                        "TimeML reader writes it; add it to JSONL records)")
    return str(doc)


def group_documents(sentences: Iterable[Sentence]) -> dict[str, list[Sentence]]:
    """Records by document, each document's in the order read."""
    docs: dict[str, list[Sentence]] = {}
    for s in sentences:
        docs.setdefault(doc_of(s), []).append(s)
    return docs


@dataclass
class DocumentPair:
    """One document and its translation, each a list of sentence records."""
    doc: str
    source: list[Sentence]
    target: list[Sentence]
    src_starts: list[int] = field(init=False)
    tgt_starts: list[int] = field(init=False)

    def __post_init__(self):
        self.src_starts = _starts(self.source)
        self.tgt_starts = _starts(self.target)

    @property
    def src_tokens(self) -> list[str]:
        return [t for s in self.source for t in s.tokens]

    @property
    def tgt_tokens(self) -> list[str]:
        return [t for s in self.target for t in s.tokens]


def _starts(sents: Sequence[Sentence]) -> list[int]:
    out, n = [], 0
    for s in sents:
        out.append(n)
        n += len(s.tokens)
    return out


def pair_documents(source: Iterable[Sentence], target: Iterable[Sentence]
                   ) -> tuple[list[DocumentPair], Counter]:
    """Documents found on both sides, in the source's order, and counts of those found on
    one side only (``source_only``, ``target_only``)."""
    src, tgt = group_documents(source), group_documents(target)
    pairs = [DocumentPair(d, src[d], tgt[d]) for d in src if d in tgt]
    missing = Counter(source_only=sum(d not in tgt for d in src),
                      target_only=sum(d not in src for d in tgt))
    return pairs, missing


def align_documents(pairs: Sequence[DocumentPair], aligner: Any) -> list[list[tuple]]:
    """Word links ``(i, j, p)`` of each document as one long pair (``aligner.align``: the
    long-input path splits it into sentence groups itself)."""
    found = aligner.align([(p.src_tokens, p.tgt_tokens) for p in pairs])
    return [list(a.links) for a in found]


def _joined_source(pair: DocumentPair) -> Sentence:
    """The source document as one record: spans shifted, ids kept (made unique where two
    sentences share one), events and relations renamed to match."""
    spans: list[Span] = []
    events: list[dict] = []
    relations: list[dict] = []
    seen: set[str] = set()
    for sent, at in zip(pair.source, pair.src_starts):
        rename: dict[str, str] = {}
        for k, s in enumerate(sent.spans):
            sid = str(s.id) if s.id is not None else f"{sent.id}-{k}"
            new = sid if sid not in seen else f"{sent.id}-{sid}"
            seen.add(new)
            rename[sid] = new
            spans.append(s.model_copy(update={"start": s.start + at, "end": s.end + at,
                                              "id": new}))

        def ren(x: dict) -> dict:
            out = dict(x)
            for key in ("trigger", "head", "tail"):
                if out.get(key) is not None:
                    out[key] = rename.get(str(out[key]), str(out[key]))
            if out.get("args"):
                out["args"] = [{**a, "span": rename.get(str(a.get("span")), a.get("span"))}
                               for a in out["args"]]
            return out
        events += [ren(e) for e in getattr(sent, "events", None) or []]
        relations += [ren(r) for r in sent.relations or []]
    return Sentence(id=pair.doc, lang=pair.source[0].lang, tokens=pair.src_tokens,
                    spans=spans, relations=relations or None, events=events)


def _cut_back(targets: Sequence[Sentence], projected: Sentence, lang: str | None,
              counts: Counter) -> list[Sentence]:
    """The target sentences, each with the projected spans (and their events) inside it."""
    starts = _starts(targets)
    per: list[list[Span]] = [[] for _ in targets]
    lost: set[str] = set()
    ends = [a + len(s.tokens) for s, a in zip(targets, starts)]
    for s in projected.spans:
        k = bisect.bisect_right(starts, s.start) - 1
        if s.end > ends[k]:
            counts["spans_lost_at_cuts"] += 1
            lost.add(str(s.id))
            continue
        at = starts[k]
        per[k].append(s.model_copy(update={"start": s.start - at, "end": s.end - at}))
    events = getattr(projected, "events", None) or []
    counts["events_lost_at_cuts"] += sum(str(e.get("trigger")) in lost for e in events)
    out = []
    for sent, spans in zip(targets, per):
        ids = {str(s.id) for s in spans}
        rec = {k: v for k, v in sent.model_dump(exclude_none=True).items() if k not in GOLD_KEYS}
        rec["lang"] = lang or sent.lang
        rec["spans"] = spans
        if events:
            rec["events"] = [e for e in events if str(e.get("trigger")) in ids]
        rels = [r for r in projected.relations or []
                if r.get("trigger") is None and all(str(r.get(k)) in ids for k in ("head", "tail"))]
        if rels:
            rec["relations"] = rels
        out.append(Sentence(**rec))
    return out


def document_records(pairs: Sequence[DocumentPair], links: Sequence[Sequence[tuple]]
                     ) -> list[dict]:
    """Each document pair as one aligned record (the shape ``xlie align`` writes: the joined
    source with its spans, ``translation`` and ``alignment`` of the joined target), with the
    target's sentences under ``target_sentences`` (their annotation left out) for
    :func:`cut_documents`: how a pipeline projects by document."""
    out = []
    for pair, triples in zip(pairs, links):
        rec = _joined_source(pair).to_json()
        tgt = pair.tgt_tokens
        rec["doc"] = pair.doc
        rec["translation"] = {"lang": pair.target[0].lang, "text": " ".join(tgt), "tokens": tgt}
        rec["alignment"] = [[int(i), int(j), float(p)] for i, j, p in triples]
        rec["target_sentences"] = [{k: v for k, v in s.to_json().items() if k not in GOLD_KEYS}
                                   for s in pair.target]
        out.append(rec)
    return out


def cut_documents(records: Sequence[dict], projected: Sequence[Sentence], report: ProjectionReport,
                  lang: str | None = None) -> list[Sentence]:
    """Projected document records (:func:`document_records` through ``project``) cut back
    into their target sentences; counts go to ``report.documents``."""
    by_id = {s.id: s for s in projected}
    out: list[Sentence] = []
    report.documents.update(dict.fromkeys(("spans_lost_at_cuts", "events_lost_at_cuts"), 0))
    for rec in records:
        got = by_id.get(str(rec["id"]))
        targets = [Sentence.model_validate(t) for t in rec.get("target_sentences") or []]
        if got is None or not targets:
            continue
        report.documents["documents"] += 1
        report.documents["target_sentences"] += len(targets)
        out += _cut_back(targets, got, lang, report.documents)
    report.sentences = len(out)
    return out


def project_documents(pairs: Sequence[DocumentPair], links: Sequence[Sequence[tuple]],
                      opts: ProjectionOptions, lang: str | None = None,
                      edge_words: EdgeWords | None = None) -> ProjectionResult:
    """Project each document through its links (``align_documents``) and cut the target
    spans back into the target's sentences (see the module doc)."""
    if edge_words is None:
        tgt_fw = function_words((s.tokens for p in pairs for s in p.target), opts.function_words)
        src_fw = function_words((s.tokens for p in pairs for s in p.source), opts.function_words)
        edge_words = EdgeWords(tgt_fw, src_fw,
                               fixed_pairs((s.tokens for p in pairs for s in p.target), tgt_fw))
    report = ProjectionReport(method=opts.method)
    counts = report.documents
    counts.update(dict.fromkeys(("spans_lost_at_cuts", "events_lost_at_cuts"), 0))
    out: list[Sentence] = []
    for pair, triples in zip(pairs, links):
        src = _joined_source(pair)
        tgt_tokens = pair.tgt_tokens
        try:
            lk = Links.from_triples(triples, len(src.tokens), len(tgt_tokens))
        except ValueError as e:
            raise XlieError(f"document {pair.doc}: {e}",
                            "align the joined documents, as align_documents does") from None
        whole = project_sentence(src, tgt_tokens, lk, opts, report, src_fw=edge_words.source,
                                 tgt_fw=edge_words.target, lang=lang, pairs=edge_words.pairs)
        counts["documents"] += 1
        counts["source_sentences"] += len(pair.source)
        counts["target_sentences"] += len(pair.target)
        out += _cut_back(pair.target, whole, lang, counts)
    report.sentences = len(out)     # target sentences written (each document counted once above)
    return ProjectionResult(out, report)


def read_documents(path: str | Path, fmt: str | None = None, lang: str | None = None
                   ) -> list[Sentence]:
    """The records of a corpus file, or of every corpus file of a directory (sorted by
    name: a folder of ``.tml`` documents)."""
    from ..formats.detect import corpus_files, read_any
    return [s for f in corpus_files(path) for s in read_any(f, fmt, lang=lang)]


def _to_folder(output: str | Path) -> bool:
    return str(output).endswith("/") or Path(output).is_dir()


def document_outputs(output: str | Path, docs: Iterable[str]) -> list[Path | str]:
    """The files :func:`write_documents` writes: ``OUTPUT/DOC.tml`` per document into a
    folder, else ``output`` itself."""
    if _to_folder(output):
        return [Path(output) / f"{doc}.tml" for doc in docs]
    return [output]


def write_documents(output: str | Path, sentences: list[Sentence], *inputs: str | Path,
                    fmt: str | None = None) -> None:
    """A corpus file, or, where ``output`` is a folder (exists, or ends with ``/``), one
    TimeML file per document named after it."""
    from ..formats.detect import write_any
    out = Path(output)
    if _to_folder(output):
        for doc, sents in group_documents(sentences).items():
            write_any(out / f"{doc}.tml", sents, *inputs, fmt="timeml")
    else:
        write_any(output, sentences, *inputs, fmt=fmt)


def project_by_document(input: str | Path, target: str | Path, output: str | Path | None = None,
                        *, model: str = "e5-small", align: dict | None = None,
                        options: ProjectionOptions | dict | None = None,
                        src_format: str | None = None, out_format: str | None = None,
                        src_lang: str | None = None, lang: str | None = None,
                        report_path: str | Path | None = None, aligner: Any = None,
                        **overrides: Any) -> ProjectionResult:
    """``xlie project --by-document``: read both sides (files or folders), align each
    document as a whole with ``model`` (``align``: aligner settings), project, write the
    silver corpus and ``OUTPUT.report.json``."""
    opts = make_options(options, **overrides)
    if opts.method == "markers":
        raise XlieError("the markers method needs a marked translation, not a document",
                        "use --method xlie or heuristic with --by-document")
    from ..formats.detect import corpus_files
    inputs = corpus_files(input) + corpus_files(target)
    if output is not None and report_path is not None:
        check_distinct_outputs({"OUTPUT": output, "--report": report_path})
    source = read_documents(input, src_format, src_lang)
    tgt = read_documents(target, None, lang)
    pairs, missing = pair_documents(source, tgt)
    if not pairs:
        raise XlieError(f"no document of {input} is in {target}",
                        "records pair by their `doc` key (a TimeML file's DOCID or name)")
    if output is not None:   # before the aligner loads: every file to write, none an input
        if _to_folder(output):
            check_output(output, folder=True)
        elif str(output) != "-":
            from ..formats.detect import detect_format
            if detect_format(output, out_format) == "timeml" and len(pairs) > 1:
                raise XlieError(f"{output}: a TimeML file holds one document, {input} has "
                                f"{len(pairs)} with a translation",
                                "give an OUTPUT folder ending in / (one .tml per document), "
                                "or write JSONL")
        for path in document_outputs(output, [p.doc for p in pairs]):
            check_output(path, *inputs)
        if report_path is None and str(output) != "-":
            report_path = (Path(output) / "report.json" if _to_folder(output)
                           else f"{output}.report.json")
    if report_path is not None:
        check_output(report_path, *inputs)
    if aligner is None:
        from ..aligners.core import Aligner
        aligner = Aligner(model, **(align or {}))
    result = project_documents(pairs, align_documents(pairs, aligner), opts, lang)
    result.report.documents.update(missing)
    if output is not None:
        write_documents(output, result.sentences, *inputs, fmt=out_format)
    if report_path is not None:
        with atomic_write(report_path, *inputs) as f:
            json.dump(result.report.to_dict(), f, indent=2, ensure_ascii=False)
            f.write("\n")
    return result
