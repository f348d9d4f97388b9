"""The event argument head: which role (or none) each candidate span plays in each event.

ACE-style corpora give a sentence's entity mentions as spans and its events as
``{"label": event type, "trigger": span id, "args": [{"role", "span": span id}]}`` (the shape
projection carries). The head sits on the trigger tagger's encoder, frozen: a word's vector
is the encoder's last hidden state at its first subword (the windows the tagger reads), a
span's the mean of its words'. For each (trigger, candidate) pair of a sentence it reads
``[trigger; candidate; trigger * candidate]`` and embeddings of the event type, the
candidate's label and their distance in words, through a two-layer MLP, into ``none`` or a
role. A role never seen with an event type in training is never predicted for it.

Candidates are the sentence's *mentions*: spans its ``events`` do not name as triggers (all
of its spans when it has no ``events``). The head never invents a span: without mentions in
the input there are no arguments. Saved beside the tagger in its model directory
(``event-args.json`` + ``event-args.pt``); a tagger without them predicts triggers only.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import nn

from ..corpus import Sentence, Span
from ..fileio import atomic_write
from .encode import collate

META = "event-args.json"
WEIGHTS = "event-args.pt"
NONE = "none"                 # the role of a candidate that is no argument of the event
DISTANCES = 11                # signed word distance, bucketed: <=-5 .. 0 .. >=5


def span_ids(sent: Sentence) -> dict[str, Span]:
    """The sentence's spans by id (a span without one is ``{sentence id}-{k}``, as the JSONL
    reader resolves references)."""
    return {str(s.id) if s.id is not None else f"{sent.id}-{k}": s
            for k, s in enumerate(sent.spans)}


def mentions(sent: Sentence) -> list[tuple[str, Span]]:
    """The candidate argument spans: ``(id, span)`` of every span no event names as its
    trigger (module doc)."""
    named = {str(e.get("trigger")) for e in getattr(sent, "events", None) or []
             if isinstance(e, dict)}
    return [(i, s) for i, s in span_ids(sent).items() if i not in named]


def distance_bucket(trigger: Span, cand: Span) -> int:
    d = cand.start - trigger.start
    return max(-5, min(5, d)) + 5


class ArgumentHead(nn.Module):
    """MLP over a (trigger, candidate) pair: logits of ``none`` and each role."""

    def __init__(self, hidden: int, n_types: int, n_labels: int, n_roles: int,
                 width: int = 256, emb: int = 16, dropout: float = 0.1):
        super().__init__()
        self.type_emb = nn.Embedding(n_types + 1, emb)      # last index: a type never seen
        self.label_emb = nn.Embedding(n_labels + 1, emb)
        self.dist_emb = nn.Embedding(DISTANCES, emb)
        self.mlp = nn.Sequential(nn.Linear(3 * hidden + 3 * emb, width), nn.ReLU(),
                                 nn.Dropout(dropout), nn.Linear(width, n_roles + 1))

    def forward(self, trig: torch.Tensor, cand: torch.Tensor, etype: torch.Tensor,
                label: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
        x = torch.cat([trig, cand, trig * cand, self.type_emb(etype), self.label_emb(label),
                       self.dist_emb(dist)], dim=-1)
        return self.mlp(x)


@torch.inference_mode()
def word_vectors(tagger, sentences: Sequence[Sequence[str]]) -> list[torch.Tensor]:
    """Each word's last-layer vector at its first subword, ``(n_words, hidden)`` per sentence,
    from the tagger's own model and windows (one forward pass over them)."""
    model = tagger.model
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    hidden = model.config.hidden_size
    out = [torch.zeros(len(s), hidden) for s in sentences]
    wins = [(i, w) for i, s in enumerate(sentences) if s for w in tagger.encoder.windows(s)]
    wins.sort(key=lambda x: len(x[1].input_ids))
    pad = tagger.tokenizer.pad_token_id if tagger.tokenizer.pad_token_id is not None else 0
    for k in range(0, len(wins), tagger.batch_size):
        chunk = wins[k:k + tagger.batch_size]
        batch = collate([{"input_ids": w.input_ids} for _, w in chunk], pad)
        states = model(input_ids=batch["input_ids"].to(device),
                       attention_mask=batch["attention_mask"].to(device),
                       output_hidden_states=True).hidden_states[-1].float().cpu()
        for row, (i, win) in enumerate(chunk):
            for pos, w in enumerate(win.first_of):
                if w is not None:
                    out[i][w] = states[row, pos]
    if was_training:
        model.train()
    return out


def span_vector(words: torch.Tensor, span: Span) -> torch.Tensor:
    return words[span.start:span.end].mean(0)


