"""``xlie.translate``: a corpus file in, the same corpus with ``translation`` out."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from ..batching import chunked
from ..config import validate_settings
from ..errors import InputFormatError, XlieError
from ..fileio import check_input, sha256_file
from ..formats import detect
from ..progress import progress
from .backends import Backend, load_backend
from .cache import open_cache
from .options import BatchOptions
from .resume import PartialOutput
from .session import Counts, TranslationSession
from .settings import TranslateSettings
from .sources import SourceItem, detect_format, read_source


@dataclass
class TranslateReport:
    output: str
    counts: Counts
    resumed: int            # records found complete in a partial output and kept
    seconds: float
    cache: Optional[str]

    def summary(self) -> str:
        c = self.counts
        parts = [f"{c.sentences} sentences -> {self.output} in {self.seconds:.1f}s",
                 f"{c.translated} translated in {c.model_calls} batches",
                 f"{c.cache_hits} from the cache"]
        if self.resumed:
            parts.append(f"{self.resumed} kept from an interrupted run")
        for name in ("empty", "split", "skipped", "cut"):
            if getattr(c, name):
                parts.append(f"{getattr(c, name)} {name}")
        if c.spans:
            parts.append(f"markers lost {c.markers_lost}/{c.spans}")
        if c.unknown:
            parts.append(f"{c.unknown} unknown words marked")
        return "; ".join(parts)


def _check_input(path: str | Path, src_lang: str, fmt: str, guessed: bool) -> Optional[int]:
    """Read the whole input once (cheap beside MT), so a malformed line stops the run with
    FILE:LINE before a model is loaded; returns the sentence count for the progress bar.
    When the format was guessed, the error says so and how to name it."""
    if str(path) == "-":
        return None
    try:
        return sum(1 for _ in read_source(path, src_lang, fmt))
    except InputFormatError as e:
        if not guessed or detect.known_extension(path):
            raise
        hint = (f"the input format {fmt!r} was guessed from the first line; name it with "
                f"--input-format text|jsonl|conll|conllu")
        raise InputFormatError(e.path, e.line, e.expected, e.got,
                               f"{e.hint}; {hint}" if e.hint else hint) from None


def _skip_done(out: PartialOutput, n: int, items: Iterator[SourceItem]) -> bool:
    """Consume the first ``n`` items, checking that the partial output has their ids."""
    done = out.done_ids()
    for _ in range(n):
        item = next(items, None)
        if item is None or next(done, None) != str(item.record.get("id")):
            return False
    return True


def open_session(model: str | Path | None = None, src_lang: str = "en", tgt_lang: str = "de",
                 settings: TranslateSettings | None = None, *,
                 backend: str | Backend | None = None, batch_size: int = 32,
                 max_tokens: int = 4096, sort_window: int = 2048,
                 **options: Any) -> TranslationSession:
    """Load a backend and open the cache once; ``session.translate_records(records)`` then
    translates corpus records in memory (what the pipeline's batch stage calls).

    ``settings`` (or its keywords in ``options``: ``beam``, ``markers``, ``too_long``, ...)
    say how to translate; ``backend`` is a name (``hf``, ``ct2``) or a ready
    :class:`Backend`; the rest are the batching (:class:`BatchOptions`)."""
    if isinstance(backend, str):
        options["backend"] = backend
    data = settings.model_dump(exclude_unset=True) if settings is not None else {}
    s = validate_settings(TranslateSettings, {**data, **options})
    gen = s.generation()
    batching = BatchOptions(batch_size=batch_size, max_tokens=max_tokens, sort_window=sort_window)
    if not isinstance(backend, Backend):
        if model is None and s.backend != "apertium":
            raise XlieError("no translation model given", "pass --model NAME_OR_DIR")
        backend = load_backend(s.backend, model, src_lang, tgt_lang, gen, s.device, s.dtype,
                               s.tokenizer)
    return TranslationSession(backend, src_lang, tgt_lang, gen, batching, open_cache(s.cache),
                              s.word_tokenizer, s.markers, s.too_long, s.max_input_tokens)


def translate(input: str | Path, output: str | Path, model: str | Path | None = None,
              src_lang: str = "en", tgt_lang: str = "de",
              settings: TranslateSettings | None = None, *, input_format: str = "auto",
              resume: bool = True, **options) -> TranslateReport:
    """Translate a corpus (JSONL, CoNLL NER, CoNLL-U or plain text) and write the JSONL corpus
    with ``translation: {lang, text, tokens, offsets}`` added to each record, in input order.

    Repeated sentences are translated once: a persistent cache (``cache``: True for
    ``$XLIE_HOME/cache/translations.sqlite``, a path, or False) keyed by model, generation
    options, language pair and text. An interrupted run resumes where its output stopped.
    ``settings`` and ``options`` are those of :func:`open_session`: ``backend`` (``hf``,
    ``ct2``, ``apertium`` (rule-based, offline; ``model`` is then an optional Apertium data
    directory) or a ready :class:`Backend`), ``beam``, ``batch_size``, ``markers``
    (``xml``/``brackets``: wrap source spans in numbered markers and record where they land),
    ``too_long``, ...
    """
    t0 = time.perf_counter()
    check_input(input)
    fmt = detect_format(input) if input_format == "auto" else input_format
    out = None if str(output) == "-" else PartialOutput(output, "", input)  # refuse input early
    total = _check_input(input, src_lang, fmt, guessed=input_format == "auto")
    session = open_session(model, src_lang, tgt_lang, settings, **options)
    store, batching = session.cache, session.batching
    items = read_source(input, src_lang, fmt)
    resumed = 0
    sink = sys.stdout
    if out is not None:
        stdin = str(input) == "-"   # the input's content, not only its path, keys a resume
        out.settings = json.dumps([session.settings_key(), fmt, str(Path(input).resolve()),
                                   None if stdin else sha256_file(input)])
        resumed = out.resumable() if resume and not stdin else 0
        if resumed and not _skip_done(out, resumed, items):
            session.warn(f"{out.partial} does not match {input}; starting over")
            resumed, items = 0, read_source(input, src_lang, fmt)
        sink = out.open(keep=resumed > 0)
    bar = progress(total=total, initial=resumed, unit="sent", desc="translate")
    try:
        for window in chunked(items, batching.sort_window):
            lines = [json.dumps(r, ensure_ascii=False) for r in session.translate_items(window)]
            if out is not None:
                out.commit(lines)
            else:
                sink.write("".join(line + "\n" for line in lines))
            bar.update(len(window))
        if out is not None:
            out.finish()
    except XlieError:
        if out is not None:   # an input or settings error: nothing to resume from
            out.discard()
        raise
    finally:
        bar.close()
        store.close()
        if out is not None:
            out.close()
    return TranslateReport(str(output), session.counts, resumed, time.perf_counter() - t0,
                           str(store.path) if store.path else None)
