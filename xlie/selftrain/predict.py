"""A trained tagger: per-word label distributions, tags, spans, and their confidences.

A word's confidence is the probability of its predicted label (softmax at its first
subword); a span's confidence is the mean over its words. Output sentences carry
``spans`` with ``score`` (NER) or ``tags`` (POS), plus ``tag_scores``, one per word.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np
import torch

from ..corpus import Sentence
from .encode import WindowEncoder, collate, model_limit
from ..formats.iob import tags_to_spans
from .labels import LabelMap

from .modelcheck import TASK_KEY, check_tagger
WINDOW_KEY = "xlie_max_length"  # the window length the tagger was trained with


@dataclass
class WordPrediction:
    labels: list[str]
    scores: list[float]
    probs: np.ndarray  # (n_words, n_labels)


class Tagger:
    """A token-classification model with its tokenizer and label map."""

    def __init__(self, model, tokenizer, labels: LabelMap, max_length: Optional[int] = None,
                 context: bool = True, batch_size: int = 32):
        self.model, self.tokenizer, self.labels = model, tokenizer, labels
        limit = model_limit(tokenizer, model.config, max_length)
        self.encoder = WindowEncoder(tokenizer, limit, context)
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | Path, device: str | None = None, batch_size: int = 32,
             dtype: str | None = None) -> "Tagger":
        """Load a tagger saved by :func:`xlie.selftrain.train` (a plain transformers dir);
        ``dtype`` bf16 or int8 for faster inference (``models.quantize.for_inference``)."""
        from transformers import AutoModelForTokenClassification
        from ..models import load_pretrained, load_tokenizer
        if Path(path).is_dir():   # a plain encoder would load with a random head
            check_tagger(path)
        from ..models.quantize import for_inference
        model = load_pretrained(AutoModelForTokenClassification, path)
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model = for_inference(model.to(device).eval(), dtype, device)
        task = getattr(model.config, TASK_KEY, None) or "ner"
        labels = LabelMap.from_id2label(task, model.config.id2label)
        return cls(model, load_tokenizer(path), labels,
                   getattr(model.config, WINDOW_KEY, None), batch_size=batch_size)

    @torch.inference_mode()
    def predict_words(self, sentences: Sequence[Sequence[str]]) -> list[WordPrediction]:
        """Label distribution of every word of every sentence."""
        was_training = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        n_labels = len(self.labels.labels)
        probs = [np.zeros((len(s), n_labels), dtype=np.float32) for s in sentences]
        wins = [(i, w) for i, s in enumerate(sentences) if s for w in self.encoder.windows(s)]
        wins.sort(key=lambda x: len(x[1].input_ids))  # similar lengths pad less
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for k in range(0, len(wins), self.batch_size):
            chunk = wins[k:k + self.batch_size]
            batch = collate([{"input_ids": w.input_ids} for _, w in chunk], pad)
            logits = self.model(input_ids=batch["input_ids"].to(device),
                                attention_mask=batch["attention_mask"].to(device)).logits
            p = torch.softmax(logits.float(), dim=-1).cpu().numpy()  # (B, T, n_labels)
            for row, (i, win) in enumerate(chunk):
                for pos, w in enumerate(win.first_of):
                    if w is not None:
                        probs[i][w] = p[row, pos]
        if was_training:
            self.model.train()
        names = self.labels.labels
        out = []
        for pr in probs:
            best = pr.argmax(-1) if len(pr) else np.zeros(0, dtype=int)
            out.append(WordPrediction([names[j] for j in best],
                                      [float(pr[i, j]) for i, j in enumerate(best)], pr))
        return out

    def annotate(self, sent: Sentence, pred: WordPrediction) -> Sentence:
        """A copy of ``sent`` whose annotations are the prediction."""
        return annotate_words(sent, pred, self.labels.task)

    def predict(self, sentences: Iterable[Sentence]) -> list[Sentence]:
        sents = list(sentences)
        preds = self.predict_words([s.tokens for s in sents])
        return [self.annotate(s, p) for s, p in zip(sents, preds)]


def annotate_words(sent: Sentence, pred: WordPrediction, task: str) -> Sentence:
    """A copy of ``sent`` labeled by per-word predictions: ``tags`` (POS) or IOB2-decoded
    ``spans`` scored by the mean of their words' scores (NER), and ``tag_scores``. Shared by
    the tagger and the ensemble (``ensemble.py``), so both give the same shape."""
    data = sent.to_json()
    data["tag_scores"] = [round(s, 6) for s in pred.scores]
    if task == "pos":
        data["tags"] = pred.labels
    else:
        data["spans"] = [
            {"start": s, "end": e, "label": lab, "id": f"{sent.id}-{m}",
             "score": round(float(np.mean(pred.scores[s:e])), 6)}
            for m, (s, e, lab) in enumerate(tags_to_spans(pred.labels))]
        if task == "event":   # each predicted trigger is an event (no arguments)
            data["events"] = [{"label": s["label"], "trigger": s["id"], "args": []}
                              for s in data["spans"]]
    return Sentence.model_validate(data)
