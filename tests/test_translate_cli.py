"""`xlie translate` from the command line, bad input, long input and markers end to end
(markers and long input with an echo backend standing in for MT, so the text is known)."""
import json

import pytest
from click.testing import CliRunner
from translate_helpers import EchoBackend, one_thread, tiny_marian, write_corpus  # noqa: F401

from xlie.cli import cli
from xlie.errors import InputFormatError, XlieError
from xlie.translation import translate

pytestmark = pytest.mark.usefixtures("one_thread")


def read(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_cli_translates_plain_text_one_record_per_line(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Hello world .\n\nThe cat sat on the mat .\n")
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(cli, ["translate", str(src), str(out), "-m", str(tiny_marian()),
                                   "-s", "en", "-t", "de", "--beam", "1", "--max-new-tokens", "6",
                                   "--cache", str(tmp_path / "c.sqlite")])
    assert res.exit_code == 0, res.output
    recs = read(out)
    assert [r["id"] for r in recs] == ["1", "2", "3"]
    assert recs[1]["translation"]["text"] == "" and recs[0]["translation"]["text"]
    assert "in.txt:2: empty line" in res.output
    assert "3 sentences" in res.output


def test_cli_help_documents_the_command():
    res = CliRunner().invoke(cli, ["translate", "--help"])
    assert res.exit_code == 0
    for opt in ("--model", "--src-lang", "--tgt-lang", "--backend", "--markers", "--no-cache",
                "--too-long", "--word-tokenizer", "--max-tokens"):
        assert opt in res.output


def test_cli_errors_are_clear(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl")
    res = CliRunner().invoke(cli, ["translate", str(src), str(tmp_path / "o.jsonl"), "-m",
                                   str(tmp_path / "nope"), "-s", "en", "-t", "de"])
    assert res.exit_code == 2 and "error: cannot load model" in res.output
    res = CliRunner().invoke(cli, ["translate", str(src), str(src), "-m", str(tiny_marian()),
                                   "-s", "en", "-t", "de"])
    assert res.exit_code == 2 and "refusing to write over input file" in res.output


def test_bad_json_stops_with_file_and_line_and_writes_no_output(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "tokens": ["Hi"]}\n{"id": "b", "tokens": ["x"]\n')
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputFormatError) as e:
        translate(src, out, backend=EchoBackend(), cache=False)
    assert e.value.location == f"{src}:2"
    assert not out.exists()
    res = CliRunner().invoke(cli, ["translate", str(src), str(out), "-m", str(tiny_marian()),
                                   "-s", "en", "-t", "de", "--no-cache"])
    assert res.exit_code == 2 and f"{src}:2: expected a JSON object" in res.output


def test_long_input_is_split_at_sentences_never_cut(tmp_path):
    long = "One two three . Four five six seven . Eight nine ten ."
    src = write_corpus(tmp_path / "in.jsonl", ["Short one .", long, "Tail ."])
    be = EchoBackend()
    rep = translate(src, tmp_path / "out.jsonl", backend=be, cache=False, max_input_tokens=6)
    out = read(tmp_path / "out.jsonl")
    assert out[1]["translation"]["text"] == long.replace(" .", ".") and rep.counts.split == 1
    assert be.sentences == 2 + 3           # the long one went as three segments
    assert [r["id"] for r in out] == ["s0", "s1", "s2"]


def test_too_long_policies(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", ["Fine .", "a b c d e f g h i j k l"])
    with pytest.raises(XlieError, match=r"in.jsonl:2: sentence of 12 model tokens"):
        translate(src, tmp_path / "o.jsonl", backend=EchoBackend(), cache=False,
                  max_input_tokens=5, too_long="error")
    rep = translate(src, tmp_path / "o.jsonl", backend=EchoBackend(), cache=False,
                    max_input_tokens=5, too_long="skip")
    out = read(tmp_path / "o.jsonl")
    assert out[1]["translation"]["text"] == "" and "longer than" in out[1]["translation"]["error"]
    assert rep.counts.skipped == 1 and out[0]["translation"]["text"] == "Fine."
    rep = translate(src, tmp_path / "o.jsonl", backend=EchoBackend(), cache=False,
                    max_input_tokens=5, too_long="split")
    assert read(tmp_path / "o.jsonl")[1]["translation"]["text"] == "a b c d e f g h i j k l"
    assert any("split at word boundaries" in w for w in rep.counts.warnings)


SPANS = {0: [{"start": 0, "end": 2, "label": "PER"}, {"start": 4, "end": 6, "label": "LOC", "id": "x"}],
         1: [{"start": 0, "end": 1, "label": "ORG", "id": "y"}]}
MARKED = ["John Smith lives in New York .", "Siemens grows ."]


def test_markers_end_to_end_record_target_spans(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", MARKED, SPANS)
    rep = translate(src, tmp_path / "out.jsonl", backend=EchoBackend(), cache=False, markers="xml")
    out = read(tmp_path / "out.jsonl")
    tr = out[0]["translation"]
    assert tr["text"] == "John Smith lives in New York."
    assert tr["marked_text"] == "<m1>John Smith</m1> lives in <m2>New York</m2>."
    assert tr["spans"] == [{"start": 0, "end": 2, "label": "PER", "id": "s0-0"},
                           {"start": 4, "end": 6, "label": "LOC", "id": "x"}]
    assert out[0]["spans"][0]["id"] == "s0-0"     # the source span got the id it is matched by
    assert tr["markers_lost"] == 0 and rep.counts.spans == 3 and rep.counts.markers_lost == 0


def test_markers_reordered_and_lost_by_mt(tmp_path):
    def mt(text):   # moves the sentence's first span to the end and drops one close marker
        return (text.replace("<m1>John Smith</m1> lives in <m2>New York</m2>.",
                             "In <m2>New York lebt <m1>John Smith</m1>.")
                    .replace("</m1> grows", " grows"))
    src = write_corpus(tmp_path / "in.jsonl", MARKED, SPANS)
    rep = translate(src, tmp_path / "out.jsonl", backend=EchoBackend(mt), cache=False, markers="xml")
    a, b = (r["translation"] for r in read(tmp_path / "out.jsonl"))
    assert a["tokens"] == ["In", "New", "York", "lebt", "John", "Smith", "."]
    assert a["spans"] == [{"start": 4, "end": 6, "label": "PER", "id": "s0-0"}]
    assert a["markers_lost"] == 1                  # m2 never closed
    assert b["spans"] == [] and b["markers_lost"] == 1 and b["text"] == "Siemens grows."
    assert rep.counts.markers_lost == 2


def test_session_translates_records_in_memory():
    from xlie.translation import open_session
    session = open_session(backend=EchoBackend(), cache=False, markers="xml")
    recs = session.translate_records([
        {"id": "a", "tokens": ["Obama", "visited", "Paris", "."],
         "spans": [{"start": 2, "end": 3, "label": "LOC"}]},
        {"id": "b", "text": "No tokens here, only text."}])
    assert recs[0]["translation"]["spans"] == [{"start": 2, "end": 3, "label": "LOC", "id": "a-0"}]
    assert recs[1]["translation"]["text"] == "No tokens here, only text."
    assert recs[1]["tokens"] == ["No", "tokens", "here", ",", "only", "text", "."]
    assert session.counts.translated == 2


def test_output_to_stdout(tmp_path, capsys):
    src = write_corpus(tmp_path / "in.jsonl", ["Hello there .", "Bye ."])
    rep = translate(src, "-", backend=EchoBackend(), cache=False, word_tokenizer="whitespace")
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["translation"]["tokens"] for x in lines] == [["Hello", "there."], ["Bye."]]
    assert rep.counts.sentences == 2
