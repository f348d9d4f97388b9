"""Pieces of the translation stage that need no model: batching, splitting, word
tokenization with offsets, the cache, options, input reading."""
import json

import pytest

from xlie.errors import InputFormatError, UnknownNameError, XlieError
from xlie.translation.backends.base import Hypothesis
from xlie.batching import chunked, plan_batches
from xlie.translation.cache import NullCache, TranslationCache, entry_key, namespace
from xlie.translation.options import GenerationOptions
from xlie.translation.segment import join_segments, split_to_fit
from xlie.translation.sources import detect_format, read_source
from xlie.translation.wordtok import detokenize, get_word_tokenizer, locate


def test_plan_batches_respects_budget_and_covers_every_sentence_once():
    lengths = [5, 50, 7, 48, 6, 51, 9, 3, 30, 31, 29, 8]
    batches = plan_batches(lengths, max_tokens=100, max_sentences=4)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 4
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 100
    widths = [max(lengths[i] for i in b) for b in batches]
    assert widths == sorted(widths, reverse=True)   # longest first
    # sorted: batches hold consecutive lengths, so short and long sentences never mix
    for longer, shorter in zip(batches, batches[1:]):
        assert min(lengths[i] for i in longer) >= max(lengths[i] for i in shorter)


def test_plan_batches_gives_an_over_budget_sentence_its_own_batch():
    assert plan_batches([500, 2, 2], max_tokens=10, max_sentences=8) == [[0], [1, 2]]


def test_chunked_keeps_order():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def count_words(text):
    return len(text.split())


def test_split_prefers_sentence_boundaries_and_never_drops_text():
    text = "One two three. Four five six! Seven eight nine ten."
    split = split_to_fit(text, count_words, 7)
    assert split.ok and split.level == "sentence"
    assert split.segments == ["One two three. Four five six!", "Seven eight nine ten."]
    assert " ".join(split.segments).split() == text.split()


def test_split_falls_back_to_clauses_then_words():
    text = "a b c d e, f g h i j k l m n"
    split = split_to_fit(text, count_words, 4)
    assert split.ok and split.level == "word"
    assert all(count_words(s) <= 4 for s in split.segments)
    assert " ".join(split.segments).split() == text.split()


def test_split_reports_what_cannot_fit():
    assert not split_to_fit("abcdefghij", len, 3).ok
    assert split_to_fit("short", len, 10).segments == ["short"]


def test_join_segments_uses_no_space_for_chinese():
    assert join_segments(["A.", "B."], "de") == "A. B."
    assert join_segments(["你好。", "再见。"], "zh") == "你好。再见。"


@pytest.mark.parametrize("name", ["moses", "whitespace"])
def test_word_tokenizers_keep_exact_character_offsets(name):
    tok = get_word_tokenizer(name, "de")
    text = "Herr Müller wohnt in „Berlin“, nicht in New-York (USA). Er sagt: 3.5 km"
    tokens, offsets = tok(text)
    assert tokens and [text[s:e] for s, e in offsets] == tokens


def test_spacy_word_tokenizer_keeps_offsets_and_falls_back_for_unknown_languages():
    pytest.importorskip("spacy")
    text = "Herr Müller wohnt in „Berlin“, nicht in New-York (USA).  Er sagt: 3.5 km"
    tokens, offsets = get_word_tokenizer("spacy", "de")(text)
    assert "Berlin" in tokens and "  " not in tokens
    assert [text[s:e] for s, e in offsets] == tokens
    assert get_word_tokenizer("spacy", "qq")("hello world.")[0] == ["hello", "world", "."]


def test_moses_splits_punctuation():
    tokens, _ = get_word_tokenizer("moses", "en")("Hello, world!")
    assert tokens == ["Hello", ",", "world", "!"]


def test_unknown_word_tokenizer_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="moses"):
        get_word_tokenizer("nltk", "en")


def test_detokenize_gives_offsets_of_each_token():
    tokens = ["John", "'s", "dog", "(", "big", ")", "costs", "$", "5", "."]
    text, offsets = detokenize(tokens, "en")
    assert text == "John's dog (big) costs $5."
    assert [text[s:e] for s, e in offsets] == tokens
    assert locate("a b", ["a", "c"]) is None


def test_cache_persists_and_separates_namespaces(tmp_path):
    path = tmp_path / "c.sqlite"
    ns1 = namespace("model-a", GenerationOptions(num_beams=1).key(), "en", "de")
    ns2 = namespace("model-a", GenerationOptions(num_beams=4).key(), "en", "de")
    c = TranslationCache(path)
    c.put_many([(entry_key(ns1, "Hello"), Hypothesis("Hallo")), (entry_key(ns1, "Long"), Hypothesis("La", cut=True))])
    c.close()
    c = TranslationCache(path)
    got = c.get_many([entry_key(ns1, "Hello"), entry_key(ns2, "Hello"), entry_key(ns1, "Long")])
    assert got == {entry_key(ns1, "Hello"): Hypothesis("Hallo"), entry_key(ns1, "Long"): Hypothesis("La", True)}
    assert len(c) == 2
    assert NullCache().get_many([entry_key(ns1, "Hello")]) == {}


