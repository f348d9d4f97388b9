"""``xlie project show``: one self-contained HTML page (displaCy style) with each source
sentence and its projection side by side; source spans that were dropped are struck through,
projected ones carry their score, and a gold target row can be added for comparison."""
from __future__ import annotations

import html
import zlib
from pathlib import Path
from typing import Iterable

from ..corpus import Sentence, Span
from ..fileio import atomic_write

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;line-height:2.4}
table{border-collapse:collapse;width:100%}td{vertical-align:top;padding:.4em .8em;
border-bottom:1px solid #ddd;width:50%}th{text-align:left;color:#555}
mark{padding:.2em .35em;margin:0 .15em;border-radius:.35em;line-height:1}
mark.dropped{text-decoration:line-through;opacity:.55;border:1px dashed #900}
.lab{font-size:.65em;font-weight:bold;margin-left:.4em;text-transform:uppercase}
.sc{font-size:.6em;color:#333;margin-left:.3em}.id{color:#888;font-size:.8em}
.gold{color:#555;font-size:.9em}"""


def _colour(label: str) -> str:
    hue = zlib.crc32(label.encode("utf-8")) % 360
    return f"hsl({hue},70%,82%)"


def render_tokens(tokens: list[str], spans: Iterable[Span], dropped: set[str] = frozenset()) -> str:
    """Tokens with spans as ``<mark>``s; nested or overlapping spans show the outer one."""
    spans = sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))
    out, i = [], 0
    for s in spans:
        if s.start < i:
            continue
        out += [html.escape(t) for t in tokens[i:s.start]]
        text = html.escape(" ".join(tokens[s.start:s.end]))
        cls = ' class="dropped"' if s.id in dropped else ""
        score = f'<span class="sc">{s.score:.2f}</span>' if s.score is not None else ""
        title = html.escape(f"{s.label} {s.id or ''}".strip())
        out.append(f'<mark{cls} style="background:{_colour(s.label)}" title="{title}">{text}'
                   f'<span class="lab">{html.escape(s.label)}</span>{score}</mark>')
        i = s.end
    out += [html.escape(t) for t in tokens[i:]]
    return " ".join(out)


def render_page(pairs: list[tuple[Sentence, Sentence | None, Sentence | None]], title: str) -> str:
    rows = []
    for src, proj, gold in pairs:
        kept = {s.id for s in proj.spans} if proj else set()
        dropped = {s.id for s in src.spans if s.id not in kept}
        right = render_tokens(proj.tokens, proj.spans) if proj else "<em>not projected</em>"
        if gold is not None:
            right += f'<div class="gold">gold: {render_tokens(gold.tokens, gold.spans)}</div>'
        rows.append(f'<tr><td><span class="id">{html.escape(src.id)}</span> '
                    f'{render_tokens(src.tokens, src.spans, dropped)}</td><td>{right}</td></tr>')
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body><h2>{html.escape(title)}</h2>"
            "<table><tr><th>source</th><th>projected</th></tr>" + "\n".join(rows)
            + "</table></body></html>\n")


def show(source: str | Path | list[Sentence], projected: str | Path | list[Sentence],
         output: str | Path, gold: str | Path | list[Sentence] | None = None,
         limit: int | None = 200, only_dropped: bool = False) -> int:
    """Write the HTML page; returns how many sentences it shows."""
    from ..formats.detect import read_any
    from .sentence import with_span_ids

    def load(x):
        return list(read_any(x)) if isinstance(x, (str, Path)) else list(x)

    src = [s.model_copy(update={"spans": with_span_ids(s)}) for s in load(source)]
    proj = {s.id: s for s in load(projected)}
    gold_by_id = {s.id: s for s in load(gold)} if gold is not None else {}
    pairs = []
    for s in src:
        p = proj.get(s.id)
        if only_dropped and p is not None and len(p.spans) == len(s.spans):
            continue
        pairs.append((s, p, gold_by_id.get(s.id)))
        if limit and len(pairs) >= limit:
            break
    inputs = [x for x in (source, projected, gold) if isinstance(x, (str, Path))]
    with atomic_write(output, *inputs) as f:
        f.write(render_page(pairs, f"xlie projection: {len(pairs)} sentences"))
    return len(pairs)
