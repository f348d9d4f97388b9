"""The report's plots: matplotlib figures written as SVG text, ready to inline in HTML.

Each function takes plain data and returns one ``<svg>`` element (no XML header, no DTD,
no namespace URL: nothing on the page points outside it), or ``None`` when there is
nothing to draw."""
from __future__ import annotations

import io
import re
from typing import Optional, Sequence

from ..errors import XlieError

BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"
_NS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


def _plt():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise XlieError("the run report needs matplotlib", "pip install matplotlib") from e
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "xlie", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def to_svg(fig) -> str:
    """The figure as an inline ``<svg>`` element; the figure is closed."""
    plt = _plt()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight",
                metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    head_end = text.index(">")
    # inline SVG in HTML needs no namespace declaration; keep the page free of any URL
    return _NS.sub("", text[:head_end]) + text[head_end:]


def training_curve(name: str, losses: Sequence[float], dev: Sequence[tuple[int, float]],
                   kept_step: Optional[int], metric: str) -> Optional[str]:
    """Loss against steps; the dev score (percent) on a second axis; the step kept."""
    if not losses:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    steps = range(1, len(losses) + 1)
    ax.plot(steps, losses, color=BLUE, lw=1, label="training loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss", color=BLUE)
    handles = ax.get_lines()[:]
    if dev:
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        xs, ys = zip(*dev)
        ax2.plot(xs, [100 * y for y in ys], "o-", color=ORANGE, ms=4, label=f"dev {metric}")
        ax2.set_ylabel(f"dev {metric} (%)", color=ORANGE)
        handles += ax2.get_lines()[:]
    if kept_step:
        handles.append(ax.axvline(kept_step, color=GREEN, ls="--", lw=1,
                                  label=f"model kept (step {kept_step})"))
    ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    ax.set_title(name)
    return to_svg(fig)


