"""Train the event argument head (:mod:`.event_args`) on a trained trigger tagger.

The tagger's encoder is frozen: every training sentence is encoded once, and the head
learns from gold triggers, their event types and the sentence's mentions (each (trigger,
mention) pair is a role or ``none``). The tagger's outputs are the same with or without
the head. A fixed budget of epochs over the pairs (no dev choice: the head is small and
the pairs few); with a dev file its argument scores on gold triggers are reported.
"""
from __future__ import annotations

import random
from typing import Optional, Sequence

import torch
from torch import nn

from ..corpus import Sentence
from ..errors import XlieError
from .event_args import (NONE, ArgumentHead, ArgumentVocab, EventArguments, mentions,
                         pair_inputs, span_ids, word_vectors)

EPOCHS = 20
BATCH = 64
LR = 1e-3


def has_arguments(sentences: Sequence[Sentence]) -> bool:
    """Whether any event of the corpus names an argument (then the head is trained)."""
    return any(ev.get("args") for s in sentences for ev in getattr(s, "events", None) or []
               if isinstance(ev, dict))


def _gold_pairs(sent: Sentence):
    """``(trigger span, event type, mentions, role per mention)`` of each event."""
    by_id, cands = span_ids(sent), mentions(sent)
    for ev in getattr(sent, "events", None) or []:
        trig = by_id.get(str(ev.get("trigger")))
        if trig is None or not cands:
            continue
        role = {str(a.get("span")): str(a.get("role")) for a in ev.get("args") or []}
        yield trig, str(ev.get("label") or trig.label), cands, [role.get(i, NONE) for i, _ in cands]


def build_vocab(sentences: Sequence[Sentence]) -> ArgumentVocab:
    types, labels, type_roles = set(), set(), {}
    for s in sentences:
        for _, etype, cands, roles in _gold_pairs(s):
            types.add(etype)
            labels |= {c.label for _, c in cands}
            type_roles.setdefault(etype, set()).update(r for r in roles if r != NONE)
    roles = sorted({r for rs in type_roles.values() for r in rs})
    if not roles:
        raise XlieError("the events name arguments, but none of them is one of the "
                        "sentence's mentions", "an argument's span must be a span of the "
                        "sentence that is no trigger")
    return ArgumentVocab(sorted(types), sorted(labels), roles,
                         {t: sorted(r) for t, r in sorted(type_roles.items())})


def _tensors(tagger, sentences: Sequence[Sentence], vocab: ArgumentVocab):
    keep = [s for s in sentences if any(True for _ in _gold_pairs(s))]
    vecs = word_vectors(tagger, [s.tokens for s in keep])
    parts, ys = [], []
    for s, words in zip(keep, vecs):
        for trig, etype, cands, roles in _gold_pairs(s):
            parts.append(pair_inputs(words, trig, etype, [c for _, c in cands], vocab))
            ys += [vocab.classes.index(r) if r in vocab.classes else 0 for r in roles]
    if not parts:
        return None
    cols = [torch.cat([p[k] for p in parts]) for k in range(5)]
    return cols, torch.tensor(ys, dtype=torch.long)


def train_arguments(tagger, sentences: Sequence[Sentence], seed: int = 0,
                    epochs: int = EPOCHS, lr: float = LR) -> tuple[EventArguments, dict]:
    """A head trained on the sentences' gold events; returns it and what training saw."""
    vocab = build_vocab(sentences)
    data = _tensors(tagger, sentences, vocab)
    if data is None:
        raise XlieError("no event with both a trigger and a mention to train arguments on",
                        "give the sentences' entity mentions as spans")
    cols, y = data
    torch.manual_seed(seed)
    hidden = tagger.model.config.hidden_size
    head = ArgumentHead(hidden, len(vocab.types), len(vocab.labels), len(vocab.roles))
    opt = torch.optim.AdamW(head.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    order = list(range(len(y)))
    rng = random.Random(seed)
    losses = []
    head.train()
    for _ in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for k in range(0, len(order), BATCH):
            idx = torch.tensor(order[k:k + BATCH])
            loss = loss_fn(head(*(c[idx] for c in cols)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(round(total / len(order), 6))
    info = {"pairs": len(y), "arguments": int((y > 0).sum()), "roles": vocab.roles,
            "event_types": vocab.types, "epochs": epochs, "lr": lr, "batch_size": BATCH,
            "losses": losses}
    return EventArguments(head, vocab), info


def gold_trigger_scores(tagger, args: EventArguments, gold: Sequence[Sentence]) -> dict:
    """Argument scores of the head on gold triggers (the triggers' own scores are 1)."""
    from ..scoring_events import score_events
    bare = []
    for s in gold:
        named = {str(e.get("trigger")) for e in getattr(s, "events", None) or []}
        data = s.to_json()
        data["spans"] = [sp.model_dump(exclude_none=True) | {"id": i}
                         for i, sp in span_ids(s).items() if i in named]
        data["events"] = [{**e, "args": []} for e in getattr(s, "events", None) or []]
        bare.append(Sentence.model_validate(data))
    filled = args.fill(tagger, list(zip(gold, bare)))
    scores = score_events(list(zip(gold, filled)))
    return {k: scores[k] for k in ("argument", "argument_class") if k in scores}


def dev_report(tagger, args: EventArguments, dev: Optional[Sequence[Sentence]]) -> Optional[dict]:
    return gold_trigger_scores(tagger, args, dev) if dev and has_arguments(dev) else None
