"""`xlie selftrain`: train taggers on source + silver data, tag text, self-train in rounds."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..selftrain.config import TASK_NAMES
from ..translation.backends import BACKENDS
from ._group import XlieGroup
from ._settings import setting_option

_COMMON = [
    click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
                 help="YAML settings (see xlie/selftrain/config.py for the keys)."),
    click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                 help="Override one setting, e.g. --set train.epochs=2 (repeatable)."),
    setting_option("model"),
    click.option("--task", type=click.Choice(TASK_NAMES), default=None,
                 help="What to train: ner, pos or event (taggers; event adds an argument "
                      "head where the events name args), dep (a biaffine parser) or "
                      "relation (a marked E1/E2 pair's relation) (default ner)."),
    setting_option("max_steps", type=int),
    setting_option("epochs", type=int),
    setting_option("freeze_layers", type=int),
    click.option("--silver", multiple=True, type=click.Path(exists=True, dir_okay=False),
                 help="Silver (projected) corpus; repeatable."),
    setting_option("min_silver_score", type=float),
    setting_option("silver_weight", type=float),
    setting_option("silver_ratio", type=float),
    setting_option("silver_judge", type=click.Choice(["source", "none"])),
    setting_option("judge_threshold", type=float),
    click.option("--dev", type=click.Path(exists=True, dir_okay=False),
                 help="Gold dev corpus for early stopping and model choice (default: a "
                      "held-out slice of the silver data, else of the source)."),
    click.option("--test", type=click.Path(exists=True, dir_okay=False),
                 help="Gold test corpus scored at the end."),
    setting_option("log_with", type=click.Choice(["tensorboard", "wandb", "mlflow", "all"]),
                   extra=" (TensorBoard: OUT/logs/)"),
]


def _common(f):
    for opt in reversed(_COMMON):
        f = opt(f)
    return f


def _shown(task: str, scores: dict | float | None) -> str:
    """A score (or a result's main score) as a percentage for the terminal."""
    from ..scoring import main_score, percent
    if scores is None or scores == {}:
        return "-"
    return f"{percent(scores if isinstance(scores, float) else main_score(task, scores)):.2f}"


def _train_values(**opts) -> dict:
    """The training options given on the command line, as ``train.KEY`` settings."""
    return {f"train.{k}": v for k, v in opts.items()}


@click.group(cls=XlieGroup)
def selftrain_cli():
    """Taggers for the target language: train on source gold + silver data, tag text with
    confidences, and self-train on the tagger's own confident labels."""


selftrain_cli.name = "selftrain"


@selftrain_cli.command("train")
@click.argument("source", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Training directory: model/ (the tagger), checkpoint/, metrics.json.")
@_common
@click.option("--no-resume", is_flag=True, help="Start over instead of resuming a checkpoint.")
def train_cmd(source, out, config_path, overrides, silver, dev, test, no_resume, **opts):
    """Train a tagger (ner, pos), a parser (dep) or a relation classifier (relation) on
    SOURCE gold corpora (JSONL, CoNLL, CoNLL-U, KBP37/RELX) and --silver data. An
    interrupted run resumes from its last checkpoint."""
    from ..fileio import check_output; check_output(out, *source, folder=True)  # noqa: E702
    from ..config import load_settings
    from ..selftrain import SelfTrainConfig, train
    from ..selftrain.tasks import get_task
    cfg = load_settings(SelfTrainConfig, config_path, overrides, values=_train_values(**opts)).train
    result = train(list(source), out, cfg, silver=list(silver), dev=dev, test=test,
                   resume=not no_resume)
    m = result.metrics
    click.echo(f"{get_task(cfg.task).what}: {result.model_dir} ({m['step']} steps; best dev "
               f"{_shown(cfg.task, m.get('best'))}; test {_shown(cfg.task, m.get('test'))})")
    if m.get("test"):
        click.echo(json.dumps({"test": {k: v for k, v in m["test"].items()
                                        if k != "top_label"}}))


@selftrain_cli.command("predict")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", "output", required=True,
              help="Output file; format from its suffix: .jsonl, .conll, .conllu, .spacy (DocBin).")
@click.option("--model", "models", multiple=True,
              help="Model directory written by `xlie selftrain train`; repeat it for an "
                   "ensemble of taggers (see --combine and --weight).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "conll", "conllu", "relx", "timeml",
                                                   "docbin"]),
              help="Output format (default: from the suffix).")
@click.option("--batch-size", default=32, show_default=True, help="Windows per forward pass.")
@click.option("--score", is_flag=True, help="Score against the inputs' own labels (gold).")
@click.option("--dtype", type=click.Choice(["fp32", "bf16", "fp16", "int8"]), default="fp32",
              show_default=True, help="Inference precision: bf16 (GPU, or CPU with AMX/"
              "AVX512-BF16), int8 (CPU); what cannot be had runs fp32 after a warning.")
@click.option("--translate-test", "tt_backend", type=click.Choice(BACKENDS), default=None,
              help="Translate-test: translate each input sentence with this MT backend, "
                   "predict on the translation with the source-language model (--model, or "
                   "--translate-test-model beside direct --model ones) and project the "
                   "labels back through `xlie align`'s word links.")
@click.option("--mt-model", "-m", default=None,
              help="MT model for --translate-test, as `xlie translate --model` (apertium: none).")
@click.option("--src-lang", "-s", default=None,
              help="Language of the INPUTS, translated from (translate-test), e.g. es.")
@click.option("--tgt-lang", "-t", default=None,
              help="Language of the source model, translated into (translate-test), e.g. en.")
