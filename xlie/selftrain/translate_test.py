"""Translate-test: label target-language text with a SOURCE-language model.

Each input sentence is translated into the source language (``xlie.translation``), the
source model (any task of the registry: a tagger, the parser) predicts on the translation,
the pair is word-aligned with ``xlie align``'s defaults (``Aligner("e5-small")``), and the
predictions are projected back onto the input's own words with the projection stage's code
(``projection.sentence.project_sentence``: spans for NER, tags for POS, trees through tree
projection for the parser; a relation's two marked arguments there and back,
:mod:`.translate_test_relations`). The teacher is then a model trained on gold in its own language,
not a student trained on silver.

:class:`TranslateTestPredictor` has the registry predictors' ``.predict(sentences)``, so
``selftrain predict`` and the rounds driver use it like a model; ``.report`` counts what
was lost on the way (untranslated, unaligned, spans dropped, words left without a tag).

Confidences: a projected span keeps the source model's span score (its projection score is
kept as ``projection_score``); a word's ``tag_scores`` entry is the mean score of the source
words linked to it that carry its label, 0.0 for a word nothing reached (no evidence). A
projected tree's ``arc_scores`` are tree projection's own (link evidence), not the parser's.
A relation keeps the classifier's ``score``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from ..corpus import UNLABELED, Sentence, Translation
from ..errors import XlieError
from ..projection.links import Links

TASKS = ("ner", "pos", "dep", "relation")   # what can be projected back


@dataclass
class TranslateTestSpec:
    """How to translate: an MT backend (``hf``, ``ct2``, ``apertium`` or a ready
    ``Backend``), its model, the input's language and the source model's language."""

    backend: Any = "apertium"
    mt_model: Optional[str] = None
    src_lang: str = "es"        # the input (target-language) text
    tgt_lang: str = "en"        # the source model's language
    aligner: Any = "e5-small"   # a model name or a ready ``Aligner`` (``align_pairs``)
    cache: Any = True           # the translation cache (``TranslateSettings.cache``)


@dataclass
class TranslateTestReport:
    sentences: int = 0
    empty: int = 0
    untranslated: int = 0          # no translation came back (empty or skipped)
    unaligned: int = 0             # the aligner could not use the pair
    projection: dict = field(default_factory=dict)   # the projection stage's report
    words: int = 0
    words_reached: int = 0         # input words some prediction reached through a link
    relations: dict = field(default_factory=dict)    # translate_test_relations.new_counts

    def to_dict(self) -> dict:
        out = {"sentences": self.sentences, "empty": self.empty,
               "untranslated": self.untranslated, "unaligned": self.unaligned,
               "words": self.words, "words_reached": self.words_reached}
        p = self.projection
        if p.get("spans", {}).get("in"):
            out["spans"] = {"predicted": p["spans"]["in"], "projected": p["spans"]["projected"],
                            "lost": p["spans"]["in"] - p["spans"]["projected"],
                            "dropped": p["spans"]["dropped"]}
        if "pos" in p:
            out["tags"] = {"words": p["pos"].get("tokens", 0),
                           "tagged": p["pos"].get("labeled", 0)}
        if "trees" in p:
            out["trees"] = {k: p["trees"][k] for k in ("sentences", "words", "arcs",
                                                       "complete_trees") if k in p["trees"]}
            out["arcs_dropped"] = p.get("arcs_dropped", {})
        if self.relations:
            out["relations"] = self.relations
        return out


def _open_translator(spec: TranslateTestSpec):
    from ..translation import open_session
    from ..translation.backends.base import Backend
    if isinstance(spec.backend, Backend):
        return open_session(None, spec.src_lang, spec.tgt_lang, backend=spec.backend,
                            cache=spec.cache)
    return open_session(spec.mt_model, spec.src_lang, spec.tgt_lang, backend=spec.backend,
                        cache=spec.cache)


def _aligner(spec: TranslateTestSpec):
    """``xlie align``'s aligner: its default model and settings (or one given ready)."""
    if not isinstance(spec.aligner, (str, Path)):
        return spec.aligner        # anything with ``align_pairs``
    from ..aligners import Aligner
    return Aligner(str(spec.aligner))


