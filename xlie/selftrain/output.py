"""Write tagged sentences: corpus JSONL, CoNLL (NER), CoNLL-U (POS) or a spaCy DocBin.

The format follows the suffix (``.jsonl``, ``.conll``/``.conll02``/``.conll03``/``.bio``,
``.conllu``, ``.spacy``) unless named. A DocBin holds one ``Doc`` per sentence, entities in
``doc.ents`` (NER) or tags in ``token.tag_`` (and ``token.pos_`` for UPOS tags), and the
confidences in ``doc.user_data``: ``xlie_tag_scores`` (per word) and ``xlie_span_scores``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from ..corpus import Sentence
from ..errors import UnknownNameError, XlieError
from ..fileio import atomic_write

FORMATS = ("jsonl", "conll", "conllu", "spacy")
_SUFFIX = {".jsonl": "jsonl", ".json": "jsonl", ".conll": "conll", ".conll02": "conll",
           ".conll03": "conll", ".bio": "conll", ".iob": "conll", ".conllu": "conllu",
           ".spacy": "spacy"}
UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
        "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}


def output_format(path: str | Path, fmt: Optional[str] = None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise UnknownNameError("output format", fmt, FORMATS)
        return fmt
    return _SUFFIX.get(Path(str(path)).suffix.lower(), "jsonl")


def to_docbin(sentences: Sequence[Sentence], task: str):
    """A spaCy ``DocBin`` of the tagged sentences (needs the ``spacy`` extra)."""
    try:
        from spacy.tokens import Doc, DocBin
        from spacy.tokens import Span as SpacySpan
        from spacy.vocab import Vocab
    except ImportError:
        raise XlieError("writing a DocBin needs spaCy", "pip install 'xlie[spacy]'") from None
    vocab = Vocab()
    db = DocBin(attrs=["ORTH", "TAG", "POS", "ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for s in sentences:
        doc = Doc(vocab, words=list(s.tokens))
        if task == "pos":
            for tok, tag in zip(doc, s.tags or []):
                tok.tag_ = tag
                if tag in UPOS:
                    tok.pos_ = tag
        else:
            doc.ents = [SpacySpan(doc, sp.start, sp.end, label=sp.label) for sp in s.spans]
            doc.user_data["xlie_span_scores"] = [sp.score for sp in s.spans]
        doc.user_data["xlie_tag_scores"] = list(getattr(s, "tag_scores", None) or [])
        doc.user_data["xlie_id"] = s.id
        db.add(doc)
    return db


def write_predictions(path: str | Path, sentences: Sequence[Sentence], task: str,
                      *inputs: str | Path, fmt: Optional[str] = None) -> int:
    """Write in the format of ``path`` (or ``fmt``); never over one of ``inputs``."""
    fmt = output_format(path, fmt)
    if fmt == "jsonl":
        from ..formats.jsonl import write_jsonl
        return write_jsonl(path, sentences, *inputs)
    if fmt == "conll":
        if task != "ner":
            raise XlieError("CoNLL NER output needs an NER tagger", "write .conllu for POS")
        from ..formats.conll import write_conll
        return write_conll(path, sentences, "iob2", *inputs)
    if fmt == "conllu":
        if task != "pos":
            raise XlieError("CoNLL-U output needs a POS tagger", "write .conll for NER")
        from ..formats.conllu import write_conllu
        return write_conllu(path, sentences, *inputs)
    data = to_docbin(sentences, task).to_bytes()
    with atomic_write(path, *inputs, mode="wb") as f:
        f.write(data)
    return len(sentences)


def predict_file(model: str | Path, inputs: Sequence[str | Path], output: str | Path,
                 fmt: Optional[str] = None, batch_size: int = 32,
                 score: bool = False) -> dict:
    """Tag the sentences of ``inputs`` with a saved tagger and write them to ``output``.
    With ``score``, the inputs' own labels are taken as gold and the scores returned."""
    from .data import read_sentences
    from .metrics import evaluate
    from .predict import Tagger
    tagger = Tagger.load(model, batch_size=batch_size)
    sents = [s for path in inputs for _, s in read_sentences(path)]
    empty = sum(1 for s in sents if not s.tokens)
    n = write_predictions(output, tagger.predict(sents), tagger.labels.task, *inputs, fmt=fmt)
    report = {"sentences": n, "empty": empty, "task": tagger.labels.task}
    if score:
        report["scores"] = evaluate(tagger, sents)
    return report
