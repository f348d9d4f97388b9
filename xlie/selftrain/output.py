"""Write tagged sentences and tag files with a saved tagger (``xlie selftrain predict``).

Output goes through :func:`xlie.formats.detect.write_any`: corpus JSONL (spans with
``score``, ``tags``, ``tag_scores`` per word; trees; relations), CoNLL NER, CoNLL-U (POS, trees), KBP37/RELX
(relations), or a spaCy DocBin (``.spacy``: entities in ``doc.ents``, spans with their scores in
``doc.spans["xlie"]``, UPOS in ``token.pos_``), chosen by the suffix or named.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from ..errors import XlieError
from .tasks import TASKS, get_task, task_of_model


def write_predictions(path: str | Path, sentences: Sequence[Sentence], task: str,
                      *inputs: str | Path, fmt: Optional[str] = None) -> int:
    """Write in the format of ``path`` (or ``fmt``); never over one of ``inputs``."""
    from ..formats.detect import write_any
    return write_any(path, sentences, *inputs, fmt=check_format(path, task, fmt))


def check_format(path: str | Path, task: str, fmt: Optional[str] = None) -> str:
    """The output format, checked against what the task's labels fit (before any loading)."""
    from ..formats.detect import detect_format
    kind = detect_format(path, fmt)
    allowed = get_task(task).formats
    if allowed is not None and kind not in allowed:
        fits = [t for t, x in TASKS.items() if x.formats is None or kind in x.formats]
        raise XlieError(f"{kind} output cannot hold the labels of task {task} "
                        f"(it holds those of: {', '.join(fits) or 'none'})",
                        f"write one of: {', '.join('.' + f for f in allowed)}")
    return kind


def predict_file(model: str | Path | Sequence[str | Path], inputs: Sequence[str | Path],
                 output: str | Path, fmt: Optional[str] = None, batch_size: int = 32,
                 score: bool = False, dtype: Optional[str] = None, translate_test=None,
                 translate_test_model: Optional[str | Path] = None,
                 weights: Optional[Sequence[float]] = None,
                 combine: Optional[str] = None) -> dict:
    """Label the sentences of ``inputs`` with a model `xlie selftrain train` wrote (any task)
    and write them to ``output``. With ``score``, the inputs' own labels are taken as gold
    and the scores returned. ``dtype``: bf16 or int8 inference of direct models
    (``models.quantize.for_inference``). Several models, or ``translate_test`` (a
    :class:`.translate_test.TranslateTestSpec`) with or without ``translate_test_model``,
    give translate-test or an ensemble (:mod:`.teachers`; ``weights``: one per member, the
    models then the translate-test model; ``combine``: ``word`` or ``span``); the report
    then says what translate-test lost on the way."""
    from .data import read_all
    from .teachers import build_predictor, check_members, predictor_report
    models = [model] if isinstance(model, (str, Path)) else list(model)
    check_members(models, translate_test_model, weights, combine)
    kind = None
    for m in models or [translate_test_model]:
        kind = check_prediction(m, inputs, output, fmt)[1]
    sents = read_all(inputs)   # bad input: before loading
    if kind == "timeml":
        docs = list(dict.fromkeys(str(getattr(s, "doc", None)) for s in sents))
        if len(docs) > 1:
            raise XlieError(f"{output}: a TimeML file holds one document, the inputs hold "
                            f"{len(docs)} ({', '.join(docs[:3])}{', ...' if len(docs) > 3 else ''})",
                            "predict each document into its own .tml file, or write JSONL")
    task, predictor = build_predictor(models, translate_test, translate_test_model, batch_size,
                                      weights=weights, dtype=dtype, combine=combine)
    pred = predictor.predict(sents)
    n = write_predictions(output, pred, task.name, *inputs, fmt=fmt)
    report: dict = {"sentences": n, "empty": sum(1 for s in sents if not s.tokens),
                    "task": task.name}
    if task.name == "relation":
        report["with_pair"] = sum(1 for p in pred if p.relations)
    lost = predictor_report(predictor)
    if lost:
        report["translate_test"] = lost
    if score:
        report["scores"] = task.score(sents, pred)
    return report


def check_prediction(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                     fmt: Optional[str] = None) -> tuple[str, str]:
    """What ``predict`` checks before any weights load: the model is a trained one (the task
    registry's answer, from its small files), the output format suits its task, the output
    can be written and is not an input. Returns (task, output format)."""
    from ..fileio import check_output
    task = task_of_model(model).name
    kind = check_format(output, task, fmt)
    check_output(output, *inputs)
    return task, kind
