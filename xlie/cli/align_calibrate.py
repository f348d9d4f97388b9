"""`xlie align calibrate`: choose a model's link threshold and long-pair band on gold links."""
from __future__ import annotations

import json

import click

from ..aligners.settings import THRESHOLD_EXTRACTIONS


@click.command("calibrate")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", default="e5-small", show_default=True,
              help="Hub id, local model directory, or built-in name (xlie models list).")
@click.option("--layer", type=int, default=None, help="Encoder layer (default: the model's).")
@click.option("--extraction", default=None, type=click.Choice(THRESHOLD_EXTRACTIONS),
              help="Default: the model's documented best.")
@click.option("--threshold", type=float, default=None,
              help="Centre of the threshold grid (default: the model's threshold).")
@click.option("--zero-indexed", is_flag=True, help="GOLD is 0-indexed (default: 1-indexed).")
@click.option("--json", "as_json", is_flag=True, help="Print every setting tried as JSON.")
@click.option("--threads", type=int, default=None, help="CPU threads for torch.")
def calibrate_cmd(data, gold, model, layer, extraction, threshold, zero_indexed, as_json, threads):
    """Score DATA (`src ||| tgt`) against GOLD over a grid of thresholds (x0.25 to x2 the
    model's) and long-pair bands (24, 32, 48 positions), and print the best as `xlie align` flags.

    A model trained with `xlie align train --eval-gold` is calibrated already (its record
    holds the choice); use this for any other model and a small gold set of your own.
    """
    from ..aligners import Aligner
    from ..aligners.calibrate import calibrate_files

    aligner = Aligner(model, layer=layer, extraction=extraction, threshold=threshold,
                      threads=threads)
    best, table = calibrate_files(aligner, data, gold, not zero_indexed)
    if as_json:
        click.echo(json.dumps({"best": best.as_dict(), "tried": [s.as_dict() for s in table]}))
        return
    for s in table:
        mark = "  <- best" if s is best else ""
        click.echo(f"threshold {s.threshold:<8g} band {str(s.band):>4}  AER {100 * s.aer:6.2f}  "
                   f"P {100 * s.precision:6.2f}  R {100 * s.recall:6.2f}{mark}")
    click.echo(f"\nxlie align INPUT OUTPUT --model {model} --layer {aligner.layer} "
               f"--extraction {aligner.extraction} --threshold {best.threshold:g} "
               f"--band {best.band or 0}")
