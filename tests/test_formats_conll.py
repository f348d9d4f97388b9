"""CoNLL NER and CoNLL-U readers/writers: schemes, round-trips, line-numbered errors."""
from __future__ import annotations

import pytest

from xlie.corpus import Sentence, Span
from xlie.errors import InputFormatError
from xlie.formats.conll import format_conll, read_conll, write_conll
from xlie.formats.conllu import format_conllu, read_conllu, write_conllu
from xlie.formats.iob import TagError, convert_tags, spans_to_tags, tags_to_spans

TOKENS = "The European Parliament met Mr Segni in Strasbourg".split()
IOB2 = ["O", "B-ORG", "I-ORG", "O", "O", "B-PER", "O", "B-LOC"]
IOB1 = ["O", "I-ORG", "I-ORG", "O", "O", "I-PER", "O", "I-LOC"]
BIOES = ["O", "B-ORG", "E-ORG", "O", "O", "S-PER", "O", "S-LOC"]
SPANS = [(1, 3, "ORG"), (5, 6, "PER"), (7, 8, "LOC")]


@pytest.mark.parametrize("scheme,tags", [("iob2", IOB2), ("iob1", IOB1), ("bioes", BIOES)])
def test_each_scheme_decodes_and_encodes(scheme, tags):
    assert tags_to_spans(tags) == SPANS
    assert tags_to_spans(tags, scheme, strict=True) == SPANS
    assert spans_to_tags(len(tags), SPANS, scheme) == tags


def test_adjacent_entities_of_one_type():
    spans = [(0, 2, "PER"), (2, 3, "PER")]
    assert spans_to_tags(3, spans, "iob1") == ["I-PER", "I-PER", "B-PER"]
    assert spans_to_tags(3, spans, "iob2") == ["B-PER", "I-PER", "B-PER"]
    assert spans_to_tags(3, spans, "bioes") == ["B-PER", "E-PER", "S-PER"]
    for scheme in ("iob1", "iob2", "bioes"):
        assert tags_to_spans(spans_to_tags(3, spans, scheme), scheme, strict=True) == spans


def test_lenient_decoding_of_stray_inside_tags():
    # I- after O or after another type opens an entity (conlleval / seqeval default)
    assert tags_to_spans(["O", "I-PER", "I-LOC", "E-LOC"]) == [(1, 2, "PER"), (2, 4, "LOC")]
    assert convert_tags(IOB1, "bioes") == BIOES


@pytest.mark.parametrize("scheme,tags,bad", [
    ("iob2", ["O", "I-PER"], 1),
    ("iob2", ["B-PER", "I-LOC"], 1),
    ("iob1", ["O", "B-PER"], 1),
    ("bioes", ["B-PER", "O"], 1),
    ("bioes", ["B-PER", "I-PER"], 1),
    ("iob2", ["S-PER"], 0),
])
def test_strict_scheme_violations(scheme, tags, bad):
    with pytest.raises(TagError) as e:
        tags_to_spans(tags, scheme, strict=True)
    assert e.value.index == bad


def test_malformed_tag_is_rejected():
    with pytest.raises(TagError):
        tags_to_spans(["B_PER"])


def test_overlapping_spans_cannot_become_tags():
    with pytest.raises(ValueError, match="overlapping"):
        spans_to_tags(4, [(0, 3, "ORG"), (1, 2, "LOC")])


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("scheme,tags", [("iob2", IOB2), ("iob1", IOB1), ("bioes", BIOES)])
def test_conll_reads_each_scheme(tmp_path, scheme, tags):
    text = "".join(f"{t}\t{g}\n" for t, g in zip(TOKENS, tags)) + "\nHello\tO\n"
    path = _write(tmp_path, "a.conll", text)
    sents = list(read_conll(path, scheme=scheme, lang="en"))
    assert [s.id for s in sents] == ["0", "1"]
    assert [(s.start, s.end, s.label) for s in sents[0].spans] == SPANS
    assert [s.id for s in sents[0].spans] == ["0-0", "0-1", "0-2"]
    assert sents[0].lang == "en" and sents[1].spans == []
    # and lenient reading (no scheme named) gives the same spans
    assert [(s.start, s.end, s.label) for s in list(read_conll(path))[0].spans] == SPANS


@pytest.mark.parametrize("scheme,tags", [("iob2", IOB2), ("iob1", IOB1), ("bioes", BIOES)])
def test_conll_writes_each_scheme_and_round_trips(tmp_path, scheme, tags):
    sent = Sentence(id="0", tokens=TOKENS,
                    spans=[Span(start=s, end=e, label=lab) for s, e, lab in SPANS])
    assert format_conll(sent, scheme).splitlines() == [f"{t}\t{g}" for t, g in zip(TOKENS, tags)]
    out = tmp_path / "out.conll"
    write_conll(out, [sent, sent], scheme)
    back = list(read_conll(out, scheme=scheme))
    assert len(back) == 2 and back[1].tokens == TOKENS
    assert [(s.start, s.end, s.label) for s in back[1].spans] == SPANS


def test_conll2003_columns_and_docstart_round_trip(tmp_path):
    text = ("-DOCSTART- -X- -X- O\n\n"
            "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\ncall NN I-NP O\n\n"
            "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n")
    src = _write(tmp_path, "train.txt", text)
    sents = list(read_conll(src))
    assert len(sents) == 2 and sents[0].docstart is True
    assert sents[0].conll_columns[0] == ["NNP", "B-NP"]
    assert [(s.start, s.end, s.label) for s in sents[1].spans] == [(0, 2, "PER")]
    out = tmp_path / "again.txt"
    write_conll(out, sents, "iob2", src, sep=" ")
    assert out.read_text(encoding="utf-8") == text


