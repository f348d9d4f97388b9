"""`xlie demo`: align the bundled en-cs sample with the offline encoder and print AER."""
from __future__ import annotations

from importlib import resources

import click


@click.command("demo")
@click.option("--model", default="e5-small", show_default=True)
@click.option("--extraction", default=None, help="Default: the model's documented best.")
@click.option("--show", default=3, show_default=True, help="How many pairs to print.")
def demo_cmd(model: str, extraction: str, show: int):
    """Align 100 bundled English-Czech pairs and score them against gold."""
    from ..aligners import Aligner
    from ..aligners.aer import score_alignments
    from ..formats.parallel import read_parallel
    from ..formats.pharaoh import read_pharaoh

    sample = resources.files("xlie") / "data" / "align-sample"
    with resources.as_file(sample) as folder:
        pairs = [(p.src, p.tgt) for p in read_parallel(folder / "encs.src-tgt", strict=True)]
        gold = list(read_pharaoh(folder / "encs.gold", one_indexed=True))
    aligner = Aligner(model, extraction=extraction)
    results = aligner.align_pairs(pairs)
    for (src, tgt), res in list(zip(pairs, results))[:show]:
        click.echo(" ".join(src) + "  |||  " + " ".join(tgt))
        click.echo("  " + "  ".join(f"{src[i]}~{tgt[j]}({p:.2f})" for i, j, p in res.links))
    s = score_alignments(gold, [{(i, j) for i, j, _ in r.links} for r in results])
    click.echo(f"\n{model} layer {aligner.layer}, {aligner.extraction}: AER {100 * s.aer:.1f} "
               f"(P {100 * s.precision:.1f}, R {100 * s.recall:.1f}) on {len(pairs)} en-cs pairs")
