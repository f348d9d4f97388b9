"""Pictures of one pair's alignment: an HTML heat map of word similarity with the links
marked (self-contained, no scripts), and the same as a PNG through matplotlib."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import numpy as np

from ..fileio import atomic_write


def word_similarity(aligner, src: Sequence[str], tgt: Sequence[str]) -> np.ndarray:
    """Cosine similarity of the words' mean subword vectors at the aligner's layer: (n, m)."""
    from .core import word_cosine
    xs, ys = aligner.encode([list(src), list(tgt)])
    return word_cosine(xs, ys).numpy()


def _cell_colour(v: float) -> str:
    level = int(255 - 200 * max(0.0, min(1.0, v)))
    return f"rgb({level},{level},255)"


def render_html(src: Sequence[str], tgt: Sequence[str], sim: np.ndarray,
                links: Sequence[tuple[int, int, float]], title: str = "",
                legend: str = "shade: cosine similarity") -> str:
    linked = {(i, j): p for i, j, p in links}
    lo, hi = float(sim.min()), float(sim.max())
    scale = (sim - lo) / (hi - lo) if hi > lo else np.zeros_like(sim)
    head = "".join(f'<th class="t"><div>{html.escape(w)}</div></th>' for w in tgt)
    rows = []
    for i, w in enumerate(src):
        cells = []
        for j in range(len(tgt)):
            mark = "●" if (i, j) in linked else ""
            tip = f"{w} ~ {tgt[j]}: cos {sim[i, j]:.2f}"
            if (i, j) in linked:
                tip += f", link p={linked[i, j]:.2f}"
            cells.append(f'<td style="background:{_cell_colour(scale[i, j])}" '
                         f'title="{html.escape(tip)}">{mark}</td>')
        rows.append(f'<tr><th class="s">{html.escape(w)}</th>{"".join(cells)}</tr>')
    pairs = "".join(f"<li>{html.escape(src[i])} — {html.escape(tgt[j])} ({p:.2f})</li>"
                    for i, j, p in sorted(links))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>xlie alignment {html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; }} table {{ border-collapse: collapse; }}
td {{ width: 1.6em; height: 1.6em; text-align: center; border: 1px solid #eee; }}
th.s {{ text-align: right; padding-right: .5em; font-weight: normal; }}
th.t {{ height: 7em; vertical-align: bottom; font-weight: normal; }}
th.t div {{ writing-mode: vertical-rl; transform: rotate(180deg); }}
</style></head><body>
<h2>{html.escape(title)}</h2>
<p>Rows: source words; columns: target words; {html.escape(legend)}; ● a link.</p>
<table><tr><th></th>{head}</tr>{"".join(rows)}</table>
<h3>Links</h3><ul>{pairs}</ul>
</body></html>
"""


def write_html(path: str | Path, *args, **kwargs) -> None:
    with atomic_write(path) as f:
        f.write(render_html(*args, **kwargs))


def write_png(path: str | Path, src, tgt, sim: np.ndarray, links) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        from ..errors import XlieError
        raise XlieError("writing a PNG needs matplotlib", "pip install matplotlib") from e
    fig, ax = plt.subplots(figsize=(0.4 * len(tgt) + 2, 0.4 * len(src) + 2))
    ax.imshow(sim, cmap="Blues")
    for i, j, _ in links:
        ax.plot(j, i, "o", color="crimson", markersize=5)
    ax.set_xticks(range(len(tgt)), tgt, rotation=90)
    ax.set_yticks(range(len(src)), src)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
