"""Is the tagger learning? A tagger that gives (almost) every word one label, usually ``O``,
scores 0 F1 while its loss still looks fine; say so loudly, with the likely cause and the
setting to change, instead of saving it silently."""
from __future__ import annotations

from collections import Counter
from typing import Optional, Sequence

TOP_SHARE = 0.98     # one label on at least this share of the words ...
OTHER_RATIO = 0.2    # ... and the other labels under a fifth as often as in the gold


def label_shares(gold: Sequence[Sequence[Optional[str]]],
                 pred: Sequence[Sequence[str]]) -> dict:
    """The most predicted label, its share of the predicted words and of the gold words
    (words without a gold label are left out of both, and so are a parser's root words:
    their ``root`` label comes with the tree, not from the relation classifier)."""
    pairs = [(g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps)
             if g not in (None, "", "_") and "root" not in (g, p)]
    if not pairs:
        return {}
    pc = Counter(p for _, p in pairs)
    gc = Counter(g for g, _ in pairs)
    label, n = pc.most_common(1)[0]
    return {"label": label, "predicted_share": round(n / len(pairs), 4),
            "gold_share": round(gc[label] / len(pairs), 4), "words": len(pairs),
            "labels_predicted": len(pc)}


def collapsed(shares: dict) -> bool:
    """True when the tagger (almost) always predicts one label while the gold does not."""
    if not shares:
        return False
    top, gold = shares["predicted_share"], shares["gold_share"]
    return top >= TOP_SHARE and (1 - top) < OTHER_RATIO * (1 - gold)


def collapse_report(shares: dict, on: str, losses: Sequence[float], config,
                    train_share: Optional[float] = None) -> dict:
    """What ``metrics.json`` says about collapse; with ``warning`` when it happened.
    ``train_share``: the share of the training words labeled with the collapsed label."""
    report = {"collapsed": collapsed(shares), "on": on, **shares}
    if not report["collapsed"]:
        return report
    label = shares["label"]
    k = max(1, len(losses) // 10)
    first = sum(losses[:k]) / k if losses else float("nan")
    last = sum(losses[-k:]) / k if losses else float("nan")
    falling = bool(losses) and last < 0.9 * first
    if train_share is not None and train_share >= TOP_SHARE:
        cause = (f"the training data labels {train_share:.1%} of its words {label!r}: "
                 f"there is (almost) nothing else to learn")
        fix = ("check the training labels: do the silver sentences carry projected spans, "
               "does train.min_silver_score mask them, does train.labels match the data")
    elif falling:
        cause = f"too few updates: the loss went {first:.2f} -> {last:.2f} and was still falling"
        fix = (f"raise train.max_steps (now {config.max_steps}) or train.head_lr (now "
               f"{config.head_lr})")
    else:
        cause = (f"the loss stalled ({first:.2f} -> {last:.2f}): the learning rates do not "
                 f"fit this model and data")
        fix = f"change train.head_lr (now {config.head_lr}) and train.lr (now {config.lr})"
    report.update(cause=cause, fix=fix, warning=(
        f"COLLAPSED TAGGER: it labels {shares['predicted_share']:.1%} of the {on} words "
        f"{label!r} (the gold: {shares['gold_share']:.1%}), so it finds next to nothing. "
        f"Likely cause: {cause}. Setting to change: {fix}."))
    return report