def test_conll_round_trip_of_real_europarl(tmp_path, test_data):
    src = test_data / "europarl-ner" / "de.conll02"
    out = tmp_path / "de.conll"
    assert write_conll(out, read_conll(src, scheme="iob2")) == 799
    assert out.read_bytes() == src.read_bytes()


@pytest.mark.parametrize("text,line,what", [
    ("John\tB-PER\nlives\n", 2, "a token and a NER tag"),          # truncated line
    ("John\tB-PER\nlives\tO\tX\n", 2, "2 TAB-separated columns"),  # column count changes
    ("John\tB-PER\n\nlives\tB_PER\n", 3, "'O' or a tag like"),      # malformed tag
    ("John\tB-PER\n\tO\n", 2, "non-empty token"),                    # empty token
])
def test_conll_errors_name_file_and_line(tmp_path, text, line, what):
    path = _write(tmp_path, "bad.conll", text)
    with pytest.raises(InputFormatError) as e:
        list(read_conll(path))
    assert e.value.line == line and str(path) in str(e.value)
    assert what in str(e.value)


def test_conll_strict_scheme_error_line(tmp_path):
    path = _write(tmp_path, "bad.conll", "A\tO\nB\tO\n\nC\tO\nD\tI-PER\n")
    with pytest.raises(InputFormatError) as e:
        list(read_conll(path, scheme="iob2"))
    assert e.value.line == 5 and "B-PER" in str(e.value)


def test_conll_bad_utf8_line(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_bytes(b"A\tO\n\xff\tO\n")
    with pytest.raises(InputFormatError) as e:
        list(read_conll(path))
    assert e.value.line == 2


def test_conll_writer_refuses_to_overwrite_input(tmp_path):
    path = _write(tmp_path, "a.conll", "A\tO\n")
    with pytest.raises(Exception, match="refusing"):
        write_conll(path, read_conll(path), "iob2", path)
    assert path.read_text() == "A\tO\n"


CONLLU = """# sent_id = s1
# text = Er schrieb am Montag.
1	Er	er	PRON	PPER	_	2	nsubj	_	_
2	schrieb	schreiben	VERB	VVFIN	_	0	root	_	_
3-4	am	_	_	_	_	_	_	_	_
3	an	an	ADP	APPR	_	5	case	_	_
4	dem	der	DET	ART	_	5	det	_	_
5	Montag	Montag	NOUN	NN	_	2	obl	_	SpaceAfter=No
5.1	ging	gehen	VERB	VVFIN	_	_	_	2:conj	_
6	.	.	PUNCT	$.	_	2	punct	_	_

"""


def test_conllu_reads_words_and_upos_and_round_trips(tmp_path):
    src = _write(tmp_path, "a.conllu", CONLLU)
    (sent,) = read_conllu(src, lang="de")
    assert sent.id == "s1" and sent.lang == "de"
    assert sent.tokens == ["Er", "schrieb", "an", "dem", "Montag", "."]
    assert sent.tags == ["PRON", "VERB", "ADP", "DET", "NOUN", "PUNCT"]
    out = tmp_path / "b.conllu"
    write_conllu(out, [sent], src)
    assert out.read_text(encoding="utf-8") == CONLLU


def test_conllu_round_trip_of_real_pud(tmp_path, test_data):
    for lang in ("en", "de"):
        src = test_data / "pud" / f"{lang}.conllu"
        out = tmp_path / f"{lang}.conllu"
        assert write_conllu(out, read_conllu(src)) == 150
        assert out.read_bytes() == src.read_bytes()


def test_conllu_of_a_sentence_made_elsewhere():
    sent = Sentence(id="x", tokens=["Hallo", "Welt"], tags=["INTJ", "NOUN"])
    lines = format_conllu(sent).splitlines()
    assert lines[:2] == ["# sent_id = x", "# text = Hallo Welt"]
    assert lines[2].split("\t") == ["1", "Hallo", "_", "INTJ", "_", "_", "_", "_", "_", "_"]


@pytest.mark.parametrize("text,line,what", [
    ("# sent_id = a\n1\tEr\ter\tPRON\n", 2, "10 TAB-separated columns"),
    ("1\tEr\ter\tPRON\t_\t_\t0\troot\t_\t_\n\nx\tEr\ter\tPRON\t_\t_\t0\troot\t_\t_\n", 3, "word ID"),
    ("1\tEr\ter\tPRON\t_\t_\t0\troot\t_\t_\n3\tja\tja\tINTJ\t_\t_\t1\tdiscourse\t_\t_\n", 2,
     "word ID 2"),
])
def test_conllu_errors_name_file_and_line(tmp_path, text, line, what):
    path = _write(tmp_path, "bad.conllu", text)
    with pytest.raises(InputFormatError) as e:
        list(read_conllu(path))
    assert e.value.line == line and what in str(e.value)


def test_unknown_scheme_lists_the_known_ones(tmp_path):
    from xlie.errors import UnknownNameError
    path = _write(tmp_path, "a.conll", "A\tO\n")
    with pytest.raises(UnknownNameError, match="bioes"):
        list(read_conll(path, scheme="bilou"))
    with pytest.raises(UnknownNameError):
        format_conll(Sentence(id="0", tokens=["A"]), "bilou")


def test_overlapping_spans_are_a_clear_error_when_writing_conll():
    sent = Sentence(id="7", tokens=["a", "b", "c"], spans=[Span(start=0, end=2, label="X"),
                                                           Span(start=1, end=3, label="Y")])
    with pytest.raises(InputFormatError, match="sentence 7"):
        format_conll(sent)
