"""spaCy DocBin (output only): the silver corpus as spaCy training data, for
``spacy train``. Needs the ``spacy`` extra (``pip install xlie[spacy]``); imported lazily.

Sample (Python; a DocBin file is binary)::

    from spacy.tokens import DocBin
    import spacy
    docs = list(DocBin().from_disk("silver.spacy").get_docs(spacy.blank("de").vocab))
    [(e.text, e.label_) for e in docs[0].ents]   # [('Europäischen Parlaments', 'ORG')]

Each sentence becomes one Doc over its tokens (``user_data["id"]`` keeps its id); spans go to
``doc.ents`` and, with their scores, to ``doc.spans["xlie"]``; tags that are UPOS go to
``token.pos_``, unlabeled tokens (``_``) are left empty. Overlapping spans cannot all be
entities: only the best-scoring non-overlapping ones are, all stay in ``doc.spans``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..corpus import Sentence
from ..errors import XlieError
from ..fileio import atomic_write

UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
        "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}


def _spacy():
    try:
        import spacy
        from spacy.tokens import Doc, DocBin
    except ImportError:
        raise XlieError("writing spaCy DocBin needs spaCy",
                        "install the extra: pip install 'xlie[spacy]'") from None
    return spacy, Doc, DocBin


def _entities(sentence: Sentence) -> list:
    chosen = []
    for s in sorted(sentence.spans, key=lambda s: -(s.score if s.score is not None else 1.0)):
        if all(s.end <= c.start or c.end <= s.start for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.start)


def to_doc(sentence: Sentence, vocab) -> "object":
    """One corpus sentence as a spaCy Doc."""
    _, Doc, _ = _spacy()
    from spacy.tokens import Span as SpacySpan
    doc = Doc(vocab, words=list(sentence.tokens))
    for tok, tag in zip(doc, sentence.tags or []):
        if tag in UPOS:
            tok.pos_ = tag
    doc.user_data["id"] = sentence.id
    doc.ents = [SpacySpan(doc, s.start, s.end, label=s.label) for s in _entities(sentence)]
    group = [SpacySpan(doc, s.start, s.end, label=s.label) for s in sentence.spans]
    doc.spans["xlie"] = group
    if group:
        doc.spans["xlie"].attrs["score"] = [s.score if s.score is not None else 1.0
                                            for s in sentence.spans]
    return doc


def write_docbin(path: str | Path, sentences: Iterable[Sentence], *inputs: str | Path | None,
                 lang: str = "xx") -> int:
    """Write a ``.spacy`` file atomically (never over ``inputs``); returns the count."""
    spacy, _, DocBin = _spacy()
    vocab = spacy.blank(lang).vocab
    db = DocBin(store_user_data=True)
    n = 0
    for sent in sentences:
        db.add(to_doc(sent, vocab))
        n += 1
    with atomic_write(path, *inputs, mode="wb") as f:
        f.write(db.to_bytes())
    return n