def bars(rows: Sequence[tuple[str, float]], xlabel: str, title: str,
         highlight: Optional[str] = None) -> Optional[str]:
    """Horizontal bars with their values written at the end."""
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(rows) + 1.0))
    names = [r[0] for r in rows][::-1]
    vals = [r[1] for r in rows][::-1]
    colours = [ORANGE if n == highlight else BLUE for n in names]
    ax.barh(names, vals, color=colours)
    for y, v in enumerate(vals):
        ax.text(v, y, f" {v:.1f}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.set_xlim(0, max(vals + [1.0]) * 1.15)
    return to_svg(fig)


def label_scores(scores: dict[str, dict[str, dict[str, float]]], metric: str = "f1"
                 ) -> Optional[str]:
    """Per-label F1 (percent), one bar per model and label; labels by support."""
    if not scores:
        return None
    plt = _plt()
    support: dict[str, float] = {}
    for per in scores.values():
        for lab, s in per.items():
            support[lab] = max(support.get(lab, 0), s.get("support", 0))
    labels = sorted(support, key=lambda x: (-support[x], x))
    models = list(scores)
    h = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(labels) * max(1, len(models)) + 1.2))
    for k, model in enumerate(models):
        ys = [i + (k - (len(models) - 1) / 2) * h for i in range(len(labels))]
        vals = [100 * scores[model].get(lab, {}).get(metric, 0.0) for lab in labels]
        ax.barh(ys, vals, height=h, label=model, color=[BLUE, GREY, ORANGE, GREEN][k % 4])
    ax.set_yticks(range(len(labels)),
                  [f"{lab} ({int(support[lab])})" for lab in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"{metric.upper()} on the test set (%)  —  label (gold count)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title("Per-label scores")
    return to_svg(fig)


def confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> Optional[str]:
    """Row-normalised confusion matrix (gold rows, predicted columns) with counts."""
    if not labels:
        return None
    plt = _plt()
    import numpy as np
    m = np.asarray(matrix, dtype=float)
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    size = 0.38 * len(labels) + 1.6
    fig, ax = plt.subplots(figsize=(size + 0.8, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=6,
                        color="white" if norm[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=90)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the gold row")
    ax.set_title("Confusion matrix of the final tagger (test set)")
    return to_svg(fig)


def projection_losses(reasons: dict[str, int], by_label: dict[str, dict[str, int]]
                      ) -> Optional[str]:
    """Dropped by reason (left) and, per label, what came in and what was lost (right)."""
    if not reasons and not by_label:
        return None
    plt = _plt()
    n = max(len(reasons), len(by_label), 1)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 0.4 * n + 1.6),
                                 gridspec_kw={"width_ratios": [1, 1.4]})
    if reasons:   # bars as thick as the labels' on the right, from the top
        names = sorted(reasons, key=lambda k: -reasons[k])
        a1.barh(range(len(names)), [reasons[k] for k in names], color=RED, height=0.8)
        a1.set_yticks(range(len(names)), names)
        a1.set_ylim(n - 0.5, -0.5)
        a1.set_xlim(0, max(reasons.values()) * 1.2 or 1)
        for y, k in enumerate(names):
            a1.text(reasons[k], y, f" {reasons[k]}", va="center", fontsize=8)
    a1.set_title("Lost, by reason")
    a1.set_xlabel("count")
    if by_label:
        labels = sorted(by_label, key=lambda k: -by_label[k].get("in", 0))
        what = sorted({k for v in by_label.values() for k in v if k.startswith("dropped:")})
        kept = [by_label[lab].get("in", 0) - sum(by_label[lab].get(w, 0) for w in what)
                for lab in labels]
        a2.barh(labels, kept, color=BLUE, label="kept (source units in, minus lost)")
        left = kept[:]
        palette = [RED, ORANGE, GREY, GREEN]
        for k, w in enumerate(what):
            vals = [by_label[lab].get(w, 0) for lab in labels]
            a2.barh(labels, vals, left=left, color=palette[k % len(palette)],
                    label=f"lost: {w.split(':', 1)[1]}")
            left = [a + b for a, b in zip(left, vals)]
        a2.invert_yaxis()
        a2.legend(fontsize=7, frameon=False, loc="lower right")
    a2.set_title("By label")
    a2.set_xlabel("source units (spans, or words for tags)")
    fig.tight_layout()
    return to_svg(fig)


def histogram(values: Sequence[float], title: str, xlabel: str, bins: int = 40,
              rng: tuple[float, float] = (0.0, 1.0), log: bool = False) -> Optional[str]:
    """A distribution of scores in [0, 1], with its median marked (``log``: counts on a
    log scale, for a distribution piled up at one end)."""
    if not values:
        return None
    plt = _plt()
    import numpy as np
    fig, ax = plt.subplots(figsize=(4.4, 2.6))
    ax.hist(values, bins=bins, range=rng, color=BLUE, log=log)
    med = float(np.median(values))
    ax.axvline(med, color=ORANGE, ls="--", lw=1, label=f"median {med:.2f}")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_title(f"{title} (n={len(values):,})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    return to_svg(fig)


def stage_times(rows: Sequence[tuple[str, float]]) -> Optional[str]:
    """Wall-clock seconds per stage."""
    return bars(rows, "seconds (wall clock)", "Time per stage") if rows else None


def unknown_words(mt: dict) -> Optional[str]:
    """Unknown-word rate by Apertium mark (left) and the most frequent unknown words (right)."""
    if not mt or not mt.get("tokens"):
        return None
    plt = _plt()
    meaning = {"*": "* not in the analyser", "@": "@ not in the bilingual dictionary",
               "#": "# not generated"}
    top = mt.get("top") or []
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 0.28 * max(len(top), 4) + 1.4))
    marks = sorted(mt["by_mark"], key=lambda m: -mt["by_mark"][m])
    rates = [100 * mt["by_mark"][m] / mt["tokens"] for m in marks]
    a1.barh(range(len(marks)), rates, color=RED, height=0.8)
    a1.set_yticks(range(len(marks)), [meaning.get(m, m) for m in marks])
    a1.set_ylim(max(len(top), 4) - 0.5, -0.5)
    a1.set_xlim(0, max(rates + [0.1]) * 1.25)
    for y, r in enumerate(rates):
        a1.text(r, y, f" {r:.2f}%", va="center", fontsize=8)
    a1.set_xlabel("share of the target words (%)")
    a1.set_title(f"Unknown words: {100 * mt['unknown'] / mt['tokens']:.2f}% of "
                 f"{mt['tokens']:,} words")
    if top:
        a2.barh([w for w, _ in top], [n for _, n in top], color=GREY)
        a2.invert_yaxis()
        a2.set_title("Most frequent unknown words")
        a2.set_xlabel("count")
    else:
        a2.axis("off")
    fig.tight_layout()
    return to_svg(fig)
