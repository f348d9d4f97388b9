"""TimeML: EVENT spans per sentence, attributes kept, byte-for-byte round trip, rebuilt EVENT
tags, errors with file:line. The samples are written here (TimeBank has no licence)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from xlie.cli import cli
from xlie.corpus import Span
from xlie.errors import InputFormatError, XlieError
from xlie.formats.detect import detect_format, read_any, write_any
from xlie.formats.timeml import read_timeml, write_timeml

# TempEval-3 layout: no <s>, instance attributes on MAKEINSTANCE, an event in a headline
EN = """<?xml version="1.0" ?>
<TimeML>
<DOCID>doc_en1</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="1998-01-08" functionInDocument="CREATION_TIME">19980108</TIMEX3></DCT>
<TITLE>Markets <EVENT eid="e9" class="OCCURRENCE">fall</EVENT></TITLE>
<TEXT>
Stocks <EVENT eid="e1" class="OCCURRENCE">fell</EVENT> by twelve percent on <TIMEX3 tid="t1" type="DATE" value="1998-01-07">Wednesday</TIMEX3>. Traders &amp; experts <EVENT eid="e2" class="REPORTING">said</EVENT> the <EVENT eid="e3" class="STATE">crisis</EVENT> would <EVENT eid="e4" class="ASPECTUAL">continue</EVENT>.