class ArgumentVocab:
    """The head's label sets: event types, candidate labels, roles, and which roles each
    event type was seen with."""

    def __init__(self, types: list[str], labels: list[str], roles: list[str],
                 type_roles: dict[str, list[str]]):
        self.types, self.labels, self.roles, self.type_roles = types, labels, roles, type_roles
        self.classes = [NONE] + roles

    def type_id(self, t: str) -> int:
        return self.types.index(t) if t in self.types else len(self.types)

    def label_id(self, t: str) -> int:
        return self.labels.index(t) if t in self.labels else len(self.labels)

    def allowed(self, etype: str) -> torch.Tensor:
        """Mask of the classes this event type may take (``none`` always)."""
        ok = set(self.type_roles.get(etype, self.roles))
        return torch.tensor([c == NONE or c in ok for c in self.classes])

    def to_json(self) -> dict:
        return {"types": self.types, "labels": self.labels, "roles": self.roles,
                "type_roles": self.type_roles}


def pair_inputs(words: torch.Tensor, trigger: Span, etype: str,
                cands: list[Span], vocab: ArgumentVocab) -> tuple[torch.Tensor, ...]:
    """The head's inputs for one trigger and its sentence's candidates."""
    t = span_vector(words, trigger).expand(len(cands), -1)
    c = torch.stack([span_vector(words, s) for s in cands])
    return (t, c, torch.full((len(cands),), vocab.type_id(etype), dtype=torch.long),
            torch.tensor([vocab.label_id(s.label) for s in cands], dtype=torch.long),
            torch.tensor([distance_bucket(trigger, s) for s in cands], dtype=torch.long))


class EventArguments:
    """A trained head with its vocabulary: fills the ``args`` of predicted events."""

    def __init__(self, head: ArgumentHead, vocab: ArgumentVocab):
        self.head, self.vocab = head.eval(), vocab

    @classmethod
    def load(cls, path: str | Path) -> Optional["EventArguments"]:
        """The head saved in a tagger directory, or None where it has none."""
        path = Path(path)
        if not (path / META).is_file():
            return None
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        vocab = ArgumentVocab(**meta["vocab"])
        head = ArgumentHead(meta["hidden"], len(vocab.types), len(vocab.labels),
                            len(vocab.roles), meta["width"], meta["emb"])
        head.load_state_dict(torch.load(path / WEIGHTS, map_location="cpu", weights_only=True))
        return cls(head, vocab)

    def save(self, path: str | Path, hidden: int, extra: dict) -> None:
        path = Path(path)
        torch.save(self.head.state_dict(), path / WEIGHTS)
        meta = {"hidden": hidden, "width": self.head.mlp[0].out_features,
                "emb": self.head.type_emb.embedding_dim, "vocab": self.vocab.to_json(), **extra}
        with atomic_write(path / META) as f:
            json.dump(meta, f, indent=1)

    @torch.inference_mode()
    def fill(self, tagger, pairs: Sequence[tuple[Sentence, Sentence]]) -> list[Sentence]:
        """``(input, predicted)`` sentences -> the predicted ones with the input's mentions
        among their spans and each event's ``args`` (role, span id, score)."""
        todo = [k for k, (src, pred) in enumerate(pairs) if mentions(src) and pred.spans]
        vecs = dict(zip(todo, word_vectors(tagger, [pairs[k][0].tokens for k in todo])))
        out = []
        for k, (src, pred) in enumerate(pairs):
            out.append(self._one(src, pred, vecs.get(k)))
        return out

    def _one(self, src: Sentence, pred: Sentence, words: Optional[torch.Tensor]) -> Sentence:
        cands = mentions(src)
        if not cands:
            return pred
        data = pred.to_json()
        taken = {i for i, _ in cands}
        rename = {}                     # a trigger id the input already uses for a mention
        for m, s in enumerate(data["spans"]):
            if s["id"] in taken:
                rename[s["id"]] = f"{src.id}-t{m}"
                s["id"] = rename[s["id"]]
        events = [{**e, "trigger": rename.get(e["trigger"], e["trigger"])}
                  for e in data.get("events") or []]
        by_id = {s["id"]: Span.model_validate(s) for s in data["spans"]}
        spans = [c for _, c in cands]
        for ev in events:
            ev["args"] = []
            if words is None:
                continue
            trig = by_id[ev["trigger"]]
            logits = self.head(*pair_inputs(words, trig, ev["label"], spans, self.vocab))
            logits = logits.masked_fill(~self.vocab.allowed(ev["label"]), float("-inf"))
            probs = torch.softmax(logits, -1)
            for (cid, _), p in zip(cands, probs):
                j = int(p.argmax())
                if j:
                    ev["args"].append({"role": self.vocab.classes[j], "span": cid,
                                       "score": round(float(p[j]), 6)})
        data["spans"] = sorted(data["spans"] + [{**c.model_dump(exclude_none=True), "id": cid}
                                              for cid, c in cands],
                               key=lambda s: (s["start"], s["end"]))
        data["events"] = events
        return Sentence.model_validate(data)
