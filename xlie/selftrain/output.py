"""Write tagged sentences and tag files with a saved tagger (``xlie selftrain predict``).

Output goes through :func:`xlie.formats.detect.write_any`: corpus JSONL (spans with
``score``, ``tags``, ``tag_scores`` per word), CoNLL NER, CoNLL-U (POS), or a spaCy
DocBin (``.spacy``: entities in ``doc.ents``, spans with their scores in
``doc.spans["xlie"]``, UPOS in ``token.pos_``), chosen by the suffix or named.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from ..errors import XlieError


def model_task(model: str | Path) -> str:
    """The task of a saved model directory, read from its small files only (no weights):
    ``dep`` (a parser), ``relation``, or the tagger's ``ner``/``pos``. A plain encoder, or a
    folder that is no model, is an error saying so."""
    import json
    from .predict import TASK_KEY
    from .relation import META
    path = Path(model)
    if (path / "parser.json").is_file():
        return "dep"
    if (path / META).is_file():
        return "relation"
    if not (path / "config.json").is_file():
        raise XlieError(f"{model} is not a trained model (no config.json)",
                        "give the model/ folder that `xlie selftrain train` wrote")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    task = config.get(TASK_KEY)
    labels = list((config.get("id2label") or {}).values())
    if task is None and (not labels or all(str(x).startswith("LABEL_") for x in labels)):
        raise XlieError(f"{model} is not a trained tagger, parser or relation classifier "
                        "(a plain encoder: no task, no labels)",
                        "train one with `xlie selftrain train` and give its model/ folder")
    return task or "ner"


def check_format(kind: str, task: str) -> None:
    """Refuse an output format the task cannot fill."""
    if kind == "conll" and task != "ner":
        raise XlieError(f"CoNLL NER output needs an NER tagger, not a {task} model",
                        "write .conllu or .jsonl")
    if kind == "conllu" and task not in ("pos", "dep"):
        raise XlieError(f"CoNLL-U output needs a POS tagger or a parser, not a {task} model",
                        "write .conll or .jsonl for NER")
    if kind == "relx" and task != "relation":
        raise XlieError(f"RELX output needs a relation classifier, not a {task} model",
                        "write .jsonl")
    if kind == "docbin" and task in ("dep", "relation"):
        raise XlieError(f"spaCy DocBin output holds spans and tags, not {task} predictions",
                        "write .jsonl or .conllu")


def check_prediction(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                     fmt: Optional[str] = None) -> tuple[str, str]:
    """Everything ``xlie selftrain predict`` can check before a model loads: the model is a
    trained one, the output format suits its task, the output can be written and is not an
    input. Returns (task, output format)."""
    from ..fileio import check_output
    from ..formats.detect import detect_format
    task = model_task(model)
    kind = detect_format(output, fmt)
    check_format(kind, task)
    check_output(output, *inputs)
    return task, kind


def write_predictions(path: str | Path, sentences: Sequence[Sentence], task: str,
                      *inputs: str | Path, fmt: Optional[str] = None) -> int:
    """Write in the format of ``path`` (or ``fmt``); never over one of ``inputs``."""
    from ..formats.detect import detect_format, write_any
    kind = detect_format(path, fmt)
    check_format(kind, task)
    return write_any(path, sentences, *inputs, fmt=kind)


def predict_file(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                 fmt: Optional[str] = None, batch_size: int = 32,
                 score: bool = False) -> dict:
    """Tag the sentences of ``inputs`` with a saved tagger and write them to ``output``.
    With ``score``, the inputs' own labels are taken as gold and the scores returned."""
    from .data import read_sentences
    from .metrics import evaluate
    from .predict import Tagger
    task, _ = check_prediction(model, inputs, output, fmt)
    if task == "relation":
        return _predict_relations(model, inputs, output, fmt, batch_size, score)
    tagger = Tagger.load(model, batch_size=batch_size)
    sents = [s for path in inputs for _, s in read_sentences(path)]
    empty = sum(1 for s in sents if not s.tokens)
    n = write_predictions(output, tagger.predict(sents), tagger.labels.task, *inputs, fmt=fmt)
    report = {"sentences": n, "empty": empty, "task": tagger.labels.task}
    if score:
        report["scores"] = evaluate(tagger, sents)
    return report


def _predict_relations(model, inputs, output, fmt, batch_size: int, score: bool) -> dict:
    """A relation classifier: a relation and its score on each marked pair."""
    from ..formats.detect import write_any
    from .data import read_sentences
    from .relation import RelationClassifier, relx_f1
    clf = RelationClassifier.load(model)
    sents = [s for path in inputs for _, s in read_sentences(path)]
    pred = clf.predict(sents, batch_size)
    n = write_any(output, pred, *inputs, fmt=fmt)
    report = {"sentences": n, "task": "relation",
              "with_pair": sum(1 for p in pred if p.relations)}
    if score:
        report["scores"] = relx_f1(sents, pred)
    return report