Here's the report.
</TEXT>
<MAKEINSTANCE eventID="e1" eiid="ei1" tense="PAST" aspect="NONE" polarity="POS" pos="VERB"/>
<MAKEINSTANCE eventID="e2" eiid="ei2" tense="PAST" aspect="NONE" polarity="POS" pos="VERB"/>
<TLINK lid="l1" relType="BEFORE" eventInstanceID="ei1" relatedToTime="t0"/>
</TimeML>
"""

# TimeBankPT layout: <s> elements, attributes on EVENT, a trigger ending inside a word
PT = """<?xml version="1.0" encoding="UTF-8" ?>
<TempEval>
doc_pt1
<s>As ações <EVENT eid="e1" class="OCCURRENCE" tense="PPI" polarity="POS">caíram</EVENT> doze por cento.</s>
<s>Os analistas querem <EVENT eid="e5" class="OCCURRENCE" stem="antecipar" tense="INF">antecipá</EVENT>-la.</s>
<s></s>
<s>Nada mais.</s>
<TLINK lid="l1" relType="BEFORE" eventID="e1" relatedToTime="t0" task="A"/>
</TempEval>
"""


@pytest.fixture
def docs(tmp_path):
    en, pt = tmp_path / "doc_en1.tml", tmp_path / "doc_pt1.tml"
    en.write_text(EN, encoding="utf-8")
    pt.write_bytes(PT.replace("\n", "\r\n").encode("utf-8"))   # CRLF must survive too
    return en, pt


def triggers(s) -> list[tuple[str, str, str]]:
    return [(" ".join(s.tokens[x.start:x.end]), x.label, x.id) for x in s.spans]


def test_sentences_of_text_split_and_events_with_attributes(docs):
    en, _ = docs
    assert detect_format(en) == "timeml"
    sents = list(read_any(en, lang="en"))
    assert [s.doc for s in sents] == ["doc_en1"] * 4
    assert len({s.id for s in sents}) == 4
    # the headline's event is not lost; TEXT is cut into its three sentences
    assert triggers(sents[0]) == [("fall", "OCCURRENCE", "e9")]
    assert sents[1].tokens[-1] == "." and triggers(sents[1]) == [("fell", "OCCURRENCE", "e1")]
    assert "&" in sents[2].tokens and sents[2].text.startswith("Traders & experts")
    assert triggers(sents[2]) == [("said", "REPORTING", "e2"), ("crisis", "STATE", "e3"),
                                  ("continue", "ASPECTUAL", "e4")]
    assert triggers(sents[3]) == [] and sents[3].tokens == ["Here", "'s", "the", "report", "."]
    ev = sents[1].events[0]
    assert ev["trigger"] == "e1" and ev["label"] == "OCCURRENCE" and ev["args"] == []
    assert ev["instances"] == [{"eiid": "ei1", "tense": "PAST", "aspect": "NONE",
                                "polarity": "POS", "pos": "VERB"}]


def test_s_elements_and_a_trigger_ending_inside_a_word(docs):
    _, pt = docs
    sents = list(read_timeml(pt, lang="pt"))
    assert len(sents) == 3                       # the empty <s> gives no record
    assert sents[0].doc == "doc_pt1"             # no DOCID: the file name
    assert sents[0].events[0]["attrs"] == {"tense": "PPI", "polarity": "POS"}
    s = sents[1]
    assert s.tokens == ["Os", "analistas", "querem", "antecipá", "-la", "."]
    assert triggers(s) == [("antecipá", "OCCURRENCE", "e5")]
    a, b = s.offsets[3]
    assert s.text[a:b] == "antecipá" and s.offsets[4][0] == b   # glued: no space between


def test_round_trip_byte_for_byte_through_jsonl(tmp_path, docs):
    for src in docs:
        mid, out = tmp_path / f"{src.stem}.jsonl", tmp_path / f"out-{src.name}"
        r = CliRunner().invoke(cli, ["convert", str(src), str(mid)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        recs = [json.loads(x) for x in mid.read_text(encoding="utf-8").splitlines()]
        assert all(r["doc"] == src.stem for r in recs)
        r = CliRunner().invoke(cli, ["convert", str(mid), str(out)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        assert out.read_bytes() == src.read_bytes()


def test_changed_spans_are_written_as_event_tags(tmp_path, docs):
    en, pt = docs
    sents = list(read_timeml(pt))
    # drop e1, tag the clitic-bearing verb under a new id and class, add a new event
    sents[0].spans = [Span(start=3, end=4, label="STATE", id="p7")]   # "doze"
    sents[1].spans = [Span(start=3, end=4, label="I_ACTION", id="e5")]
    sents[1].events[0]["attrs"] = {"tense": "INF"}
    out = tmp_path / "pred.tml"
    write_timeml(out, sents, pt)
    text = out.read_bytes().decode("utf-8")
    assert '<EVENT eid="p7" class="STATE">doze</EVENT>' in text
    assert '<EVENT eid="e5" class="I_ACTION" tense="INF">antecipá</EVENT>-la.' in text
    assert "caíram" in text and 'eid="e1"' not in text.split("<TLINK")[0]
    assert "\r\n" in text and "<TLINK" in text               # the rest as it was
    back = list(read_timeml(out))
    assert [s.tokens for s in back] == [s.tokens for s in sents]
    assert triggers(back[0]) == [("doze", "STATE", "p7")]
    assert triggers(back[1]) == [("antecipá", "I_ACTION", "e5")]
    assert triggers(back[2]) == []


def test_records_without_xml_get_a_minimal_document(tmp_path):
    from xlie.corpus import Sentence
    sents = [Sentence(id="a", tokens=["Prices", "rose", "<", "5", "&", "more", "."],
                      spans=[Span(start=1, end=2, label="OCCURRENCE", id="e1")], doc="d1"),
             Sentence(id="b", tokens=["Nothing", "."], doc="d1")]
    out = tmp_path / "new.tml"
    assert write_any(out, sents) == 2
    back = list(read_timeml(out))
    assert [s.tokens for s in back] == [s.tokens for s in sents]
    assert triggers(back[0]) == [("rose", "OCCURRENCE", "e1")] and back[0].doc == "d1"


def test_one_document_per_file(tmp_path, docs):
    sents = list(read_timeml(docs[0])) + list(read_timeml(docs[1]))
    with pytest.raises(XlieError, match="one document"):
        write_timeml(tmp_path / "two.tml", sents)


@pytest.mark.parametrize("bad,line", [
    (EN.replace("</EVENT> by twelve", " by twelve"), 10),      # an EVENT left open: found at </TEXT>
    (EN.replace("Traders &amp;", "Traders &"), 7),              # a stray '&'
])
def test_malformed_xml_names_file_and_line(tmp_path, bad, line):
    p = tmp_path / "bad.tml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(InputFormatError) as e:
        list(read_timeml(p))
    assert e.value.location == f"{p}:{line}"
    r = CliRunner().invoke(cli, ["convert", str(p), str(tmp_path / "o.jsonl")])
    assert r.exit_code == 2 and f"bad.tml:{line}" in r.output


def test_event_without_class_names_its_line(tmp_path):
    p = tmp_path / "noclass.tml"
    p.write_text(EN.replace('eid="e2" class="REPORTING"', 'eid="e2"'), encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"noclass\.tml:7: expected an EVENT with eid"):
        list(read_timeml(p))


def test_a_folder_of_documents_converts_into_one_corpus_in_name_order(tmp_path, docs):
    folder = tmp_path / "docs"
    folder.mkdir()
    for src in docs:
        (folder / src.name).write_bytes(src.read_bytes())
    (folder / "notes.txt").write_text("not a corpus file\n", encoding="utf-8")
    out = tmp_path / "all.jsonl"
    r = CliRunner().invoke(cli, ["convert", str(folder), str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    got = [json.loads(x)["doc"] for x in out.read_text(encoding="utf-8").splitlines()]
    one = [[json.loads(x)["doc"] for x in _converted(tmp_path, src)] for src in sorted(docs)]
    assert got == one[0] + one[1] and one[0] and one[1]    # doc_en1 first, then doc_pt1
    empty = tmp_path / "empty"
    empty.mkdir()
    r = CliRunner().invoke(cli, ["convert", str(empty), str(tmp_path / "e.jsonl")])
    assert r.exit_code != 0 and "no corpus files" in r.output


def _converted(tmp_path, src) -> list[str]:
    out = tmp_path / f"one-{src.stem}.jsonl"
    CliRunner().invoke(cli, ["convert", str(src), str(out)], catch_exceptions=False)
    return out.read_text(encoding="utf-8").splitlines()
