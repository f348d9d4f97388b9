"""`xlie align train`: fine-tune an aligner's encoder on parallel text.

Runs as is on CPU or one GPU; for several GPUs (or a 2-process CPU check) launch it with
``accelerate launch [--num_processes N] -m xlie.cli.align_train --data ... --output ...``.
"""
from __future__ import annotations

import click

from ._group import XlieGroup


@click.command("train")
@click.option("--data", required=True, type=click.Path(dir_okay=False),
              help="Parallel text: 'src ||| tgt' per line (pretokenized), or JSONL records with "
                   "'tokens' and 'translation.tokens'.")
@click.option("--model", default=None, help="Encoder to fine-tune: built-in name, local "
              "directory or hub id (default: e5-small).")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False),
              help="Directory for the fine-tuned model, checkpoints and logs. Rerunning with "
                   "the same directory resumes from its last checkpoint.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML file of training settings (keys of AlignTrainConfig).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a setting, e.g. --set objectives.psi=0 --set lr=5e-5 "
                   "--set max_steps=100 --set holdout=0 --set patience=3. Repeatable.")
@click.option("--eval-data", type=click.Path(exists=True, dir_okay=False),
              help="Parallel text whose gold alignment is --eval-gold.")
@click.option("--eval-gold", type=click.Path(exists=True, dir_okay=False),
              help="Gold links (Pharaoh 'i-j' sure, 'ipj' possible; 1-indexed unless "
                   "--set gold_base=0): AER of `xlie align` with the model at each checkpoint, "
                   "at the threshold and long-pair band chosen for it on this gold (recorded "
                   "with the model; --set calibrate=false keeps the model's), the best kept in "
                   "OUTPUT/best.")
@click.option("--log-with", type=click.Choice(["tensorboard", "wandb", "mlflow", "all"]),
              help="Also log the losses, learning rate, evaluations and settings to this "
                   "tracker (TensorBoard: OUTPUT/logs/).")
def train_cmd(data, model, output, config_file, overrides, eval_data, eval_gold, log_with):
    """Fine-tune an encoder for word alignment (MLM, TLM, SO, PSI, CO).

    The defaults learn on a thousand pairs and on a million: two epochs (100 to 8,000 steps),
    lr 1e-4 scaled down for long runs; without --eval-gold, 5% of the pairs (up to 200) are
    held out and their loss (SO + CO) chooses OUTPUT/best (--set patience=3 also stops the
    run once it no longer falls).
    Ctrl-C leaves a checkpoint; the same command resumes from it. The output directory is a
    Hugging Face model directory: use it with `xlie align --model OUTPUT`.
    """
    from ..aligners.training import load_train_config, train_aligner

    cfg = load_train_config(config_file, list(overrides), model=model, data=data, output=output,
                            eval_data=eval_data, eval_gold=eval_gold, log_with=log_with)
    result = train_aligner(cfg)
    msg = (f"trained {result.steps} steps on {result.pairs} pairs "
           f"({result.skipped} skipped as too long) in {result.seconds:.1f}s "
           f"({result.samples_per_second:.1f} pairs/s)"
           + (", stopped early as the held-out loss no longer fell" if result.stopped_early else "")
           + f"; model in {result.output}")
    key = result.selected_on
    scored = [e for e in result.evals if key in e]
    if scored:
        best = min(scored, key=lambda e: e[key])
        figure = (f"AER {100 * best['aer']:.2f}" if key == "aer" else
                  f"held-out loss {best[key]:.4f} on {result.heldout} pairs")
        msg += f"; best {figure} at step {best['step']} ({result.best})"
    click.echo(msg, err=True)


def main() -> None:
    """Entry point for ``accelerate launch -m xlie.cli.align_train``."""
    group = XlieGroup(commands={"train": train_cmd})
    import sys
    group(args=["train", *sys.argv[1:]], prog_name="xlie align")


if __name__ == "__main__":
    main()
