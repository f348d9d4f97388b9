"""UPOS projection and the relation/event keep-or-drop rules."""
from __future__ import annotations

from collections import Counter

from xlie.corpus import Sentence
from xlie.projection.api import project
from xlie.projection.links import Links
from xlie.projection.pos import project_tags
from xlie.projection.relations import project_relations


def test_pos_one_to_many_many_to_one_and_unaligned():
    src_tags = ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN"]  # the cat sat on the mat
    tgt = ["die", "Katze", "saß", "auf", "der", "Matte", ",", "2000", "ja"]
    links = Links.from_triples([(0, 0, .9), (1, 1, .9), (2, 2, .9),
                                (3, 3, .4), (4, 3, .8),      # many-to-one: DET outweighs ADP
                                (5, 4, .6), (5, 5, .9)],     # one-to-many: NOUN to both
                               6, len(tgt))
    tags = project_tags(src_tags, links, tgt)
    assert tags[:6] == ["DET", "NOUN", "VERB", "DET", "NOUN", "NOUN"]
    assert tags[6:] == ["PUNCT", "NUM", "_"]  # unlinked: rules for punctuation/numbers only
    assert project_tags(src_tags, links, tgt, rules=False)[6:] == ["_", "_", "_"]
    # the seed's rule takes the single most probable link
    assert project_tags(src_tags, links, tgt, vote=False)[3] == "DET"


def test_a_word_of_numeral_characters_is_num_whatever_it_is_linked_to():
    src_tags = ["DET", "NOUN", "VERB", "ADJ"]           # a man came first
    tgt = ["一", "個", "人", "來", "二〇一六", "一些", "1."]
    links = Links.from_triples([(0, 0, .9), (0, 1, .5), (1, 2, .9), (2, 3, .9),
                                (2, 4, .3), (0, 5, .8), (3, 6, .9)], 4, len(tgt))
    tags = project_tags(src_tags, links, tgt)
    # 一 and 二〇一六 are numerals in every character; 個, 一些 and "1." are not
    assert tags == ["NUM", "DET", "NOUN", "VERB", "NUM", "DET", "ADJ"]
    assert project_tags(src_tags, links, ["一"] + tgt[1:], rules=False)[0] == "DET"
    # the heuristic (no rules) copies the link
    assert project_tags(src_tags, links, tgt, vote=False, rules=False)[0] == "DET"


def test_a_word_linked_to_a_source_phrase_takes_the_tag_of_its_head():
    # "we would help them": we -> help, would -> help, help root, them -> help
    src_tags, heads = ["PRON", "AUX", "VERB", "PRON"], [3, 3, 0, 3]
    tgt = ["ayudaríamos", "les"]
    links = Links.from_triples([(0, 0, .6), (1, 0, .9), (2, 0, .5), (3, 1, .9)], 4, 2)
    assert project_tags(src_tags, links, tgt) == ["AUX", "PRON"]  # the plain vote
    assert project_tags(src_tags, links, tgt, src_heads=heads) == ["VERB", "PRON"]
    # the same through project(): the source tree is used unless pos_phrase_heads is off
    s = Sentence.model_validate({
        "id": "w", "tokens": ["we", "would", "help", "them"], "tags": src_tags,
        "heads": heads, "deprels": ["nsubj", "aux", "root", "obj"],
        "translation": {"text": " ".join(tgt), "tokens": tgt},
        "alignment": [[0, 0, .6], [1, 0, .9], [2, 0, .5], [3, 1, .9]]})
    assert project([s], pos_types=False).sentences[0].tags == ["VERB", "PRON"]
    assert project([s], pos_types=False, pos_phrase_heads=False).sentences[0].tags == [
        "AUX", "PRON"]


def test_pos_vote_sums_probabilities():
    links = Links.from_triples([(0, 0, .5), (1, 0, .4), (2, 0, .4)], 3, 1)
    assert project_tags(["PROPN", "NOUN", "NOUN"], links, ["x"]) == ["NOUN"]
    assert project_tags(["PROPN", "NOUN", "NOUN"], links, ["x"], vote=False) == ["PROPN"]


