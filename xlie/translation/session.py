"""Translate corpus records, a window at a time: split what is too long, look each segment up
in the cache, translate the rest in length-sorted batches, and build ``translation``."""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

from ..errors import UnknownNameError, XlieError
from .backends.base import Backend, Hypothesis
from .cache import NullCache, entry_key, namespace
from .markers import get_style, insert_markers, literal_numbers, read_markers, token_spans
from .options import BatchOptions, GenerationOptions
from .segment import join_segments, split_to_fit
from .sources import SourceItem, record_item
from .unknown import split_marks, token_marks
from .wordtok import get_word_tokenizer

log = logging.getLogger("xlie.translation")
TOO_LONG = ("split", "skip", "error")


@dataclass
class Counts:
    sentences: int = 0       # records written
    segments: int = 0        # distinct texts needed (after splitting and de-duplication)
    cache_hits: int = 0      # of those, found in the cache
    translated: int = 0      # of those, translated by the model
    model_calls: int = 0     # batches sent to the model
    empty: int = 0           # records with nothing to translate
    split: int = 0           # records longer than the model takes, split into segments
    skipped: int = 0         # records left untranslated (too long, undecodable)
    cut: int = 0             # records whose translation stopped at max_new_tokens
    spans: int = 0           # source spans wrapped in markers
    markers_lost: int = 0    # of those, not found back in the translation
    unknown: int = 0         # target tokens the backend marked as not translated (Apertium)
    model_seconds: float = 0.0
    warning_count: int = 0
    warnings: list[str] = field(default_factory=list)   # the first few

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Job:
    item: SourceItem
    text: str = ""                                   # the text sent (markers included)
    segments: list[str] = field(default_factory=list)
    error: str | None = None
    literal: frozenset[int] = frozenset()            # numbers of marker-like source text


