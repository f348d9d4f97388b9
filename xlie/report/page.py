"""The report page: one self-contained HTML file (inline CSS and SVG, no script, nothing
fetched) from a :class:`~xlie.report.collect.RunSummary`. Sentences are drawn with the
existing views (``aligners.show`` and ``projection.show``) inside ``srcdoc`` frames."""
from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any, Optional

from . import plots
from .summary import RunSummary, SentenceCase

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#243b55;color:#fff;padding:1.2em 2em}header h1{margin:0 0 .2em 0}
header p{margin:.2em 0;opacity:.9}nav a{color:#cfe3ff;margin-right:1em;text-decoration:none}
main{padding:0 2em 3em 2em;max-width:1200px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:1.2em 0;
padding:.6em 1.4em 1.2em 1.4em}
h2{border-bottom:2px solid #243b55;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
td,th{border-bottom:1px solid #e6e6e6;padding:.25em .7em;text-align:left;vertical-align:top}
th{background:#f2f4f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure.plot{display:inline-block;margin:.6em 1.2em .6em 0;vertical-align:top;
width:calc(50% - 1.4em);min-width:320px}
figure.plot.wide{width:calc(100% - 1.4em);max-width:980px}
figure.plot svg{width:100%;height:auto}
figcaption{font-size:.82em;color:#555}
pre{background:#f5f5f5;padding:.8em;overflow:auto;font-size:.85em;max-height:30em}
iframe.view{width:100%;border:1px solid #ddd;border-radius:4px;background:#fff}
.case{margin:1em 0 2em 0}.why{color:#a33;font-weight:bold}.muted{color:#777}
.metric{display:inline-block;margin:.3em 1.2em .3em 0;padding:.4em .8em;background:#eef3fa;
border-radius:4px}.metric b{font-size:1.3em;display:block}
mark{padding:.15em .3em;margin:0 .1em;border-radius:.3em}
mark .lab{font-size:.65em;font-weight:bold;margin-left:.3em}.sc{font-size:.6em}
.tokens{line-height:2.2}
"""

SECTIONS = [("results", "Results"), ("training", "Training"), ("labels", "Per label"),
            ("projection", "Projection"), ("alignment", "Links and scores"),
            ("mt", "Translation"), ("sentences", "Sentences"), ("stages", "Stages"),
            ("config", "Config and versions")]


def _e(x: Any) -> str:
    return html.escape(str(x))


def _figure(name: str, svg: Optional[str], caption: str, wide: bool = False) -> str:
    if not svg:
        return ""
    cls = "plot wide" if wide else "plot"
    return (f'<figure class="{cls}" id="plot-{_e(name)}" data-plot="{_e(name)}">{svg}'
            f"<figcaption>{caption}</figcaption></figure>")


def _table(head: list[str], rows: list[list[Any]], num_from: int = 1) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{_e(_fmt(c))}</td>' if k >= num_from else f"<td>{_e(_fmt(c))}</td>"
        for k, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.2f}"
    if v is None:
        return "-"
    return str(v)


def _section(sid: str, title: str, body: str, empty: str) -> str:
    return (f'<section id="{sid}"><h2>{_e(title)}</h2>'
            + (body if body.strip() else f'<p class="muted">{_e(empty)}</p>') + "</section>")


def _results(s: RunSummary) -> str:
    cards = []
    for st in s.stages:
        for k, v in st.metrics.items():
            if isinstance(v, (int, float)) and v is not None:
                cards.append(f'<span class="metric">{_e(k)}<b>{_fmt(v)}</b></span>')
    body = "<div>" + "".join(cards) + "</div>" if cards else ""
    metric = {"pos": "accuracy", "ner": "F1", "dep": "LAS"}.get(s.task or "", "score")
    body += _figure("comparison", plots.bars(
        s.comparison, f"test {metric} (%)", "Each trained model on the test set"),
        "What silver data bought: the tagger trained on the source gold alone against the "
        "one trained with the projected silver data (round 0), and each self-training round "
        "(and its control, where the run trained one).")
    return body


def _training(s: RunSummary) -> str:
    out = []
    for t in s.trainings:
        metric = {"pos": "accuracy", "ner": "F1", "dep": "LAS"}.get(t.task, "score")
        test = f"; test {metric} {100 * t.test_score:.2f}%" if t.test_score is not None else ""
        secs = f"; {t.seconds:.0f} s" if t.seconds else ""
        out.append(_figure(f"curve-{t.name.replace('/', '-')}", plots.training_curve(
            t.name, t.losses, t.dev, t.kept_step, metric),
            f"<b>{_e(t.name)}</b>: {len(t.losses)} steps{secs}{test}. {_e(t.choice)}"))
    return "".join(out)


def _labels(s: RunSummary) -> str:
    out = _figure("label-scores", plots.label_scores(s.label_scores),
                  "F1 per label of each tagger on the test set (POS: per tag over the words "
                  "with a gold tag; NER: per entity type).")
    if s.confusion:
        out += _figure("confusion", plots.confusion(*s.confusion),
                       "Rows: gold tags, columns: the final tagger's; cell: words (row shares "
                       "shaded).", wide=False)
    if s.las_by_relation:
        rows = sorted(s.las_by_relation.items(), key=lambda kv: (-kv[1][1], kv[0]))
        out += _figure("las-by-relation", plots.bars(
            [(f"{r} ({n})", 100 * v) for r, (v, n) in rows], "LAS (%)",
            "LAS by gold relation (test set)"),
            "The final parser's labeled attachment score on the words of each gold relation "
            "(universal part; word count in brackets).")
        out += _table(["relation", "LAS", "words"], [[r, 100 * v, n] for r, (v, n) in rows])
    for model, per in s.label_scores.items():
        rows = [[lab, 100 * v["precision"], 100 * v["recall"], 100 * v["f1"], v.get("support")]
                for lab, v in sorted(per.items())]
        out += f"<h3>{_e(model)}</h3>" + _table(["label", "P", "R", "F1", "gold"], rows)
    return out


def _projection(s: RunSummary) -> str:
    out = _figure("projection-losses", plots.projection_losses(s.loss_reasons, s.loss_by_label),
                  "What projection lost. Spans: dropped by reason (the stage's counts). "
                  "Tags: source words with no link, and target words no tag reached.", wide=True)
    if s.loss_by_label:
        keys = sorted({k for v in s.loss_by_label.values() for k in v})
        out += _table(["label"] + keys, [[lab] + [v.get(k, 0) for k in keys]
                                         for lab, v in s.loss_by_label.items()])
    return out


def _alignment(s: RunSummary) -> str:
    return (_figure("link-confidence", plots.histogram(
                s.link_probs, "Link probability", "probability of a word link", log=True),
                "Every link the aligner kept, by its probability.")
            + _figure("pair-scores", plots.histogram(
                s.pair_scores, "Pair alignment score", "alignment_score of a sentence pair"),
                "The confidence of each sentence pair's alignment.")
            + _figure("span-scores", plots.histogram(
                s.span_scores, "Silver span score", "projection score of a silver span"),
                "The score each projected span carries (what min_silver_score filters on)."))


def _mt(s: RunSummary) -> str:
    if not s.mt:
        return ""
    mt = s.mt
    out = _figure("unknown-words", plots.unknown_words(mt),
                  f"Words the MT system marked as unknown in {mt['sentences']:,} translations: "
                  "mostly names, which stay untranslated.", wide=True)
    return out


def _links_matrix(case: SentenceCase):
    import numpy as np
    n, m = len(case.source.get("tokens") or []), len(case.target_tokens)
    sim = np.zeros((n, m))
    for i, j, p in case.links:
        if i < n and j < m:
            sim[i, j] = p
    return sim


def _tag_spans(rec: dict) -> dict:
    """A record whose tags become one-word spans, so the projection view draws them."""
    if rec.get("spans") or not rec.get("tags"):
        return rec
    spans = [{"start": i, "end": i + 1, "label": t} for i, t in enumerate(rec["tags"])
             if t not in (None, "_")]
    return {**rec, "spans": spans}


def _sentence(rec: Optional[dict]):
    from ..corpus import Sentence
    if rec is None:
        return None
    rec = _tag_spans(rec)
    return Sentence(id=str(rec.get("id", "?")), tokens=list(rec.get("tokens") or []),
                    spans=rec.get("spans") or [])


def _frame(doc: str, height_em: float) -> str:
    return (f'<iframe class="view" style="height:{height_em:.0f}em" '
            f'srcdoc="{html.escape(doc, quote=True)}"></iframe>')


def _sentences(s: RunSummary) -> str:
    from ..aligners.show import render_html
    from ..projection.show import render_page, render_tokens
    out = []
    if s.worst_test:
        out.append("<h3>Test sentences the final tagger got most wrong</h3>")
    for c in s.worst_test:
        gold, pred = _sentence(c.source), _sentence(c.target)
        out.append(f'<div class="case"><p><b>{_e(c.id)}</b> <span class="why">{_e(c.why)}'
                   f'</span></p><table><tr><td>gold</td><td class="tokens">'
                   f"{render_tokens(gold.tokens, gold.spans)}</td></tr><tr><td>predicted</td>"
                   f'<td class="tokens">{render_tokens(pred.tokens, pred.spans)}</td></tr>'
                   "</table></div>")
    if s.worst_aligned:
        out.append("<h3>The pairs the aligner was least sure of</h3>")
    for c in s.worst_aligned:
        src = c.source.get("tokens") or []
        align = render_html(src, c.target_tokens, _links_matrix(c), c.links, title=c.id,
                            legend="shade: link probability")
        proj = render_page([(_sentence(c.source), _sentence(c.target), _sentence(c.gold))],
                           f"projection of {c.id}")
        rows = max(len(src), 1)
        tall = max(map(len, c.target_tokens), default=4)
        chars = max(sum(len(t) + 3 for t in src), sum(len(t) + 3 for t in c.target_tokens))
        lines = -(-chars // 40) * (2 if c.gold else 1)
        out.append(f'<div class="case"><p><b>{_e(c.id)}</b> <span class="why">{_e(c.why)}'
                   f"</span></p>"
                   + _frame(align, 12 + 1.9 * rows + 0.6 * tall + 1.4 * len(c.links))
                   + _frame(proj, 11 + 2.6 * lines) + "</div>")
    return "".join(out)


def _stages(s: RunSummary) -> str:
    rows = []
    for st in s.stages:
        counts = ", ".join(f"{k} {v}" for k, v in st.counts.items() if not k.startswith("label:"))
        rows.append([st.folder, "done" if st.done else "not done", st.seconds, st.cpu_seconds,
                     st.finished, counts])
    timed = [(st.folder, st.seconds) for st in s.stages if st.seconds is not None]
    return (_table(["stage", "state", "seconds", "CPU seconds", "finished", "counts"], rows,
                   num_from=2)
            + _figure("stage-times", plots.stage_times(timed), "Wall-clock time of each stage."))


def _config(s: RunSummary) -> str:
    vers = _table(["package", "version"], [[k, v] for k, v in s.versions.items()], num_from=2)
    cfg = f"<h3>config.yaml</h3><pre>{_e(s.config_text)}</pre>" if s.config_text else ""
    return vers + cfg


def render(s: RunSummary) -> str:
    """The whole page as one string."""
    parts = {"results": (_results(s), "No stage reported a score."),
             "training": (_training(s), "No model was trained in this run."),
             "labels": (_labels(s), "No per-label scores: the run has no test set "
                                    "(eval.test) or no tagger."),
             "projection": (_projection(s), "The run has no projection stage."),
             "alignment": (_alignment(s), "The run has no alignment stage."),
             "mt": (_mt(s), "No unknown-word marks recorded (the MT system gives none, or "
                            "the run did not translate)."),
             "sentences": (_sentences(s), "No sentence to draw."),
             "stages": (_stages(s), ""), "config": (_config(s), "")}
    nav = "".join(f'<a href="#{sid}">{_e(t)}</a>' for sid, t in SECTIONS)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    notes = "".join(f"<p>{_e(n)}</p>" for n in s.notes)
    sections = "".join(_section(sid, title, *parts[sid]) for sid, title in SECTIONS)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>xlie run report: {_e(s.run_dir)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>xlie run report</h1><p>{_e(s.run_dir)} &middot; written {when}"
            f"</p>{notes}<nav>{nav}</nav></header><main>{sections}</main></body></html>\n")
