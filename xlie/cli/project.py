"""`xlie project`: project annotations into silver target data; `eval` and `show` beside it."""
from __future__ import annotations

import json

import click

from ._group import DefaultCommandGroup


@click.group("project", cls=DefaultCommandGroup, default_command="run")
def project_cli():
    """Project source-language annotations onto the target language through word links.

    \b
    xlie project INPUT OUTPUT [options]      make silver data (the default command)
    xlie project eval GOLD PRED              score projected data against gold
    xlie project show SOURCE PROJECTED -o X  HTML view of source and projected spans
    """


@project_cli.command("run")
@click.argument("input", type=click.Path(exists=True, allow_dash=True))
@click.argument("output", type=click.Path(allow_dash=True))
@click.option("--target", type=click.Path(exists=True),
              help="Target text, one pretokenized sentence per line (or a JSONL/CoNLL/CoNLL-U "
                   "file to take tokens from); INPUT is then a source annotation file. With "
                   "--by-document: the translated documents (a file or a folder).")
@click.option("--by-document", is_flag=True,
              help="INPUT and --target hold whole documents (records with a `doc` key, e.g. "
                   "TimeML files or folders of them): each document is aligned with its "
                   "translation as one long pair and the spans are cut back into the "
                   "target's own sentences; no sentence pairing, no --alignment. An OUTPUT "
                   "folder (ending in /) gets one .tml file per document.")
@click.option("--model", default="e5-small", show_default=True,
              help="With --by-document: the aligner's model.")
@click.option("--align-set", "align_sets", multiple=True, metavar="KEY=VALUE",
              help="With --by-document: an aligner setting (see `xlie align`), e.g. "
                   "--align-set threshold=0.1.")
@click.option("--alignment", type=click.Path(exists=True, dir_okay=False),
              help="Pharaoh links (0-indexed i-j), one line per sentence; with --target.")
@click.option("--alignment-probs", type=click.Path(exists=True, dir_okay=False),
              help="One probability per link, same order (awesome-align's prob file).")
@click.option("--method", "-m", default="xlie", show_default=True,
              help="Span projection: xlie (scored best span), heuristic (seed pipeline's "
                   "first-to-last hull) or markers (marker-based translation). Trees: "
                   "heuristic is the seed's rule, the others a maximum spanning tree.")
@click.option("--threshold", type=float, default=0.0, show_default=True,
              help="Drop projected spans whose confidence is below this.")
@click.option("--from", "src_format", help="Format of INPUT (jsonl, conll, conllu); "
              "default from the extension.")
@click.option("--to", "out_format", help="Format of OUTPUT (jsonl, conll, conllu, docbin); "
              "default from the extension.")
@click.option("--scheme", default="iob2", show_default=True,
              type=click.Choice(["iob1", "iob2", "bioes"]), help="Tag scheme of CoNLL output.")
@click.option("--lang", help="Target language code written into the output.")
@click.option("--src-lang", help="Source language code (for CoNLL/CoNLL-U input).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Where to write the JSON report [default: OUTPUT.report.json].")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Any projection option, e.g. --set string_match=false --set "
                   "max_len_ratio=2.5 (see `ProjectionOptions`).")
def run_cmd(input, output, target, by_document, model, align_sets, alignment, alignment_probs,
            method, threshold, src_format, out_format, scheme, lang, src_lang, report_path, sets):
    """Project the spans, UPOS tags, dependency trees, relations and events of INPUT onto the
    target side.

    INPUT is a JSONL corpus with `translation` and `alignment` (the outputs of `xlie
    translate` and `xlie align`), or a source annotation file used with --target and
    --alignment. OUTPUT gets the silver corpus (JSONL, CoNLL, CoNLL-U or spaCy DocBin by its
    extension) and OUTPUT.report.json what was projected, dropped and why, per label.
    """
    from ..config import apply_overrides
    if by_document:
        if target is None or alignment is not None:
            raise click.UsageError("--by-document takes --target (the translated documents) "
                                   "and no --alignment: it aligns each document itself")
        from ..aligners.settings import AlignerSettings
        from ..config import validate_settings
        from ..errors import ConfigError, XlieError
        from ..projection.documents import project_by_document
        align = apply_overrides({}, align_sets)
        try:   # named as the option it came from, before anything is read or loaded
            validate_settings(AlignerSettings, align, None, [])
        except ConfigError as e:
            raise XlieError(f"--align-set: aligner setting {e.key!r}: {e.problem}",
                            "fix or drop that --align-set item (the settings of `xlie "
                            "align`)") from None
        result = project_by_document(input, target, output, model=model,
                                     align=align, method=method,
                                     threshold=threshold, src_format=src_format,
                                     out_format=out_format, src_lang=src_lang, lang=lang,
                                     report_path=report_path, **apply_overrides({}, sets))
        click.echo(result.report.summary(), err=True)
        return
    from pathlib import Path
    for name, p in (("INPUT", input), ("--target", target)):
        if p is not None and Path(p).is_dir():
            raise click.UsageError(f"{name} {p} is a folder: folders of documents need "
                                   "--by-document")
    from ..projection.api import project
    result = project(input, output, target=target, alignment=alignment,
                     alignment_probs=alignment_probs, method=method, threshold=threshold,
                     src_format=src_format, out_format=out_format, scheme=scheme,
                     src_lang=src_lang, lang=lang, report_path=report_path,
                     **apply_overrides({}, sets))
    click.echo(result.report.summary(), err=True)


@project_cli.command("eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False))
@click.option("--task", type=click.Choice(["auto", "ner", "pos", "dep", "event"]),
              default="auto", show_default=True,
              help="ner: entity P/R/F1; pos: UPOS accuracy and coverage; dep: UAS/LAS "
              "(CoNLL 2018) and coverage; event: trigger and trigger + class P/R/F1; auto: "
              "whatever the gold file carries.")
@click.option("--gold-format", help="Format of GOLD (default from the extension).")
@click.option("--pred-format", help="Format of PRED (default from the extension).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_cmd(gold, pred, task, gold_format, pred_format, as_json):
    """Score projected (or predicted) data PRED against target-language GOLD.

    NER is scored strictly at entity level (start, end and type must match; seqeval's strict
    mode), per type and micro-averaged; POS as UPOS accuracy on the tokens that got a tag,
    with coverage; trees as UAS/LAS (CoNLL 2018: universal relation, punctuation included) on
    the words that got a head, with coverage; events as triggers (strict span) and trigger +
    class, per class and micro-averaged. Sentences pair by id, else by position."""
    from ..scoring import evaluate, format_scores
    scores = evaluate(gold, pred, task, gold_format, pred_format)
    click.echo(json.dumps(scores, indent=2) if as_json else format_scores(scores))


@project_cli.command("show")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.argument("projected", type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write.")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False),
              help="Target-language gold to show under each projection.")
@click.option("--limit", type=int, default=200, show_default=True,
              help="Show at most this many sentences (0: all).")
@click.option("--only-dropped", is_flag=True, help="Only sentences that lost a span.")
def show_cmd(source, projected, output, gold, limit, only_dropped):
    """Write a self-contained HTML page with SOURCE and PROJECTED spans side by side."""
    from ..projection.show import show
    n = show(source, projected, output, gold=gold, limit=limit or None, only_dropped=only_dropped)
    click.echo(f"{n} sentences written to {output}", err=True)