class TranslationSession:
    """A loaded backend with everything needed to turn records into translated records."""

    def __init__(self, backend: Backend, src_lang: str, tgt_lang: str,
                 generation: GenerationOptions, batching: BatchOptions | None = None,
                 cache: NullCache | None = None, word_tokenizer: str = "moses",
                 markers: str | None = None, too_long: str = "split",
                 max_input_tokens: int | None = None, max_warnings: int = 20):
        if too_long not in TOO_LONG:
            raise UnknownNameError("--too-long policy", too_long, TOO_LONG)
        self.backend, self.src, self.tgt = backend, src_lang, tgt_lang
        self.generation, self.batching = generation, batching or BatchOptions()
        self.cache = cache if cache is not None else NullCache()
        self.word_tokenizer = word_tokenizer
        self.words = get_word_tokenizer(word_tokenizer, tgt_lang)
        self.markers = markers
        self.style = get_style(markers) if markers else None
        self.too_long = too_long
        self.limit = min(max_input_tokens or backend.max_input_tokens, backend.max_input_tokens)
        self.ns = namespace(backend.key, generation.key(), src_lang, tgt_lang)
        self.counts = Counts()
        self.max_warnings = max_warnings

    def settings_key(self) -> str:
        """Everything that changes the output file (for resuming a partial output)."""
        return f"{self.ns}|{self.word_tokenizer}|{self.markers}|{self.too_long}|{self.limit}"

    def warn(self, msg: str) -> None:
        """Log a problem; past ``max_warnings`` they are only counted (millions of lines)."""
        self.counts.warning_count += 1
        if self.counts.warning_count <= self.max_warnings:
            log.warning(msg)
            self.counts.warnings.append(msg)
        elif self.counts.warning_count == self.max_warnings + 1:
            log.warning("more warnings follow; they are counted in the report, not shown")

    # -- steps ---------------------------------------------------------------------------
    def _prepare(self, item: SourceItem) -> _Job:
        job = _Job(item)
        if item.problem:
            if item.problem in ("empty sentence", "empty line"):
                self.counts.empty += 1
            else:
                job.error = item.problem
                self.counts.skipped += 1
            self.warn(f"{item.where}: {item.problem}; written with an empty translation")
            return job
        job.text = item.text
        if self.style is not None:
            spans = item.record.get("spans") or []
            for k, s in enumerate(spans):
                s.setdefault("id", None)
                if s["id"] is None:  # projection matches marker spans by source span id
                    s["id"] = f"{item.record['id']}-{k}"
            self.counts.spans += len(spans)
            job.literal = literal_numbers(item.text, self.style)
            job.text = insert_markers(item.text, item.offsets or [],
                                      [(s["start"], s["end"]) for s in spans], self.style,
                                      base=max(job.literal, default=0))
        return job

    def _fit(self, job: _Job, n_tokens: int) -> None:
        if n_tokens <= self.limit:
            job.segments = [job.text]
            return
        unit = self.backend.length_unit
        where, msg = job.item.where, f"{n_tokens} {unit}, over the model's {self.limit}"
        if self.too_long == "error":
            raise XlieError(f"{where}: sentence of {msg}",
                            "pass --too-long split to split it at sentence boundaries, or "
                            "--too-long skip to leave it untranslated")
        split = None
        if self.too_long == "split":
            split = split_to_fit(job.text, lambda t: len(self.backend.encode([t])[0]), self.limit)
        if split is None or not split.ok:
            job.error = f"longer than the model's {self.limit} {self.backend.length_unit}"
            self.counts.skipped += 1
            why = "--too-long skip" if split is None else "a single word is over the limit"
            self.warn(f"{where}: sentence of {msg} left untranslated ({why})")
            return
        job.segments = split.segments
        self.counts.split += 1
        if split.level != "sentence":
            self.warn(f"{where}: sentence of {msg} split at {split.level} boundaries "
                      f"into {len(split.segments)} segments")

    def _translate_segments(self, texts: list[str], known: dict[str, list[int]]
                            ) -> dict[str, Hypothesis]:
        """Translations of distinct segment texts, from the cache or the model (``known``:
        input ids already computed, so no text is tokenized twice)."""
        keys = {t: entry_key(self.ns, t) for t in texts}
        cached = self.cache.get_many(list(keys.values()))
        out = {t: cached[k] for t, k in keys.items() if k in cached}
        todo = [t for t in texts if t not in out]
        self.counts.segments += len(texts)
        self.counts.cache_hits += len(out)
        fresh = iter(self.backend.encode([t for t in todo if t not in known]))
        ids = [known[t] if t in known else next(fresh) for t in todo]
        for batch in self.backend.plan([len(x) for x in ids], self.batching):
            t0 = time.perf_counter()
            hyps = self.backend.translate_ids([ids[i] for i in batch])
            self.counts.model_seconds += time.perf_counter() - t0
            self.counts.model_calls += 1
            self.counts.translated += len(batch)
            done = [(todo[i], h) for i, h in zip(batch, hyps)]
            self.cache.put_many((keys[t], h) for t, h in done)
            out.update(done)
        return out

    def _finish(self, job: _Job, found: dict[str, Hypothesis]) -> dict:
        rec = job.item.record
        hyps = [found[s] for s in job.segments]
        raw, marks = split_marks(join_segments([h.text for h in hyps], self.tgt))
        tr: dict = {"lang": self.tgt}
        text = raw
        readout = None
        if self.style is not None:
            readout = read_markers(raw, len(rec.get("spans") or []), self.style,
                                   max(job.literal, default=0), job.literal)
            text = readout.text
            if marks:  # marks on the markers themselves (Apertium: <*m1>) go with them
                inside = [m.span() for m in self.style.pattern.finditer(raw)
                          if int(m.group("o") or m.group("c")) not in job.literal]
                marks = {readout.index[p]: k for p, k in marks.items()
                         if not any(a <= p < b for a, b in inside)}
        tokens, offsets = self.words(text)
        tr.update(text=text, tokens=tokens, offsets=[list(o) for o in offsets])
        if self.backend.marks_unknown:
            tr["unknown"] = token_marks(marks, offsets)
            self.counts.unknown += sum(1 for m in tr["unknown"] if m)
        if readout is not None:
            spans = rec.get("spans") or []
            found_spans, lost = token_spans(readout, offsets, [(s["start"], s["end"]) for s in spans])
            tr["spans"] = [{"start": a, "end": b, "label": spans[k]["label"], "id": spans[k]["id"]}
                           for k, (a, b) in sorted(found_spans.items(), key=lambda kv: kv[1])]
            tr["markers_lost"] = len(lost)
            tr["marked_text"] = raw
            self.counts.markers_lost += len(lost)
        if any(h.cut for h in hyps):
            tr["cut"] = True
            self.counts.cut += 1
            self.warn(f"{job.item.where}: the translation reached --max-new-tokens "
                      f"({self.generation.max_new_tokens}) and may be cut short")
        if job.error:
            tr["error"] = job.error
        rec["translation"] = tr
        return rec

    # -- the window ----------------------------------------------------------------------
    def translate_items(self, items: list[SourceItem]) -> list[dict]:
        """Translated records, in input order, one per item."""
        jobs = [self._prepare(it) for it in items]
        live = [j for j in jobs if j.text and j.error is None]
        known: dict[str, list[int]] = {}
        for job, ids in zip(live, self.backend.encode([j.text for j in live])):
            self._fit(job, len(ids))
            known[job.text] = ids
        texts = list(dict.fromkeys(s for j in jobs for s in j.segments))
        found = self._translate_segments(texts, known)
        self.counts.sentences += len(jobs)
        return [self._finish(j, found) for j in jobs]

    def translate_records(self, records: list[dict]) -> list[dict]:
        """Corpus records in memory -> the same records with ``translation``."""
        return self.translate_items([record_item(r, self.src) for r in records])
