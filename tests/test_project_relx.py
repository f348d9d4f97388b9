"""Relation arguments projected onto a RELX-style translation: the edge cases of attached
punctuation, apostrophe suffixes, a marker inside a word and a translation that puts the two
entities the other way round. Links are written by hand (word to word, by surface form)."""
from __future__ import annotations

from xlie.corpus import Sentence
from xlie.formats.relx import format_relx, read_relx
from xlie.projection.api import project
from xlie.scoring import pair_sentences, score_ner


def example(tmp_path, name: str, line: str, label: str) -> Sentence:
    p = tmp_path / f"{name}.txt"
    p.write_text(f"{line}\n{label}\n\n\n", encoding="utf-8")
    (s,) = read_relx(p)
    return s


def aligned(src: Sentence, tgt: Sentence, pairs: list[tuple[str, str]]) -> Sentence:
    """``src`` with ``tgt`` as its translation and a link for each (source word, target
    word) pair, by the words' first occurrences."""
    links = [[src.tokens.index(a), tgt.tokens.index(b), 0.9] for a, b in pairs]
    return Sentence.model_validate({**src.to_json(), "alignment": links, "translation": {
        "lang": tgt.lang, "text": " ".join(tgt.tokens), "tokens": tgt.tokens}})


def projected(src, tgt, pairs, method: str = "xlie") -> Sentence:
    (out,) = project([aligned(src, tgt, pairs)], method=method).sentences
    return out


def f1(gold: Sentence, pred: Sentence) -> float:
    return score_ner(pair_sentences([gold], [pred]))["micro"]["f1"]


def translated(tmp_path, lang: str, en_line: str, tgt_line: str,
               label: str) -> tuple[Sentence, Sentence]:
    """An English RELX example and its translation into ``lang``, both under ``label``."""
    return example(tmp_path, "en", en_line, label), example(tmp_path, lang, tgt_line, label)


def projected_exactly(src: Sentence, tgt: Sentence, pairs: list[tuple[str, str]]) -> Sentence:
    """``src``'s arguments projected onto ``tgt`` through the hand links; they must be
    ``tgt``'s own marked spans, no more and no less (F1 1.0)."""
    pred = projected(src, tgt, pairs)
    assert f1(tgt, pred) == 1.0
    return pred


def test_attached_punctuation_stays_out_of_the_span(tmp_path):
    en, de = translated(tmp_path, "de",
                        '1\t"<e1> Heatwave </e1> is based in Sacramento, <e2> California </e2>."',
                        '1\t"<e1> Heatwave </e1> sitzt in Sacramento, <e2> Kalifornien </e2>."',
                        "org:stateorprovince_of_headquarters(e1,e2)")
    assert en.tokens[-2:] == ["California", "."] and de.tokens[-2:] == ["Kalifornien", "."]
    pred = projected_exactly(en, de, [("Heatwave", "Heatwave"), ("is", "sitzt"), ("in", "in"),
                                      ("Sacramento", "Sacramento"), ("California", "Kalifornien"),
                                      (".", ".")])
    assert pred.relations == en.relations


def test_brackets_around_a_name(tmp_path):
    en, fr = translated(tmp_path, "fr", '2\t"<e1> Viva </e1> is run by the (<e2> ABA </e2>)."',
                        '2\t"<e1> Viva </e1> est géré par la (<e2> ABA </e2>)."', "no_relation")
    pred = projected_exactly(en, fr, [("Viva", "Viva"), ("run", "géré"), ("(", "("),
                                      ("ABA", "ABA"), (")", ")")])
    assert [pred.tokens[s.start:s.end] for s in pred.spans] == [["Viva"], ["ABA"]]


