"""`xlie convert`: between the corpus formats (JSONL, CoNLL NER, CoNLL-U, KBP37/RELX, spaCy
DocBin)."""
from __future__ import annotations

import click


@click.command("convert")
@click.argument("input", type=click.Path(exists=True, allow_dash=True))
@click.argument("output", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--from", "src_format", help="jsonl, conll, conllu, relx or timeml [default: by extension or content].")
@click.option("--to", "out_format", help="jsonl, conll, conllu, relx, timeml or docbin [default: by extension].")
@click.option("--in-scheme", type=click.Choice(["iob1", "iob2", "bioes"]),
              help="Tag scheme of CoNLL input; tags that break it are errors "
                   "[default: read IOB1, IOB2 and BIOES leniently].")
@click.option("--scheme", default="iob2", show_default=True,
              type=click.Choice(["iob1", "iob2", "bioes"]), help="Tag scheme of CoNLL output.")
@click.option("--lang", help="Language code to record on each sentence.")
def convert_cmd(input, output, src_format, out_format, in_scheme, scheme, lang):
    """Convert INPUT to OUTPUT, e.g. CoNLL-2003 (BIOES) to JSONL, or JSONL to spaCy DocBin.
    INPUT may be a folder: its corpus files are read in name order (a folder of TimeML
    documents into one JSONL corpus).

    Formats come from the extensions (.jsonl, .conll/.conll02/.conll03/.iob/.bio/.bioes,
    .conllu, .spacy) unless named. Nothing is written over INPUT."""
    from ..formats.convert import convert
    n = convert(input, output, src_format=src_format, out_format=out_format,
                in_scheme=in_scheme, scheme=scheme, lang=lang)
    click.echo(f"{n} sentences written to {output}", err=True)
