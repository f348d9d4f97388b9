"""KBP37/RELX: two marked entities and a relation per example; read, write back, errors."""
from pathlib import Path

import pytest

from xlie.corpus import Sentence, Span
from xlie.errors import InputFormatError
from xlie.formats.detect import detect_format, read_any, write_any
from xlie.formats.relx import read_relx, split_words, write_relx
from xlie.translation.sources import read_source

DATA = Path(__file__).parent / "data" / "relx"
LANGS = ["en", "de", "fr", "es", "tr"]


def by_id(lang: str) -> dict[str, Sentence]:
    return {s.id: s for s in read_any(DATA / f"{lang}.txt", lang=lang)}


def words(s: Sentence, label: str) -> list[str]:
    (span,) = [x for x in s.spans if x.label == label]
    return s.tokens[span.start:span.end]


@pytest.mark.parametrize("lang", LANGS)
def test_real_files_come_back_byte_for_byte(tmp_path, lang):
    src = DATA / f"{lang}.txt"
    assert detect_format(src) == "relx"       # .txt, told apart from plain text by content
    out = tmp_path / "out.txt"
    assert write_any(out, read_any(src), src, fmt="relx") == 10
    assert out.read_bytes() == src.read_bytes()


def test_two_spans_and_a_directed_relation():
    s = by_id("de")["17647"]
    assert words(s, "E1") == ["Sacramento", "Heatwave"]
    assert words(s, "E2") == ["Kalifornien"]          # "Kalifornien </e2>." -> no "." in it
    assert s.relations == [{"label": "org:stateorprovince_of_headquarters",
                            "head": "17647-e1", "tail": "17647-e2"}]
    rev = by_id("de")["17655"]                        # org:alternate_names(e2,e1)
    assert (rev.relations[0]["head"], rev.relations[0]["tail"]) == ("17655-e2", "17655-e1")
    none = by_id("en")["17699"]
    assert none.relations[0]["label"] == "no_relation" and none.relations[0]["directed"] is False


def test_words_do_not_depend_on_the_markers():
    de = by_id("de")["17647"]
    assert de.tokens[10:13] == ["(", "ABA", ")"]      # "(ABA)" unmarked: split all the same
    tr = by_id("tr")
    assert words(tr["17699"], "E2") == ["Lloyds", "TSB"]   # "Lloyds TSB </e2>'nin"
    i = tr["17699"].spans[1].end
    assert tr["17699"].tokens[i] == "'nin"
    assert "Samuel" in tr["17699"].tokens and "'in" in tr["17699"].tokens  # unmarked too
    assert words(by_id("fr")["18160"], "E1") == ["Japon"]  # "en<e1> Japon": en stays apart


def test_a_marker_inside_a_word_takes_the_whole_word():
    s = by_id("de")["18774"]                          # "<e1> Kanada </e1>s Umweltminister"
    assert words(s, "E1") == ["Kanadas"]
    s = by_id("de")["18804"]                          # "<e2>Sun Media</e2>s Anteil"
    assert words(s, "E2") == ["Sun", "Medias"]


def test_an_empty_entity_is_no_span():
    s = by_id("en")["17785"]                          # "the <e1> </e1> Prize"
    assert [x.label for x in s.spans] == ["E2"] and s.empty == ["e1"]


def test_changed_spans_get_markers_around_their_words(tmp_path):
    s = by_id("de")["17647"]
    s.spans = [Span(start=7, end=10, label="E1", id="17647-e1"),
               Span(start=18, end=19, label="E2", id="17647-e2")]
    out = tmp_path / "moved.txt"
    write_relx(out, [s])
    line = out.read_text().splitlines()[0]
    assert "der <e1> American Basketball Association </e1> (ABA)" in line
    assert "Sacramento, <e2> Kalifornien </e2>." in line
    (again,) = read_relx(out)
    assert [(x.start, x.end) for x in again.spans] == [(7, 10), (18, 19)]


def test_sentences_without_text_are_written_from_their_words(tmp_path):
    s = Sentence(id="7", tokens=["Ann", "works", "for", "Acme", "."],
                 spans=[Span(start=3, end=4, label="E1", id="a"),
                        Span(start=0, end=1, label="E2", id="b")],
                 relations=[{"label": "per:employee_of", "head": "b", "tail": "a"}])
    out = tmp_path / "new.txt"
    write_relx(out, [s])
    assert out.read_text() == ('7\t"<e2> Ann </e2> works for <e1> Acme </e1> ."\n'
                               'per:employee_of(e2,e1)\n\n\n')
    (again,) = read_relx(out)
    assert again.tokens == s.tokens and again.relations[0]["head"] == "7-e2"


def test_split_words():
    assert split_words("(ABA) Kalifornien.")[0] == ["(", "ABA", ")", "Kalifornien", "."]
    assert split_words("Sacramento'da l'Université d'origine")[0] == [
        "Sacramento", "'da", "l'", "Université", "d'", "origine"]
    text = "  x'y, (z)"
    toks, offs = split_words(text)
    assert [text[a:b] for a, b in offs] == toks


def test_translate_reads_the_text_without_markers():
    (item, *_) = read_source(DATA / "de.txt", "de")
    assert item.text.startswith("Die Sacramento Heatwave ist") and "<e1>" not in item.text


GOOD = '1\t"<e1> Ann </e1> works for <e2> Acme </e2> ."\nper:employee_of(e1,e2)\n\n\n'


@pytest.mark.parametrize("text,line,expected", [
    (GOOD + '2\t"<e1> Bo </e1> works for Acme ."\nno_relation\n', 5, "a <e2> marker"),
    (GOOD + '2\t"</e1> Bo <e1> at <e2> X </e2>"\nno_relation\n', 5, "<e1> before </e1>"),
    (GOOD + '2\t"<e1> Bo <e2> at </e1> X </e2>"\nno_relation\n', 5, "do not cross"),
    (GOOD + '2\t"<e1> Bo </e1> <e1> at <e2> X </e2>"\nno_relation\n', 5, "one <e1> marker"),
    (GOOD + '2\t"<e1> Bo </e1> at <e3> X </e3>"\nno_relation\n', 5, "only <e1> and <e2>"),
    (GOOD + '2\t"<e1> Bo </e1> at <e2> X </e2>"\n\nno_relation\n', 6, "a label line"),
    (GOOD + '2\t"<e1> Bo </e1> at <e2> X </e2>"\n', 5, "a label line"),
    (GOOD + '2\t"<e1> Bo </e1> at <e2> X </e2>"\nper:employee_of(e1,e1)\n', 6, "a label line"),
    (GOOD + '2 "<e1> Bo </e1> at <e2> X </e2>"\nno_relation\n', 5, "ID<TAB>"),
])
def test_malformed_examples_name_file_and_line(tmp_path, text, line, expected):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(InputFormatError) as e:
        list(read_relx(p))
    assert f"{p}:{line}:" in str(e.value) and expected in str(e.value)


def test_a_detached_suffix_keeps_its_apostrophe():
    assert split_words("Turkey 's team , Japonya 'daki 'Quoted'")[0] == [
        "Turkey", "'s", "team", ",", "Japonya", "'daki", "'", "Quoted", "'"]


def test_the_reader_s_words_are_a_word_tokenizer_too():
    from xlie.translation.wordtok import get_word_tokenizer
    text = "Sacramento'da (ABA)."
    toks, offs = get_word_tokenizer("punct", "tr")(text)
    assert toks == ["Sacramento", "'da", "(", "ABA", ")", "."]
    assert [text[a:b] for a, b in offs] == toks