class TranslateTestPredictor:
    """Predict target-language sentences through their translation (see the module doc).

    ``model`` is a trained model directory (any task in :data:`TASKS`) or a ready registry
    predictor with ``task`` given."""

    def __init__(self, model: str | Path | Any, spec: TranslateTestSpec, batch_size: int = 32,
                 task: Optional[str] = None):
        from .tasks import get_task, task_of_model
        if isinstance(model, (str, Path)):
            self.task = task_of_model(model)
            self.source = self.task.load(model, batch_size)
        else:
            if task is None:
                raise ValueError("a ready predictor needs its task")
            self.task, self.source = get_task(task), model
        if self.task.name not in TASKS:
            raise XlieError(f"translate-test projects {', '.join(TASKS)} predictions; this "
                            f"is a {self.task.name} model",
                            "give a tagger, a parser or a relation classifier")
        self.spec = spec
        self._session = None
        self._aligner = None
        self.report = TranslateTestReport()

    @property
    def session(self):
        if self._session is None:
            self._session = _open_translator(self.spec)
        return self._session

    @property
    def aligner(self):
        if self._aligner is None:
            self._aligner = _aligner(self.spec)
        return self._aligner

    def translate(self, sents: Sequence[Sentence]) -> list[list[str]]:
        """The translation's words of each sentence ([] where none came back)."""
        records = [{"id": s.id, "lang": self.spec.src_lang, "tokens": list(s.tokens)}
                   for s in sents if s.tokens]
        done = iter(self.session.translate_records(records)) if records else iter(())
        out = []
        for s in sents:
            if not s.tokens:
                out.append([])
                continue
            tr = next(done).get("translation") or {}
            out.append(list(tr.get("tokens") or (tr.get("text") or "").split()))
        return out

    def predict(self, sentences: Sequence[Sentence]) -> list[Sentence]:
        from ..projection.api import make_options, project_pairs
        from ..projection.inputs import Pair
        sents = list(sentences)
        rep = self.report = TranslateTestReport(sentences=len(sents))
        rep.empty = sum(1 for s in sents if not s.tokens)
        words = self.translate(sents)
        todo = [k for k, s in enumerate(sents) if s.tokens and words[k]]
        rep.untranslated = sum(1 for s, w in zip(sents, words) if s.tokens and not w)
        clean = [self.task.unlabel(s) for s in sents]
        src_in = [Sentence(id=sents[k].id, lang=self.spec.tgt_lang, tokens=words[k])
                  for k in todo]
        aligned = self.aligner.align_pairs([(words[k], list(sents[k].tokens)) for k in todo])
        rep.unaligned = sum(1 for al in aligned if al.error is not None)
        if self.task.name == "relation":
            return self._relations(sents, clean, words, todo, aligned)
        predicted = self.source.predict(src_in) if src_in else []
        pairs, where = [], []
        for k, pred, al in zip(todo, predicted, aligned):
            if al.error is not None:
                continue
            links = Links.from_triples([tuple(x) for x in al.links], len(words[k]),
                                       len(sents[k].tokens))
            tr = Translation(lang=self.spec.src_lang, text=" ".join(sents[k].tokens),
                             tokens=list(sents[k].tokens))
            pairs.append(Pair(pred, list(sents[k].tokens), tr, links, f"sentence {k + 1}"))
            where.append(k)
        # token-level projection: a teacher's labels go back through their own links; the
        # corpus-level type evidence of projection (#34) would overrule the teacher by the
        # tags of a few predicted sentences
        opts = make_options(pos_types=False, dep_types=False, dep_relabel=False)
        result = project_pairs(pairs, opts, self.spec.src_lang)
        rep.projection = result.report.to_dict()
        out = list(clean)
        for k, pair, proj in zip(where, pairs, result.sentences):
            out[k] = self._merge(clean[k], pair.source, proj, pair.links)
        for s in out:
            rep.words += len(s.tokens)
            rep.words_reached += sum(1 for x in (getattr(s, "tag_scores", None) or []) if x > 0)
        return out

    def _relations(self, sents: list[Sentence], clean: list[Sentence], words: list[list[str]],
                   todo: list[int], aligned: list[Any]) -> list[Sentence]:
        """Relation inputs: each marked pair classified on its translation (see
        :mod:`.translate_test_relations`); the input records with the relations that came back."""
        from ..projection.sentence import with_span_ids
        from .translate_test_relations import new_counts, relations_through_translation
        rep = self.report
        rep.relations = new_counts()
        by_k = dict(zip(todo, aligned))
        rels = relations_through_translation(
            self.source, sents, words, [by_k.get(k) for k in range(len(sents))],
            (self.spec.src_lang, self.spec.tgt_lang), rep.relations)
        for al in aligned:   # a relation has no per-word labels: words a link reached
            if al.error is None:
                rep.words_reached += len({int(j) for _, j, *_ in al.links})
        out = []
        for s, r in zip(clean, rels):
            rep.words += len(s.tokens)
            out.append(s.model_copy(update={"spans": with_span_ids(s), "relations": r}))
        return out

    def _merge(self, sent: Sentence, pred: Sentence, proj: Sentence, links: Links) -> Sentence:
        """The input sentence with the projected labels and their confidences."""
        data = sent.to_json()
        src_scores = list(getattr(pred, "tag_scores", None) or [1.0] * len(pred.tokens))
        n = len(sent.tokens)
        if self.task.name == "ner":
            by_id = {sp.id: sp for sp in pred.spans}
            spans, inside = [], [None] * n
            for sp in proj.spans:
                teacher = by_id.get(sp.id)
                score = teacher.score if teacher is not None and teacher.score is not None \
                    else 1.0
                d = sp.model_dump(exclude_none=True)
                d["score"] = round(float(score), 6)
                if sp.score is not None:
                    d["projection_score"] = sp.score
                spans.append(d)
                inside[sp.start:sp.end] = [score] * (sp.end - sp.start)
            in_src = {i for sp in pred.spans for i in range(sp.start, sp.end)}
            scores = []
            for j in range(n):
                if inside[j] is not None:
                    scores.append(inside[j])
                    continue
                outside = [src_scores[i] for i in links.bwd.get(j, {}) if i not in in_src]
                scores.append(sum(outside) / len(outside) if outside else 0.0)
            data["spans"] = spans
        elif self.task.name == "pos":
            tags = list(proj.tags or [UNLABELED] * n)
            scores = []
            for j, t in enumerate(tags):
                mine = [src_scores[i] for i in links.bwd.get(j, {}) if pred.tags[i] == t]
                scores.append(sum(mine) / len(mine) if mine and t != UNLABELED else
                              (1.0 if t != UNLABELED else 0.0))  # rule tags (PUNCT, NUM)
            data["tags"] = tags
        else:
            data.update(heads=proj.heads, deprels=proj.deprels,
                        arc_scores=getattr(proj, "arc_scores", None))
            scores = [0.0 if h is None else 1.0 for h in (proj.heads or [None] * n)]
        data["tag_scores"] = [round(float(x), 6) for x in scores]
        return Sentence.model_validate(data)


def spec_from(backend: Any, mt_model: Optional[str], src_lang: Optional[str],
              tgt_lang: Optional[str], **kw: Any) -> TranslateTestSpec:
    """A spec from command-line values; the languages are needed."""
    if not src_lang or not tgt_lang:
        raise XlieError("translate-test needs the input's language and the model's",
                        "pass -s/--src-lang (the input's, e.g. es) and -t/--tgt-lang (the "
                        "source model's, e.g. en)")
    return TranslateTestSpec(backend=backend, mt_model=mt_model, src_lang=src_lang,
                             tgt_lang=tgt_lang, **kw)