def test_generation_options_key_and_validation():
    assert GenerationOptions(seed=1).key() == GenerationOptions(seed=2).key()  # seed unused
    assert GenerationOptions(do_sample=True, seed=1).key() != GenerationOptions(do_sample=True, seed=2).key()
    assert GenerationOptions(max_new_tokens=10).key() != GenerationOptions(max_new_tokens=20).key()
    with pytest.raises(XlieError, match="sampling"):
        GenerationOptions(top_k=5)
    with pytest.raises(XlieError):
        GenerationOptions(num_beams=0)


def test_detect_format(tmp_path):
    for name, body, fmt in [("a.jsonl", "{}", "jsonl"), ("b.conllu", "", "conllu"),
                            ("c.conll", "", "conll"), ("d.txt", "", "text"),
                            ("e", '{"id": 1}\n', "jsonl"), ("f", "John\tB-PER\n", "conll"),
                            ("g", "# sent_id = 1\n1\tA\n", "conllu"), ("h", "Just text.\n", "text")]:
        p = tmp_path / name
        p.write_text(body)
        assert detect_format(p) == fmt, name


def test_bad_json_names_file_and_line(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a", "tokens": ["x"]}\n{"id": "b", "tokens": [\n')
    with pytest.raises(InputFormatError) as e:
        list(read_source(p, "en"))
    assert e.value.location == f"{p}:2"


def test_record_without_tokens_or_text_is_an_error(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a"}\n')
    with pytest.raises(InputFormatError, match=r"in.jsonl:1: expected a corpus sentence \(tokens"):
        list(read_source(p, "en"))


def test_jsonl_text_is_used_when_its_tokens_are_in_it(tmp_path):
    p = tmp_path / "in.jsonl"
    rows = [{"id": 1, "text": "Don't panic!"},
            {"id": 2, "tokens": ["Do", "n't", "panic", "!"], "text": "Don't  panic!"},
            {"id": 3, "tokens": ["a", "b"], "text": "something else"}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = list(read_source(p, "en"))
    assert [it.record["id"] for it in items] == ["1", "2", "3"]
    assert items[0].record["tokens"] == ["Don", "'t", "panic", "!"]   # Moses, English
    assert items[1].text == "Don't  panic!"
    assert items[2].text == "a b"          # text does not hold the tokens: detokenized instead


def test_plain_text_keeps_one_record_per_line(tmp_path):
    p = tmp_path / "in.txt"
    p.write_bytes(b"Hello world.\n\n   \nbad \xff byte\nLast line\n")
    items = list(read_source(p, "en"))
    assert [it.record["id"] for it in items] == ["1", "2", "3", "4", "5"]
    assert [it.problem for it in items] == [None, "empty line", "empty line",
                                            "a line that is not valid UTF-8", None]
    assert items[0].record["tokens"] == ["Hello", "world", "."]


def test_conll_and_conllu_inputs(tmp_path):
    conll = tmp_path / "in.conll"
    conll.write_text("John\tB-PER\nlives\tO\nin\tO\nBerlin\tB-LOC\n.\tO\n\nHi\tO\n")
    items = list(read_source(conll, "en"))
    assert [it.text for it in items] == ["John lives in Berlin.", "Hi"]
    assert items[0].record["spans"][1] == {"start": 3, "end": 4, "label": "LOC", "id": "0-1"}
    conllu = tmp_path / "in.conllu"
    conllu.write_text("# sent_id = x1\n# text = Kori schrieb am Montag.\n"
                      "1\tKori\t_\tPROPN\t_\t_\t2\tnsubj\t_\t_\n2\tschrieb\t_\tVERB\t_\t_\t0\troot\t_\t_\n"
                      "3-4\tam\t_\t_\t_\t_\t_\t_\t_\t_\n3\tan\t_\tADP\t_\t_\t5\tcase\t_\t_\n"
                      "4\tdem\t_\tDET\t_\t_\t5\tdet\t_\t_\n5\tMontag\t_\tNOUN\t_\t_\t2\tobl\t_\tSpaceAfter=No\n"
                      "6\t.\t_\tPUNCT\t_\t_\t2\tpunct\t_\t_\n\n")
    (item,) = list(read_source(conllu, "de"))
    assert item.record["id"] == "x1"
    # the surface text (`# text`, "am"), not the syntactic words "an dem": issue 33 asked for it
    assert item.text == "Kori schrieb am Montag."
    bad = tmp_path / "bad.conll"
    bad.write_text("John\tB-PER\nlives\n")
    with pytest.raises(InputFormatError, match="bad.conll:2"):
        list(read_source(bad, "en"))
