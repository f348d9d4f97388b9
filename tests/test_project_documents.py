"""Projection of whole documents onto translations whose sentences do not pair one to one,
and event trigger scores."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from xlie.cli import cli
from xlie.corpus import Sentence, Span
from xlie.formats.timeml import read_timeml
from xlie.projection.api import make_options
from xlie.projection.documents import align_documents, pair_documents, project_documents
from xlie.scoring import evaluate, main_score
from xlie.scoring_events import score_events, trigger_scores


class ShiftAligner:
    """Links source word i to target word i + shift (what the target's extra words cost)."""

    def __init__(self, shift: int = 0):
        self.shift = shift

    def align(self, pairs):
        from xlie.aligners.core import PairAlignment
        return [PairAlignment([(i, i + self.shift, 0.9) for i in range(len(s))
                               if 0 <= i + self.shift < len(t)], 0.9) for s, t in pairs]


def sent(sid, doc, words, spans=(), events=None, **kw) -> Sentence:
    s = Sentence(id=sid, tokens=words.split(), doc=doc,
                 spans=[Span(start=a, end=b, label=lab, id=i) for a, b, lab, i in spans], **kw)
    if events is not None:
        s.events = events
    return s


def source_doc():
    return [sent("en-1", "d1", "Stocks fell sharply . Traders said so .",
                 [(1, 2, "OCCURRENCE", "e1"), (5, 6, "REPORTING", "e2")],
                 [{"label": "OCCURRENCE", "trigger": "e1", "args": [],
                   "instances": [{"tense": "PAST"}]},
                  {"label": "REPORTING", "trigger": "e2", "args": []}]),
            sent("en-2", "d1", "The sell off went on .", [(1, 3, "OCCURRENCE", "e3")],
                 [{"label": "OCCURRENCE", "trigger": "e3", "args": []}])]


def target_doc():
    # other sentence cuts ("sell off" now crosses one); the first sentence has gold of its
    # own, which must not leak into the output
    return [sent("pt-1", "d1", "Stocks fell sharply .", [(0, 1, "STATE", "g1")], [],
                 text="Stocks fell sharply .", xml="kept"),
            sent("pt-2", "d1", "Traders said so . The sell"),
            sent("pt-3", "d1", "off went on .")]


def test_spans_are_cut_back_into_the_target_sentences():
    pairs, missing = pair_documents(source_doc(), target_doc() + [sent("x", "d9", "a")])
    assert [p.doc for p in pairs] == ["d1"] and missing["target_only"] == 1
    links = align_documents(pairs, ShiftAligner())
    assert len(links[0]) == 14            # one long pair: every word of the document
    res = project_documents(pairs, links, make_options(string_match=False), lang="pt")
    out = res.sentences
    assert [s.id for s in out] == ["pt-1", "pt-2", "pt-3"]
    assert [s.lang for s in out] == ["pt"] * 3
    got = [[(s.tokens[x.start:x.end], x.label, x.id) for x in s.spans] for s in out]
    assert got == [[(["fell"], "OCCURRENCE", "e1")], [(["said"], "REPORTING", "e2")], []]
    assert out[0].events == [{"label": "OCCURRENCE", "trigger": "e1", "args": [],
                              "instances": [{"tense": "PAST"}]}]
    assert out[0].xml == "kept" and out[0].text == "Stocks fell sharply ."   # its own surface
    assert out[2].events == []                                   # "sell off" crossed a cut
    d = res.report.to_dict()["documents"]
    assert d["spans_lost_at_cuts"] == 1 and d["events_lost_at_cuts"] == 1
    assert d["documents"] == 1 and d["source_sentences"] == 2 and d["target_sentences"] == 3
    assert "lost at target sentence cuts: 1 spans, 1 events" in res.report.summary()


def test_same_ids_in_two_sentences_stay_apart():
    src = [sent("a", "d", "x fell .", [(1, 2, "OCCURRENCE", "e1")],
                [{"label": "OCCURRENCE", "trigger": "e1", "args": []}]),
           sent("b", "d", "y rose .", [(1, 2, "STATE", "e1")],
                [{"label": "STATE", "trigger": "e1", "args": []}])]
    tgt = [sent("t", "d", "x fell . y rose .")]
    pairs, _ = pair_documents(src, tgt)
    res = project_documents(pairs, align_documents(pairs, ShiftAligner()), make_options())
    (out,) = res.sentences
    assert sorted((x.start, x.label) for x in out.spans) == [(1, "OCCURRENCE"), (4, "STATE")]
    assert len({x.id for x in out.spans}) == 2
    assert {e["trigger"] for e in out.events} == {x.id for x in out.spans}


def test_trigger_scores_strict_span_and_class():
    gold = {(0, 1, 2, "OCCURRENCE"), (0, 4, 5, "STATE"), (1, 0, 1, "REPORTING")}
    pred = {(0, 1, 2, "OCCURRENCE"), (0, 4, 5, "OCCURRENCE"), (1, 0, 2, "REPORTING")}
    s = trigger_scores(gold, pred)
    assert s["trigger"]["f1"] == pytest.approx(2 / 3)            # two of three spans match
    assert s["trigger_class"]["f1"] == pytest.approx(1 / 3)      # one also has its class
    assert s["per_class"]["STATE"]["recall"] == 0.0
    assert s["per_class"]["OCCURRENCE"]["precision"] == 0.5


def test_only_event_triggers_are_scored_where_events_are_listed():
    g = sent("s", "d", "Bush visited Paris", [(0, 1, "PER", "a1"), (1, 2, "Movement", "t1")],
             [{"label": "Movement", "trigger": "t1", "args": [{"role": "Agent", "span": "a1"}]}])
    p = sent("s", "d", "Bush visited Paris", [(1, 2, "Movement", "x")])   # a tagger: no list
    s = score_events([(g, p)])
    assert s["trigger_class"]["f1"] == 1.0 and s["trigger_class"]["support"] == 1


TML_EN = """<?xml version="1.0" ?>
<TimeML>
<DOCID>d1</DOCID>
<TEXT>
Stocks <EVENT eid="e1" class="OCCURRENCE">fell</EVENT> by twelve percent in Tokyo on Monday after the central bank <EVENT eid="e2" class="REPORTING">said</EVENT> that rates would <EVENT eid="e3" class="OCCURRENCE">rise</EVENT> again. Traders <EVENT eid="e4" class="I_STATE">feared</EVENT> more losses in the coming weeks and months, analysts <EVENT eid="e5" class="REPORTING">reported</EVENT> on Tuesday. Nothing else happened in the markets of the region that week.
</TEXT>
</TimeML>
"""


def test_cli_by_document_then_eval(tmp_path, tiny_xlmr):
    src, tgt = tmp_path / "en" / "d1.tml", tmp_path / "pt" / "d1.tml"
    src.parent.mkdir(); tgt.parent.mkdir()
    src.write_text(TML_EN, encoding="utf-8")
    # the same words, other sentence cuts: two <s> where the source has three sentences
    body = TML_EN.split("<TEXT>\n")[1].split("\n</TEXT>")[0]
    first, rest = body.split(" Traders ")
    tgt.write_text(f'<?xml version="1.0" ?>\n<TempEval>\n<s>{first} Traders {rest.split(" Nothing")[0]}'
                   f'</s>\n<s>Nothing{rest.split(" Nothing")[1]}</s>\n</TempEval>\n', encoding="utf-8")
    out = tmp_path / "silver.jsonl"
    r = CliRunner().invoke(cli, ["project", "--by-document", str(tmp_path / "en"), str(out),
                                 "--target", str(tmp_path / "pt"), "--model", str(tiny_xlmr),
                                 "--align-set", "layer=2", "--align-set", "extraction=argmax",
                                 "--lang", "pt"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "documents: 1 projected whole (3 source, 2 target sentences)" in r.output
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    gold = list(read_timeml(tgt))
    assert [x["id"] for x in recs] == [g.id for g in gold]
    assert [x["tokens"] for x in recs] == [g.tokens for g in gold]
    report = json.loads((tmp_path / "silver.jsonl.report.json").read_text())
    assert report["documents"]["documents"] == 1 and report["spans"]["in"] == 5
    # identical words on both sides: an argmax aligner finds most triggers again
    scores = evaluate(tgt, out)
    assert "ner" not in scores and main_score("event", scores["event"]) >= 0.6
    r = CliRunner().invoke(cli, ["project", "eval", str(tgt), str(out), "--task", "event"])
    assert r.exit_code == 0 and "trig+class" in r.output
    # a folder as OUTPUT: one TimeML file per document, the projected events as EVENT tags
    r = CliRunner().invoke(cli, ["project", "--by-document", str(src), str(tmp_path / "tml") + "/",
                                 "--target", str(tgt), "--model", str(tiny_xlmr),
                                 "--align-set", "layer=2", "--align-set", "extraction=argmax"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    back = list(read_timeml(tmp_path / "tml" / "d1.tml"))
    assert [s.tokens for s in back] == [g.tokens for g in gold]
    assert sum(len(s.spans) for s in back) == sum(len(x["spans"]) for x in recs)


def test_cli_by_document_needs_a_target(tmp_path):
    p = tmp_path / "d.tml"
    p.write_text(TML_EN, encoding="utf-8")
    r = CliRunner().invoke(cli, ["project", "--by-document", str(p), str(tmp_path / "o.jsonl")])
    assert r.exit_code == 2 and "--target" in r.output


def test_pipeline_documents_then_project(tmp_path, tiny_xlmr):
    import yaml

    from xlie.pipeline import run_pipeline
    from xlie.pipeline.config import load_config
    en, pt = tmp_path / "d1.tml", tmp_path / "pt" / "d1.tml"
    pt.parent.mkdir()
    en.write_text(TML_EN, encoding="utf-8")
    body = TML_EN.split("<TEXT>\n")[1].split("\n</TEXT>")[0]
    pt.write_text(f'<?xml version="1.0" ?>\n<TempEval>\n<s>{body}</s>\n</TempEval>\n',
                  encoding="utf-8")
    r = CliRunner().invoke(cli, ["convert", str(en), str(tmp_path / "en.jsonl")])
    assert r.exit_code == 0, r.output
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({
        "run_dir": str(tmp_path / "run"),
        "input": {"corpus": str(tmp_path / "en.jsonl"), "src_lang": "en", "tgt_lang": "pt"},
        "documents": {"target": str(pt.parent), "model": str(tiny_xlmr), "layer": 2,
                      "extraction": "argmax"},
        "project": {}}))
    run_pipeline(load_config(cfg))
    (silver,) = (tmp_path / "run").glob("*-project/silver.jsonl")
    recs = [json.loads(x) for x in silver.read_text(encoding="utf-8").splitlines()]
    gold = list(read_timeml(pt))
    assert [x["id"] for x in recs] == [g.id for g in gold] and recs[0]["lang"] == "pt"
    assert [x["tokens"] for x in recs] == [g.tokens for g in gold]
    manifest = json.loads((silver.parent / "manifest.json").read_text())
    assert manifest["counts"]["documents:documents"] == 1
    assert manifest["counts"]["spans_in"] == 5
    assert all({e["trigger"] for e in x.get("events", [])} == {s["id"] for s in x["spans"]}
               for x in recs)
