"""One format detector for every stage: extension first, then content where allowed."""
import pytest

from xlie.errors import XlieError
from xlie.formats.detect import detect_format, read_any
from xlie.selftrain.data import read_sentences
from xlie.translation.sources import read_source

BIOES = "The\tO\nUnited\tB-ORG\nNations\tE-ORG\nmet\tO\nSegni\tS-PER\n\n"


def test_a_bioes_file_is_conll_for_every_stage(tmp_path):
    p = tmp_path / "train.bioes"
    p.write_text(BIOES)
    assert detect_format(p) == "conll"
    (sent,) = list(read_any(p))
    expected = [(1, 3, "ORG"), (4, 5, "PER")]
    assert [(s.start, s.end, s.label) for s in sent.spans] == expected
    ((line, tagged),) = list(read_sentences(p))          # selftrain
    assert line is None and [(s.start, s.end, s.label) for s in tagged.spans] == expected
    (item,) = list(read_source(p, "en"))                 # translate
    assert item.record["tokens"] == ["The", "United", "Nations", "met", "Segni"]


def test_content_decides_when_the_extension_does_not(tmp_path):
    p = tmp_path / "train.data"
    p.write_text(BIOES)
    with pytest.raises(XlieError, match="cannot tell the format"):
        detect_format(p)
    assert detect_format(p, sniff=True) == "conll"
    ((_, sent),) = list(read_sentences(p))
    assert [s.label for s in sent.spans] == ["ORG", "PER"]
    j = tmp_path / "records"
    j.write_text('{"id": "a", "tokens": ["x"]}\n')
    assert [(line, s.id) for line, s in read_sentences(j)] == [(1, "a")]


def test_plain_text_is_a_format_only_where_asked(tmp_path):
    p = tmp_path / "raw.txt"
    p.write_text("Just a sentence.\n")
    assert detect_format(p, sniff=True, text=True) == "text"
    with pytest.raises(XlieError, match="cannot tell the format"):
        detect_format(p)                                   # e.g. an output path
    with pytest.raises(XlieError, match="plain text"):
        list(read_sentences(p))
    with pytest.raises(XlieError, match="no such file"):
        list(read_sentences(tmp_path / "missing.jsonl"))