@click.option("--translate-test-model", "tt_model", type=click.Path(file_okay=False),
              default=None, help="Source-language model used through translation, "
                                 "ensembled with the --model ones.")
@click.option("--combine", type=click.Choice(["word", "span"]), default=None,
              help="How an ensemble combines its members: word (label distributions "
                   "averaged per word; ner, pos) or span (a weighted vote per span, the "
                   "members' confidences averaged; ner) (default word).")
@click.option("--weight", "weights", multiple=True, type=float,
              help="An ensemble member's weight, one per member in this order: each "
                   "--model as given, then --translate-test-model (default 1 each).")
def predict_cmd(inputs, output, models, fmt, batch_size, score, dtype, tt_backend, mt_model,
                src_lang, tgt_lang, tt_model, combine, weights):
    """Label INPUTS with a model that `xlie selftrain train` wrote: spans with scores (NER),
    tags (POS), trees (a parser), a relation per marked pair (relation), event triggers
    (event), with confidences.
    With --translate-test, through translation into the model's language (relations: the
    marked pair carried onto the translation and its relation brought back onto the
    input's own E1/E2); with several models, their ensemble."""
    from ..selftrain.output import predict_file
    from ..selftrain.translate_test import spec_from
    spec = spec_from(tt_backend, mt_model, src_lang, tgt_lang) if tt_backend else None
    report = predict_file(list(models), list(inputs), output, fmt, batch_size, score, dtype,
                          translate_test=spec, translate_test_model=tt_model,
                          weights=list(weights) or None, combine=combine)
    if isinstance(report.get("scores"), dict):   # the table `xlie project eval` prints
        from ..scoring import format_scores
        click.echo(format_scores({"sentences": report["sentences"],
                                  report["task"]: report["scores"]}))
    click.echo(json.dumps(report), err=True)     # last: the machine-readable line


@selftrain_cli.command("run")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--source", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Source gold corpus; repeatable.")
@click.option("--unlabeled", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False),
              help="Target-language text to pseudo-label (labels in it are ignored); repeatable.")
@_common
@click.option("--rounds", type=int, help="Self-training rounds after round 0 (default 0: off).")
@click.option("--threshold", type=float, help="Keep pseudo-labels with confidence >= this.")
@click.option("--top-fraction", type=float,
              help="Instead keep the most confident fraction of each label's pseudo-labels.")
@click.option("--teacher", type=click.Choice(["self", "translate-test", "ensemble"]),
              default=None, help="Who pseudo-labels each round: the previous round's model "
                                 "(self, the default), the --translate-test-model through "
                                 "translation, or both ensembled (ner, pos).")
@click.option("--translate-test", "tt_backend", type=click.Choice(BACKENDS), default=None,
              help="MT backend of the translate-test teacher (default apertium).")
@click.option("--translate-test-model", "tt_model", type=click.Path(file_okay=False),
              default=None, help="Source-language model of the translate-test teacher.")
@click.option("--mt-model", "-m", default=None, help="MT model of the translate-test teacher.")
@click.option("--src-lang", "-s", default=None,
              help="Language of the --unlabeled text (translate-test), e.g. es.")
@click.option("--tgt-lang", "-t", default=None,
              help="Language of the translate-test model (default en).")
@click.option("--combine", type=click.Choice(["word", "span"]), default=None,
              help="How the ensemble teacher combines its members: word (the default; ner, "
                   "pos) or span (a weighted vote per span; ner).")
@click.option("--weight", "weights", multiple=True, type=float,
              help="The ensemble teacher's member weights, given twice: the previous "
                   "round's model, then translate-test (default 1 and 1).")
def run_cmd(run_dir, source, unlabeled, config_path, overrides, silver, dev, test,
            rounds, threshold, top_fraction, teacher, tt_backend, tt_model, mt_model, src_lang,
            tgt_lang, combine, weights, **opts):
    """Self-train in RUN_DIR: round 0 on source + silver, then rounds of predict ->
    keep confident pseudo-labels -> retrain. Finished steps are not redone."""
    from ..fileio import check_output
    check_output(run_dir, *source, *unlabeled, *silver, folder=True)   # before any loading
    from ..config import load_settings
    from ..selftrain import SelfTrainConfig
    from ..selftrain.rounds import self_train
    values = {"rounds": rounds, **_train_values(**opts)}
    if threshold is not None:
        values.update({"select.mode": "threshold", "select.threshold": threshold})
    if top_fraction is not None:
        values.update({"select.mode": "top", "select.top_fraction": top_fraction})
    tt = {"source_model": tt_model, "backend": tt_backend, "mt_model": mt_model,
          "src_lang": src_lang, "tgt_lang": tgt_lang}
    values.update({f"translate_test.{k}": v for k, v in tt.items() if v is not None})
    if teacher is not None:
        values["teacher"] = teacher
    if combine is not None:
        values["ensemble.combine"] = combine
    if weights:
        values["ensemble.weights"] = list(weights)
    cfg = load_settings(SelfTrainConfig, config_path, overrides, values=values)
    summary = self_train(list(source), list(unlabeled), run_dir, cfg, silver=list(silver),
                         dev=dev, test=test)
    for r in summary["rounds"]:
        click.echo(f"round {r['round']}: best dev {_shown(cfg.train.task, r['best_dev'])}, "
                   f"test {_shown(cfg.train.task, r.get('test'))}")
    from ..selftrain.tasks import get_task
    click.echo(f"final {get_task(cfg.train.task).what}: {Path(run_dir) / summary['final_model']}")
