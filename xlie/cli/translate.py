"""`xlie translate`: translate a labeled corpus (the first stage of translate-train)."""
from __future__ import annotations

import logging
import sys

import click

from ..translation.backends import BACKENDS
from ._group import XlieGroup  # noqa: F401  (errors are turned into messages by the group)


class _StderrWarnings(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


@click.command("translate")
@click.argument("input", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("output", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--model", "-m", default=None,
              help="MT model: a local directory or a Hugging Face hub id (Marian/opus-mt, M2M100, "
                   "NLLB, mBART-50); for --backend ct2 also a converted CTranslate2 directory; "
                   "for --backend apertium none needed (or an Apertium data directory).")
@click.option("--src-lang", "-s", required=True, help="Source language code (e.g. en).")
@click.option("--tgt-lang", "-t", required=True,
              help="Target language code (e.g. de; NLLB codes like deu_Latn also work).")
@click.option("--backend", type=click.Choice(BACKENDS), default="hf", show_default=True,
              help="hf: transformers generate(); ct2: CTranslate2 (pip install 'xlie[ct2]'; "
                   "a Hugging Face model is converted once into $XLIE_HOME/ct2); apertium: "
                   "rule-based MT, offline (apt-get install apertium apertium-eng-spa); "
                   "unknown words are recorded in translation.unknown.")
@click.option("--input-format", type=click.Choice(["auto", "jsonl", "conll", "conllu", "text"]),
              default="auto", show_default=True,
              help="auto guesses from the suffix (.jsonl .conll .conllu .txt), else the content.")
@click.option("--beam", type=int, default=4, show_default=True, help="Beam size (1 = greedy).")
@click.option("--sample", is_flag=True, help="Sample instead of searching.")
@click.option("--top-k", type=int, default=None, help="Sampling: keep the k likeliest tokens.")
@click.option("--top-p", type=float, default=None, help="Sampling: nucleus probability.")
@click.option("--temperature", type=float, default=None, help="Sampling temperature.")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--max-new-tokens", type=int, default=256, show_default=True,
              help="Longest translation in subword tokens; one that reaches it is reported.")
@click.option("--batch-size", type=int, default=32, show_default=True,
              help="Most sentences per batch.")
@click.option("--max-tokens", type=int, default=4096, show_default=True,
              help="Most padded source tokens per batch (length-sorted batches).")
@click.option("--sort-window", type=int, default=2048, show_default=True,
              help="Sentences sorted together by length; also the unit of output and resume.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--dtype", default="auto", show_default=True,
              help="auto (fp32 on CPU, bf16/fp16 on GPU), float32, float16, bfloat16; ct2 also "
                   "int8, int8_float16, int8_bfloat16.")
@click.option("--tokenizer", default=None, help="Tokenizer, when not beside the model.")
@click.option("--max-input-tokens", type=int, default=None,
              help="Split inputs longer than this (default: the model's limit).")
@click.option("--too-long", type=click.Choice(["split", "skip", "error"]), default="split",
              show_default=True,
              help="Inputs over the model's limit: split at sentence boundaries (then clauses, "
                   "then words, with a warning), leave untranslated with a warning, or stop.")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False), default=None,
              help="Translation cache file [default: $XLIE_HOME/cache/translations.sqlite].")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--no-resume", is_flag=True,
              help="Start over even if an interrupted run left a partial output.")
@click.option("--word-tokenizer", type=click.Choice(["moses", "spacy", "whitespace"]),
              default="moses", show_default=True,
              help="Tokenizer of the translation into words for the aligner.")
@click.option("--markers", type=click.Choice(["xml", "brackets"]), default=None,
              help="Marker-based translation: wrap each source span in numbered markers "
                   "(<m1>..</m1> or [1 .. 1]) and record where they land (translation.spans).")
def translate_cli(input, output, model, src_lang, tgt_lang, backend, input_format, beam, sample,
                  top_k, top_p, temperature, seed, max_new_tokens, batch_size, max_tokens,
                  sort_window, device, dtype, tokenizer, max_input_tokens, too_long, cache_path,
                  no_cache, no_resume, word_tokenizer, markers):
    """Translate INPUT (JSONL corpus, CoNLL NER, CoNLL-U or plain text, one sentence a line)
    into OUTPUT, the JSONL corpus with `translation: {lang, text, tokens, offsets}` added,
    one record per input sentence in input order (`-` writes to stdout).

    Sentences are sorted by length within a window and batched by a token budget. Each
    translation is cached by (model, generation options, language pair, text), so reruns and
    overlapping corpora translate nothing twice; an interrupted run resumes where its output
    stopped.
    """
    from ..config import validate_settings
    from ..translation import TranslateSettings, translate

    settings = validate_settings(TranslateSettings, dict(
        backend=backend, beam=beam, sample=sample, top_k=top_k, top_p=top_p,
        temperature=temperature, max_new_tokens=max_new_tokens, seed=seed, device=device,
        dtype=dtype, tokenizer=tokenizer, max_input_tokens=max_input_tokens,
        cache=False if no_cache else (cache_path or True), word_tokenizer=word_tokenizer,
        markers=markers, too_long=too_long))
    log = logging.getLogger("xlie.translation")
    if not any(isinstance(h, _StderrWarnings) for h in log.handlers):
        log.addHandler(_StderrWarnings())
        log.propagate = False
    try:
        report = translate(input, output, model, src_lang, tgt_lang, settings,
                           input_format=input_format, resume=not no_resume,
                           batch_size=batch_size, max_tokens=max_tokens, sort_window=sort_window)
    except KeyboardInterrupt:
        click.echo("interrupted: what was written is kept; run the same command again to "
                   "resume", err=True)
        sys.exit(130)
    click.echo(report.summary(), err=True)