def test_a_turkish_case_suffix_is_not_part_of_the_name(tmp_path):
    en, tr = translated(tmp_path, "tr", '3\t"<e1> Heatwave </e1> plays in <e2> Sacramento </e2>."',
                        "3\t\"<e1> Heatwave </e1> <e2> Sacramento </e2>'da oynuyor.\"",
                        "org:city_of_headquarters(e1,e2)")
    assert tr.tokens == ["Heatwave", "Sacramento", "'da", "oynuyor", "."]
    # "in" -> "'da": the suffix translates the preposition outside the span
    projected_exactly(en, tr, [("Heatwave", "Heatwave"), ("plays", "oynuyor"), ("in", "'da"),
                               ("Sacramento", "Sacramento"), (".", ".")])


def test_a_name_inside_a_longer_word_is_matched_whole(tmp_path):
    en, de = translated(tmp_path, "de",
                        '4\t"<e1> Canada </e1> \'s minister <e2> John Baird </e2> said no."',
                        '4\t"<e1> Kanada </e1>s Minister <e2> John Baird </e2> sagte nein."',
                        "per:countries_of_residence(e2,e1)")
    assert de.tokens[0] == "Kanadas" and (de.spans[0].start, de.spans[0].end) == (0, 1)
    projected_exactly(en, de, [("Canada", "Kanadas"), ("'s", "Kanadas"), ("minister", "Minister"),
                               ("John", "John"), ("Baird", "Baird"), ("said", "sagte")])


def test_entities_the_other_way_round_swap_labels_and_keep_the_relation(tmp_path):
    en = example(tmp_path, "en", '5\t"Dennison coached at <e1> Walsh University </e1> in <e2> Ohio </e2>."',
                 "org:stateorprovince_of_headquarters(e1,e2)")
    tr_line = ("5\t\"Dennison <e1> Ohio </e1>'daki <e2> Walsh Üniversitesi </e2>'nde "
               "antrenördü.\"")
    tr = example(tmp_path, "tr", tr_line, "org:stateorprovince_of_headquarters(e2,e1)")
    pairs = [("Dennison", "Dennison"), ("Walsh", "Walsh"), ("University", "Üniversitesi"),
             ("Ohio", "Ohio"), ("coached", "antrenördü"), (".", ".")]
    pred = projected_exactly(en, tr, pairs)
    by = {s.label: s for s in pred.spans}
    assert pred.tokens[by["E1"].start:by["E1"].end] == ["Ohio"]
    rel = pred.relations[0]
    assert rel["head"] == by["E2"].id and rel["tail"] == by["E1"].id   # still the university
    assert format_relx(pred).endswith("org:stateorprovince_of_headquarters(e2,e1)")
    assert projected(en, tr, pairs, method="heuristic").spans[0].label == "E1"


def test_an_empty_source_entity_projects_the_other_and_drops_the_relation(tmp_path):
    en = example(tmp_path, "en", '6\t"Sehgal won the <e1> </e1> Prize at <e2> Basel </e2>."', "no_relation")
    de = example(tmp_path, "de", '6\t"Sehgal gewann den <e1> </e1> Preis in <e2> Basel </e2>."', "no_relation")
    r = project([aligned(en, de, [("Sehgal", "Sehgal"), ("Prize", "Preis"), ("Basel", "Basel")])])
    (pred,) = r.sentences
    assert [s.label for s in pred.spans] == ["E2"] and pred.relations == []
    assert r.report.relations["relations_dropped"] == 1


def test_relx_files_as_source_and_target_of_xlie_project(tmp_path):
    from pathlib import Path
    data = Path(__file__).parent / "data" / "relx"
    en, de = list(read_relx(data / "en.txt")), list(read_relx(data / "de.txt"))
    with open(tmp_path / "links", "w") as f:   # identical words linked
        for e, d in zip(en, de):
            f.write(" ".join(f"{i}-{j}" for i, a in enumerate(e.tokens)
                             for j, b in enumerate(d.tokens) if a == b) + "\n")
    r = project(data / "en.txt", tmp_path / "de.jsonl", target=data / "de.txt",
                alignment=tmp_path / "links")
    assert [s.tokens for s in r.sentences] == [s.tokens for s in de]  # the reader's words
    first = r.sentences[0].spans[0]
    assert first.label == "E1" and de[0].tokens[first.start:first.end] == ["Sacramento", "Heatwave"]
