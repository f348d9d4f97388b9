"""`xlie align`: word-align parallel text; `xlie align eval`: score against gold.

Accepts awesome-align's flag names too (--data_file, --output_file, --model_name_or_path,
--extraction, --softmax_threshold, --align_layer, --batch_size, --output_prob_file,
--output_word_file), so its users switch by changing the command name.
"""
from __future__ import annotations

import click

from ..aligners.settings import EXTRACTIONS, SYMMETRIZATIONS, TOKEN_BUDGET, AlignerSettings
from ._group import DefaultCommandGroup


@click.group("align", cls=DefaultCommandGroup, default_command="run",
             context_settings={"help_option_names": ["-h", "--help"]})
def align_cli():
    """Word-align sentence pairs: `xlie align INPUT OUTPUT [options]`.

    INPUT has one pair per line, `source words ||| target words` (pretokenized unless
    --tokenize); OUTPUT gets one line of 0-indexed Pharaoh links `i-j` per input line.
    INPUT may also be the JSONL corpus `xlie translate` writes: OUTPUT is then that corpus
    with each record's links added, ready for `xlie project`.
    """


@align_cli.command("run")
@click.argument("input_path", required=False, metavar="INPUT")
@click.argument("output_path", required=False, metavar="OUTPUT")
@click.option("--data_file", "--data-file", "data_file", help="Same as INPUT (awesome-align's name).")
@click.option("--output_file", "--output-file", "output_file", help="Same as OUTPUT.")
@click.option("--model", "--model_name_or_path", "model", default="e5-small", show_default=True,
              help="Hub id, local model directory, or built-in name (xlie models list).")
@click.option("--extraction", default=None, type=click.Choice(EXTRACTIONS),
              help="Default: the model's documented best, else softmax.")
@click.option("--layer", "--align_layer", "layer", type=int, default=None,
              help="Encoder layer to read (default: the model's known best, else 2/3 of its depth).")
@click.option("--threshold", "--softmax_threshold", "threshold", type=float, default=None,
              help="Link threshold of softmax/entmax/ot (default per method).")
@click.option("--band", type=int, default=None,
              help="Long pairs: link only within N positions (subwords; words with "
                   "--granularity word) of the anchor path; 0 turns it off (default: the "
                   "model's, 24 unless calibrated by `xlie align train`).")
@click.option("--symmetrization", default="intersection", show_default=True,
              type=click.Choice(SYMMETRIZATIONS))
@click.option("--min-prob", type=float, default=0.0, show_default=True,
              help="Drop links whose probability is below this.")
@click.option("--alpha", type=float, default=None, help="α of α-entmax (default 1.5).")
@click.option("--ot-reg", type=float, default=None, help="Entropic regularisation of OT.")
@click.option("--ot-unbalanced", type=float, default=None,
              help="KL weight τ on the OT marginals (unbalanced OT); unset = balanced.")
@click.option("--granularity", type=click.Choice(["subword", "word"]), default=None,
              help="Extract on subwords (then map to words) or on averaged word vectors.")
@click.option("--output_prob_file", "--output-prob-file", "prob_file",
              help="Write each link's probability, in the order of the links.")
@click.option("--output_word_file", "--output-word-file", "word_file",
              help="Write the aligned word pairs as src<sep>tgt.")
@click.option("--output-jsonl", "jsonl_file", help="Write links, probabilities and scores as JSONL.")
@click.option("--tokenize", type=click.Choice(["moses", "spacy", "whitespace", "punct"]), default=None,
              help="Input is raw text: split words with this tokenizer (offsets go to --output-jsonl).")
@click.option("--src-lang", default="en", show_default=True, help="Source language (for --tokenize).")
@click.option("--tgt-lang", default="en", show_default=True, help="Target language (for --tokenize).")
@click.option("--token-budget", type=int, default=TOKEN_BUDGET, show_default=True,
              help="Padded subword tokens per forward batch.")
@click.option("--batch_size", "--batch-size", "batch_size", type=int, default=None,
              help="awesome-align's sentences per batch; mapped to a token budget of 128 per sentence.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available).")
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8"]), default="fp32",
              show_default=True,
              help="Encoder precision: bf16 on a GPU or a CPU with AMX/AVX512-BF16; fp16 on a "
                   "GPU; int8 on a CPU (ONNX Runtime: pip install 'xlie[int8]'; built once "
                   "into $XLIE_HOME). What cannot be had runs in fp32 after a warning.")
