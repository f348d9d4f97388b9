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


def write_predictions(path: str | Path, sentences: Sequence[Sentence], task: str,
                      *inputs: str | Path, fmt: Optional[str] = None) -> int:
    """Write in the format of ``path`` (or ``fmt``); never over one of ``inputs``."""
    from ..formats.detect import detect_format, write_any
    kind = detect_format(path, fmt)
    if kind == "conll" and task != "ner":
        raise XlieError("CoNLL NER output needs an NER tagger", "write .conllu or .jsonl for POS")
    if kind == "conllu" and task != "pos":
        raise XlieError("CoNLL-U output needs a POS tagger", "write .conll or .jsonl for NER")
    return write_any(path, sentences, *inputs, fmt=kind)


def predict_file(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                 fmt: Optional[str] = None, batch_size: int = 32,
                 score: bool = False, dtype: Optional[str] = None) -> dict:
    """Tag the sentences of ``inputs`` with a saved tagger and write them to ``output``.
    With ``score``, the inputs' own labels are taken as gold and the scores returned.
    ``dtype``: bf16 or int8 inference (``models.quantize.for_inference``)."""
    from .data import read_sentences
    from .metrics import evaluate
    from .predict import Tagger
    from .relation import META
    if (Path(model) / META).is_file():
        return _predict_relations(model, inputs, output, fmt, batch_size, score, dtype)
    tagger = Tagger.load(model, batch_size=batch_size, dtype=dtype)
    sents = [s for path in inputs for _, s in read_sentences(path)]
    empty = sum(1 for s in sents if not s.tokens)
    n = write_predictions(output, tagger.predict(sents), tagger.labels.task, *inputs, fmt=fmt)
    report = {"sentences": n, "empty": empty, "task": tagger.labels.task}
    if score:
        report["scores"] = evaluate(tagger, sents)
    return report


def _predict_relations(model, inputs, output, fmt, batch_size: int, score: bool,
                       dtype: Optional[str] = None) -> dict:
    """A relation classifier: a relation and its score on each marked pair."""
    from ..formats.detect import write_any
    from .data import read_sentences
    from .relation import RelationClassifier, relx_f1
    clf = RelationClassifier.load(model, dtype)
    sents = [s for path in inputs for _, s in read_sentences(path)]
    pred = clf.predict(sents, batch_size)
    n = write_any(output, pred, *inputs, fmt=fmt)
    report = {"sentences": n, "task": "relation",
              "with_pair": sum(1 for p in pred if p.relations)}
    if score:
        report["scores"] = relx_f1(sents, pred)
    return report
