"""Sentence ends in every script, and cuts where one side has no sentence-final punctuation."""
import numpy as np

from xlie.aligners.boundaries import (ALT, CLAUSE, STRONG, WEAK, boundary_evidence,
                                      sentence_ends, sentence_spans, sentence_terminal)
from xlie.aligners.sentences import (align_sentences, best_split, merge_deletions, refine,
                                     word_cuts)


def test_sentence_ends_of_other_scripts():
    # Chinese full-width and half-width stops, question and exclamation marks
    assert sentence_ends("我 来 了 。 你 呢 ？ 好 ！ 走 吧 ｡ 嗯".split()) == [4, 7, 9, 12]
    assert sentence_ends("你 好 ! 是 ? 对".split()) == [3, 5]
    # Devanagari danda and double danda
    assert sentence_ends("यह एक वाक्य है । वह दूसरा है ॥ तीसरा".split()) == [5, 9]
    # Arabic question mark and Urdu full stop
    assert sentence_ends("هل هذا سؤال ؟ نعم ۔ حسنا".split()) == [4, 6]
    # Ethiopic full stop, Armenian full stop
    assert sentence_ends("ሰላም ነው ። እንዴት".split()) == [3]
    assert sentence_ends("Բարեւ ։ Ինչպես".split()) == [2]
    # a comma in any script is no sentence end
    assert sentence_ends("他 说 ， 是 的 、 对".split()) == []
    assert all(map(sentence_terminal, ["。", "?!", "।", "؟", "…"])) and not sentence_terminal("，")


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    # the closing quote after '。' or '.' belongs to the sentence it closes
    assert sentence_ends("他 说 ： “ 好 。 ” 然后 走 了 。".split()) == [7]
    assert sentence_ends("他 说 ： 「 好 。 」 然后".split()) == [7]
    assert sentence_ends('He said " yes . " Then he left .'.split()) == [6]
    # German closes '„' with '“', which opens a quote in English
    assert sentence_ends("Er sagte : „ Ja . “ Dann ging er .".split()) == [7]
    assert sentence_ends("He left . “ Yes , ” she said .".split()) == [3]
    # an ASCII '"' after a full stop may close or open: the other side of it is ALT
    ev = boundary_evidence('It was fine . " We left .'.split())
    assert ev[4] == STRONG and ev[5] == ALT


def test_case_and_digits_are_evidence_only_where_they_apply():
    ev = boundary_evidence("see čl . 17 and art . b here . Fond".split())
    assert ev[3] == WEAK and ev[7] == WEAK and ev[10] == STRONG      # '. 17', '. b', '. Fond'
    # a full stop before a year is ambiguous; '。' before one is not (no case, no digit rule)
    assert boundary_evidence("in 1916 . 1987 was".split())[3] == WEAK
    assert sentence_ends("1916年 成立 。 1987年 宣布".split()) == [3]
    # any terminal before a lower-case word is only weak: '? " says'
    assert boundary_evidence('did you see ? " says Pall .'.split())[4] == WEAK
    # an ASCII stop inside a word is an abbreviation; '。' inside one (unsegmented text) is not
    assert sentence_ends("the U.S. Army left".split()) == []
    assert boundary_evidence("Jr. Then".split())[1] == CLAUSE
    assert sentence_ends("这是一个句子。 那是另一个。 好吗？ 是的".split()) == [1, 2, 3]


def _sim_from(src: list[str], tgt: list[str]) -> np.ndarray:
    """A toy translation's similarity: 1 for the same word (case and stops aside), else 0.2."""
    sim = np.full((len(src), len(tgt)), 0.2)
    for i, w in enumerate(src):
        for j, v in enumerate(tgt):
            if w.lower().strip(".") == v.lower().strip(".") and w.strip("."):
                sim[i, j] = 1.0
    return sim


def _cut(src: list[str], tgt: list[str]):
    """What the aligner does with a long pair: sentences aligned, then pieces refined."""
    ss, ts = sentence_spans(src), sentence_spans(tgt)
    sim = _sim_from(src, tgt)
    beads = merge_deletions(align_sentences(sim, ss, ts))
    content = [[any(c.isalnum() for c in w) for w in side] for side in (src, tgt)]
    return refine(sim, word_cuts(beads, ss, ts), boundary_evidence(src), boundary_evidence(tgt),
                  *content)


def test_a_side_without_stops_is_cut_where_the_other_side_ends_sentences():
    src = ("Aa bb cc dd ee . Ff gg hh ii jj kk . Ll mm nn oo pp . "
           "Qq rr ss tt uu vv ww .").split()
    tgt = "bb aa cc ee dd gg ff hh ii kk jj mm ll nn pp oo rr qq ss tt vv uu ww".split()
    assert sentence_spans(tgt) == [(0, len(tgt))]          # no punctuation: one 'sentence'
    cuts = _cut(src, tgt)
    assert [(a, c) for (a, _), (c, _) in cuts] == [(0, 0), (6, 5), (13, 11), (19, 16)]
    assert cuts[-1] == ((19, len(src)), (16, len(tgt)))


def test_a_headline_without_a_stop_is_cut_from_the_other_side():
    # the target's headline has no full stop: its first 'sentence' holds two of the source's
    src = "Big news today . The council met on Monday . It voted for the plan .".split()
    tgt = "big news today the council met on monday . it voted for the plan .".split()
    cuts = _cut(src, tgt)
    assert [(a, c) for (a, _), (c, _) in cuts] == [(0, 0), (4, 3), (10, 9)]


def test_no_cut_without_a_sentence_end_on_either_side():
    src = "aa bb cc , dd ee ff gg".split()
    tgt = "aa bb cc dd ee ff gg".split()
    sim = _sim_from(src, tgt)
    assert best_split(sim, np.array(boundary_evidence(src)), np.array(boundary_evidence(tgt)),
                      np.ones(len(src), bool), np.ones(len(tgt), bool)) is None
    assert _cut(src, tgt) == [((0, len(src)), (0, len(tgt)))]


def test_unrelated_halves_are_not_cut_at_a_stop():
    """A stop on one side is evidence, not a command: where the other side's words do not
    fall apart at it, the piece stays whole."""
    src = "aa bb cc dd . ee ff gg hh".split()
    tgt = "ee aa ff bb gg cc hh dd".split()                 # interleaved: no cut fits
    assert _cut(src, tgt) == [((0, len(src)), (0, len(tgt)))]