@click.option("--threads", type=int, default=None, help="CPU threads for torch.")
@click.option("--strict", is_flag=True, help="Stop with an error at the first unusable line.")
def run_cmd(input_path, output_path, data_file, output_file, model, extraction, layer, threshold,
            band, symmetrization, min_prob, alpha, ot_reg, ot_unbalanced, granularity, prob_file,
            word_file, jsonl_file, tokenize, src_lang, tgt_lang, token_budget, batch_size, device,
            dtype, threads, strict):
    """Align INPUT and write Pharaoh links to OUTPUT."""
    from ..aligners import Aligner
    from ..aligners.corpus import align_corpus, is_corpus
    from ..aligners.files import align_file, check_outputs
    from ..config import validate_settings

    input_path = input_path or data_file
    output_path = output_path or output_file
    if not input_path or not output_path:
        raise click.UsageError("give INPUT and OUTPUT (or --data_file and --output_file)")
    check_outputs(output_path, prob_file, word_file, jsonl_file)
    options = {k: v for k, v in (("alpha", alpha), ("reg", ot_reg), ("unbalanced", ot_unbalanced))
               if v is not None}
    if batch_size:
        token_budget = batch_size * 128
    settings = validate_settings(AlignerSettings, dict(
        layer=layer, extraction=extraction, symmetrization=symmetrization, threshold=threshold,
        min_prob=min_prob, granularity=granularity, extraction_options=options, device=device,
        dtype=dtype, token_budget=token_budget, threads=threads, band=band))
    corpus = is_corpus(input_path)
    if corpus and (prob_file or word_file or jsonl_file or tokenize):
        raise click.UsageError("INPUT is a JSONL corpus (from `xlie translate`): its links go "
                               "into OUTPUT's records; leave out --output_prob_file, "
                               "--output_word_file, --output-jsonl and --tokenize")
    aligner = Aligner(model, settings)
    warn = lambda m: click.echo(f"warning: {m}", err=True)  # noqa: E731
    if corpus:
        report = align_corpus(input_path, output_path, aligner, strict=strict, warn=warn)
        click.echo(f"aligned {report.aligned} of {report.pairs} records with {model} (layer "
                   f"{aligner.layer}, {aligner.extraction}); {len(report.skipped)} kept with "
                   f"no links -> {output_path}", err=True)
        return
    report = align_file(input_path, output_path, aligner, prob_file=prob_file, word_file=word_file,
                        jsonl_file=jsonl_file, strict=strict, tokenize=tokenize,
                        src_lang=src_lang, tgt_lang=tgt_lang, warn=warn)
    click.echo(f"aligned {report.aligned} of {report.pairs} pairs with {model} "
               f"(layer {aligner.layer}, {aligner.extraction}); {len(report.skipped)} empty lines "
               f"-> {output_path}", err=True)


@align_cli.command("eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False))
@click.option("--zero-indexed", is_flag=True, help="The gold file is 0-indexed (default: 1-indexed).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--breakdown", is_flag=True,
              help="Also show recall by gold link shape (one-to-one, one-to-many, ...) and the "
                   "kinds of false links.")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False), help="The aligned pairs (`src ||| tgt`): with --breakdown, "
              "name the words whose links are missed most.")
@click.option("--top", default=10, show_default=True, help="How many missed words to name.")
def eval_cmd(gold, pred, zero_indexed, as_json, breakdown, data_path, top):
    """Score PRED (0-indexed Pharaoh) against GOLD: AER, precision, recall, F1.

    GOLD links are `i-j` (sure) or `ipj` (possible), 1-indexed unless --zero-indexed.
    """
    from ..aligners.eval_report import evaluate_report
    report = evaluate_report(gold, pred, not zero_indexed, breakdown or bool(data_path), data_path)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.to_json(top) if as_json else report.to_text(top))


@align_cli.command("show")
@click.argument("input_path", required=False, metavar="INPUT")
@click.option("--line", "line_no", type=int, default=1, show_default=True,
              help="Which line of INPUT to draw.")
@click.option("--pair", help="Draw this pair instead: 'source words ||| target words'.")
@click.option("--output", "-o", required=True, help="HTML file to write.")
@click.option("--png", help="Also write a PNG of the matrix (needs matplotlib).")
@click.option("--model", default="e5-small", show_default=True)
@click.option("--layer", type=int, default=None)
@click.option("--extraction", default=None, type=click.Choice(EXTRACTIONS))
def show_cmd(input_path, line_no, pair, output, png, model, layer, extraction):
    """Draw one pair's similarity matrix and links as HTML (and PNG)."""
    from ..aligners import Aligner
    from ..aligners.show import word_similarity, write_html, write_png
    from ..errors import InputFormatError
    from ..formats.parallel import parse_parallel_line, read_parallel

    if pair:
        chosen = parse_parallel_line(pair, 1)
        where = "--pair"
    elif input_path:
        chosen = next((p for p in read_parallel(input_path) if p.line == line_no), None)
        if chosen is None:
            raise InputFormatError(input_path, line_no, f"a line {line_no}", "end of file")
        where = input_path
    else:
        raise click.UsageError("give INPUT (with --line) or --pair")
    if not chosen.ok:
        raise InputFormatError(where, chosen.line, chosen.error)
    aligner = Aligner(model, layer=layer, extraction=extraction)
    [res] = aligner.align_pairs([(chosen.src, chosen.tgt)])
    sim = word_similarity(aligner, chosen.src, chosen.tgt)
    title = f"{where}:{chosen.line} — {model}, layer {aligner.layer}, {aligner.extraction}"
    write_html(output, chosen.src, chosen.tgt, sim, res.links, title=title)
    if png:
        write_png(png, chosen.src, chosen.tgt, sim, res.links)
    click.echo(f"wrote {output}" + (f" and {png}" if png else ""), err=True)
from .align_train import train_cmd; align_cli.add_command(train_cmd)  # noqa: E402,E702
from .align_calibrate import calibrate_cmd; align_cli.add_command(calibrate_cmd)  # noqa: E402,E702