def test_pos_coverage_in_report():
    s = Sentence.model_validate({
        "id": "p", "tokens": ["I", "sleep", "."], "tags": ["PRON", "VERB", "PUNCT"],
        "translation": {"text": "ich schlafe gut .", "tokens": ["ich", "schlafe", "gut", "."]},
        "alignment": [[0, 0, 1.0], [1, 1, 1.0]]})
    r = project([s])
    assert r.sentences[0].tags == ["PRON", "VERB", "_", "PUNCT"]
    assert r.report.pos["tokens"] == 4 and r.report.pos["labeled"] == 3
    assert r.report.to_dict()["pos"]["coverage"] == 0.75
    h = project([s], method="heuristic")  # no rules in the baseline
    assert h.sentences[0].tags == ["PRON", "VERB", "_", "_"]


def _event_sentence() -> Sentence:
    # spans: 0 John (PER), 1 Paris (LOC), 2 attacked (trigger), 3 Acme (ORG, unaligned)
    return Sentence.model_validate({
        "id": "e", "tokens": ["John", "attacked", "Paris", "for", "Acme"],
        "spans": [{"start": 0, "end": 1, "label": "PER", "id": "e-john"},
                  {"start": 2, "end": 3, "label": "LOC", "id": "e-paris"},
                  {"start": 1, "end": 2, "label": "Attack", "id": "e-trig"},
                  {"start": 4, "end": 5, "label": "ORG", "id": "e-acme"}],
        "relations": [
            {"label": "located", "head": "e-john", "tail": "e-paris"},
            {"label": "works_for", "head": "e-john", "tail": "e-acme"},
            {"label": "Attack", "trigger": "e-trig",
             "args": [{"role": "Attacker", "span": "e-john"}, {"role": "Target", "span": "e-paris"},
                      {"role": "Beneficiary", "span": "e-acme"}]},
        ],
        "translation": {"text": "Jean griff Paris an für Firma",
                        "tokens": ["Jean", "griff", "Paris", "an", "für", "Firma"]},
        "alignment": [[0, 0, .9], [1, 1, .9], [2, 2, .9], [3, 4, .9]]})


def test_relations_kept_only_when_all_spans_projected():
    r = project([_event_sentence()], string_match=False)
    out = r.sentences[0]
    assert {s.id for s in out.spans} == {"e-john", "e-paris", "e-trig"}
    rels = [x for x in out.relations if "head" in x]
    assert rels == [{"label": "located", "head": "e-john", "tail": "e-paris"}]
    (event,) = [x for x in out.relations if "trigger" in x]
    assert [a["role"] for a in event["args"]] == ["Attacker", "Target"]
    c = r.report.relations
    assert (c["relations_kept"], c["relations_dropped"]) == (1, 1)
    assert (c["events_kept"], c["event_args_kept"], c["event_args_dropped"]) == (1, 2, 1)


def test_event_dropped_with_its_trigger():
    counts = Counter()
    kept = project_relations([{"label": "Die", "trigger": "t", "args": [{"role": "Victim",
                                                                        "span": "v"}]}],
                             {"v"}, counts)
    assert kept == [] and counts["events_dropped"] == 1 and counts["event_args_dropped"] == 1


def test_pos_rules_punctuation_wins_over_a_stray_link_and_symbols():
    links = Links.from_triples([(0, 0, .9), (1, 1, .9)], 2, 3)
    tags = project_tags(["PART", "VERB"], links, [",", "gehen", "€"])
    assert tags == ["PUNCT", "VERB", "SYM"]
    assert project_tags(["PART", "VERB"], links, [",", "gehen", "€"], rules=False) == ["PART", "VERB", "_"]


def test_a_percent_sign_is_sym_as_ud_has_it_whatever_it_is_linked_to():
    # "%" is Unicode punctuation (Po), but UD tags it SYM; a comma stays PUNCT
    links = Links.from_triples([(0, 0, .9), (1, 1, .9), (2, 2, .9)], 3, 3)
    assert project_tags(["NUM", "NOUN", "PUNCT"], links, ["5", "%", ","]) == \
        ["NUM", "SYM", "PUNCT"]
    assert project_tags(["NUM", "NOUN", "PUNCT"], links, ["5", "%", ","], rules=False) == \
        ["NUM", "NOUN", "PUNCT"]
