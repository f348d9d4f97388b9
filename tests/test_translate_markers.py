"""Marker insertion and read-back on hand-made strings."""
import pytest

from xlie.translation.markers import get_style, insert_markers, read_markers, token_spans
from xlie.translation.wordtok import detokenize, moses_tokenize

TOKENS = ["John", "Smith", "lives", "in", "New", "York", "."]


@pytest.mark.parametrize("style", ["xml", "brackets"])
def test_insert_then_read_back_round_trips(style):
    st = get_style(style)
    text, offsets = detokenize(TOKENS, "en")
    marked = insert_markers(text, offsets, [(0, 2), (4, 6)], st)
    back = read_markers(marked, 2, st)
    assert back.text == text
    assert back.lost == []
    assert [back.text[a:b] for a, b in (back.char_spans[1], back.char_spans[2])] == ["John Smith", "New York"]


def test_xml_markers_are_placed_at_token_edges():
    text, offsets = detokenize(TOKENS, "en")
    marked = insert_markers(text, offsets, [(0, 2), (4, 6), (4, 5)], get_style("xml"))
    assert marked == "<m1>John Smith</m1> lives in <m2><m3>New</m3> York</m2>."


def test_adjacent_spans_close_before_the_next_opens():
    text, offsets = detokenize(["Berlin", "Paris"], "en")
    marked = insert_markers(text, offsets, [(0, 1), (1, 2)], get_style("xml"))
    assert marked == "<m1>Berlin</m1> <m2>Paris</m2>"


def test_reordered_markers_are_found_by_number():
    st = get_style("xml")
    back = read_markers("In <m2>New York</m2> lebt <m1>John Smith</m1>.", 2, st)
    assert back.text == "In New York lebt John Smith."
    tokens, offsets = moses_tokenize(back.text, "de")
    found, lost = token_spans(back, offsets, [(0, 2), (4, 6)])
    assert lost == []
    assert [tokens[a:b] for a, b in (found[0], found[1])] == [["John", "Smith"], ["New", "York"]]


def test_mt_spacing_and_case_in_markers_is_tolerated():
    back = read_markers("< M1 > Obama </ m1 > besuchte < m2 >Paris< /M2 > .", 2, get_style("xml"))
    assert back.text == "Obama besuchte Paris ."
    assert back.lost == []
    assert back.text[slice(*back.char_spans[1])] == "Obama"
    assert back.text[slice(*back.char_spans[2])] == "Paris"


@pytest.mark.parametrize("translated,lost", [
    ("<m1>Obama besuchte Paris.", [1]),                      # close marker dropped
    ("Obama</m1> besuchte Paris.", [1]),                     # open marker dropped
    ("</m1>Obama<m1> besuchte Paris.", [1]),                 # wrong order
    ("<m1>Obama</m1> <m1>besuchte</m1> Paris.", [1]),        # duplicated
    ("<m1> </m1>Obama besuchte Paris.", [1]),                # encloses nothing
    ("Obama besuchte Paris.", [1, 2]),                       # all gone
])
def test_lost_markers_are_counted(translated, lost):
    back = read_markers(translated, 2, get_style("xml"))
    assert back.text == "Obama besuchte Paris."
    assert set(lost) <= set(back.lost)
    assert 2 in back.lost  # marker 2 never appears in these strings


def test_stray_markers_are_removed_from_the_text():
    back = read_markers("<m1>Obama</m1> besuchte <m7>Paris</m7>.", 1, get_style("xml"))
    assert back.text == "Obama besuchte Paris."
    assert back.lost == []


def test_brackets_style_keeps_ordinary_brackets_and_numbers():
    back = read_markers("[1 Obama 1] besuchte Paris [2019].", 1, get_style("brackets"))
    assert back.text == "Obama besuchte Paris [2019]."
    assert back.text[slice(*back.char_spans[1])] == "Obama"


def test_crossing_markers_keep_only_the_first_span():
    st = get_style("xml")
    back = read_markers("<m1>a <m2>b</m1> c</m2> d", 2, st)
    tokens, offsets = moses_tokenize(back.text, "en")
    found, lost = token_spans(back, offsets, [(0, 1), (2, 3)])  # disjoint in the source
    assert found == {0: (0, 2)}
    assert lost == [1]


def test_marker_inside_a_word_takes_the_whole_word():
    back = read_markers("die <m1>Berlin</m1>er Mauer", 1, get_style("xml"))
    tokens, offsets = moses_tokenize(back.text, "de")
    found, lost = token_spans(back, offsets, [(0, 1)])
    assert tokens[slice(*found[0])] == ["Berliner"]
