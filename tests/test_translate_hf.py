"""The translation stage end to end on tiny random Marian and M2M100 models."""
import json

import pytest
from translate_helpers import (SENTENCES, KilledAfter, kill_after, one_thread, tiny_m2m100,  # noqa: F401
                               tiny_marian, write_corpus)

from xlie.errors import UnknownNameError
from xlie.translation import translate
from xlie.translation.backends.hf import HFBackend
from xlie.translation.options import GenerationOptions

pytestmark = pytest.mark.usefixtures("one_thread")
GREEDY = GenerationOptions(num_beams=1, max_new_tokens=12)


def greedy_one_by_one(model_dir, texts, forced_lang=None):
    """The plain transformers way, one sentence at a time: what xlie must reproduce."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()
    model.generation_config.max_length = None
    kw = {}
    if forced_lang:
        tok.src_lang = "en"
        kw["forced_bos_token_id"] = tok.get_lang_id(forced_lang)
    out = []
    for t in texts:
        with torch.inference_mode():
            ids = model.generate(**tok([t], return_tensors="pt"), num_beams=1, do_sample=False,
                                 max_new_tokens=12, **kw)[0].tolist()
        if forced_lang:
            ids = ids[2:]  # decoder start, language token
        out.append(tok.decode([i for i in ids if i < len(tok.get_vocab())], skip_special_tokens=True).strip())
    return out


def read(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_greedy_output_is_deterministic_and_matches_plain_generate(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(SENTENCES) + "\n")
    rep = translate(src, tmp_path / "out.jsonl", tiny_marian(), "en", "de", beam=1,
                    max_new_tokens=12, cache=False, batch_size=3)
    got = [r["translation"]["text"] for r in read(tmp_path / "out.jsonl")]
    assert got == greedy_one_by_one(tiny_marian(), SENTENCES)
    assert len(set(got)) > 3          # the tiny model's output depends on its input
    assert rep.counts.translated == len(set(SENTENCES))   # the repeated sentence once
    again = translate(src, tmp_path / "again.jsonl", tiny_marian(), "en", "de", beam=1,
                      max_new_tokens=12, cache=False, batch_size=8)
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()
    assert again.counts.model_calls == 1


def test_output_keeps_records_ids_and_word_offsets(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl")
    translate(src, tmp_path / "out.jsonl", tiny_marian(), "en", "de", beam=2, max_new_tokens=8, cache=False)
    out = read(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == [f"s{k}" for k in range(len(SENTENCES))]
    for r in out:
        tr = r["translation"]
        assert tr["lang"] == "de" and r["tokens"]
        assert [tr["text"][s:e] for s, e in tr["offsets"]] == tr["tokens"]


def test_rerun_hits_the_cache_and_translates_nothing(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl")
    cache = tmp_path / "cache.sqlite"
    first = HFBackend(tiny_marian(), "en", "de", GREEDY)
    translate(src, tmp_path / "a.jsonl", backend=first, beam=1, max_new_tokens=12, cache=cache)
    assert first.sentences == len(set(SENTENCES)) and first.calls >= 1
    second = HFBackend(tiny_marian(), "en", "de", GREEDY)
    rep = translate(src, tmp_path / "b.jsonl", backend=second, beam=1, max_new_tokens=12, cache=cache)
    assert second.calls == 0 and second.sentences == 0
    assert rep.counts.cache_hits == len(set(SENTENCES)) and rep.counts.translated == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    # an overlapping corpus translates only what is new
    other = write_corpus(tmp_path / "other.jsonl", SENTENCES[:3] + ["A sentence never seen ."])
    third = HFBackend(tiny_marian(), "en", "de", GREEDY)
    translate(other, tmp_path / "c.jsonl", backend=third, beam=1, max_new_tokens=12, cache=cache)
    assert third.sentences == 1
    # other generation options are other cache entries
    fourth = HFBackend(tiny_marian(), "en", "de", GenerationOptions(num_beams=2, max_new_tokens=12))
    translate(other, tmp_path / "d.jsonl", backend=fourth, beam=2, max_new_tokens=12, cache=cache)
    assert fourth.sentences == 4


def test_resume_after_a_kill_gives_the_uninterrupted_output(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl")
    opts = dict(beam=1, max_new_tokens=12, cache=False, sort_window=2)
    translate(src, tmp_path / "full.jsonl", tiny_marian(), "en", "de", **opts)
    out = tmp_path / "out.jsonl"
    doomed = kill_after(HFBackend(tiny_marian(), "en", "de", GREEDY), calls=2)
    with pytest.raises(KilledAfter):
        translate(src, out, backend=doomed, **opts)
    assert not out.exists()                                  # never a half file under the name
    partial = tmp_path / ".out.jsonl.partial"
    assert len(partial.read_text().splitlines()) == 4        # two windows of two were complete
    with open(partial, "a") as f:
        f.write('{"id": "s4", "lang": "en", "tok')           # killed in the middle of a line
    fresh = HFBackend(tiny_marian(), "en", "de", GREEDY)
    rep = translate(src, out, backend=fresh, **opts)
    assert rep.resumed == 4
    assert fresh.sentences == len(set(SENTENCES[4:]))        # only what was left
    assert out.read_bytes() == (tmp_path / "full.jsonl").read_bytes()
    assert not partial.exists()


def test_resume_is_not_used_when_the_settings_changed(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    doomed = kill_after(HFBackend(tiny_marian(), "en", "de", GREEDY), calls=1)
    with pytest.raises(KilledAfter):
        translate(src, out, backend=doomed, beam=1, max_new_tokens=12, cache=False, sort_window=2)
    other = HFBackend(tiny_marian(), "en", "de", GenerationOptions(num_beams=2, max_new_tokens=12))
    rep = translate(src, out, backend=other, beam=2, max_new_tokens=12, cache=False, sort_window=2)
    assert rep.resumed == 0 and len(read(out)) == len(SENTENCES)


def test_m2m100_source_code_and_forced_target_language(tmp_path):
    be = HFBackend(tiny_m2m100(), "en", "de", GREEDY)
    tok = be.mt.tok
    assert be.encode(["Hello"])[0][0] == tok.get_lang_id("en")       # __en__ starts the input
    assert be.generation_config.forced_bos_token_id == tok.get_lang_id("de")
    src = tmp_path / "in.txt"
    src.write_text("\n".join(SENTENCES[:4]) + "\n")
    outs = {}
    for lang in ("de", "fr"):
        translate(src, tmp_path / f"{lang}.jsonl", tiny_m2m100(), "en", lang, beam=1,
                  max_new_tokens=12, cache=False)
        outs[lang] = [r["translation"]["text"] for r in read(tmp_path / f"{lang}.jsonl")]
        assert outs[lang] == greedy_one_by_one(tiny_m2m100(), SENTENCES[:4], forced_lang=lang)
        assert not any("__" in t for t in outs[lang])                # language token not in text
    assert outs["de"] != outs["fr"]
    with pytest.raises(UnknownNameError, match="language code"):
        HFBackend(tiny_m2m100(), "en", "xx", GREEDY)


def test_multi_target_marian_gets_the_target_token(tmp_path):
    from tiny_models import training_text

    from random_model import build_random_marian
    d = build_random_marian(tmp_path / "multi", training_text(100), vocab_size=300,
                            lang_tokens=[">>de<<", ">>cs<<"])
    be = HFBackend(d, "en", "cs", GREEDY)
    assert be.encode(["Hello"])[0][0] == be.mt.tok.convert_tokens_to_ids(">>cs<<")
    with pytest.raises(UnknownNameError, match="cs, de"):
        HFBackend(d, "en", "fr", GREEDY)


def test_cut_translations_are_reported(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES[:2])
    rep = translate(src, tmp_path / "out.jsonl", tiny_marian(), "en", "de", beam=1,
                    max_new_tokens=3, cache=False)
    out = read(tmp_path / "out.jsonl")
    assert rep.counts.cut == sum(1 for r in out if r["translation"].get("cut")) > 0


def test_nllb_codes_iso_mapping_and_forced_target(tmp_path):
    from tiny_models import training_text

    from random_model import build_random_nllb
    d = build_random_nllb(tmp_path / "nllb", training_text(100))
    be = HFBackend(d, "en", "de", GREEDY)                 # ISO codes map to FLORES-200 codes
    tok = be.mt.tok
    assert be.encode(["Hello"])[0][0] == tok.convert_tokens_to_ids("eng_Latn")
    assert be.generation_config.forced_bos_token_id == tok.convert_tokens_to_ids("deu_Latn")
    same = HFBackend(d, "eng_Latn", "deu_Latn", GREEDY)   # the codes themselves work too
    assert same.generation_config.forced_bos_token_id == be.generation_config.forced_bos_token_id
    ids = be.encode(SENTENCES[:3])
    assert [h.text for h in be.translate_ids(ids)] == [h.text for h in same.translate_ids(ids)]
    assert all("Latn" not in h.text for h in be.translate_ids(ids))
    with pytest.raises(UnknownNameError, match="deu_Latn"):
        HFBackend(d, "en", "tlh", GREEDY)


def test_max_new_tokens_past_the_decoder_positions_is_capped_with_a_warning(tmp_path, caplog):
    """The tiny Marian has 128 decoder positions: asking for 1000 new tokens used to crash
    mid-corpus with an IndexError and leave .partial files; now the cap is the model's."""
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES[:3])
    out = tmp_path / "out.jsonl"
    with caplog.at_level("WARNING"):
        rep = translate(src, out, tiny_marian(), "en", "de", beam=1, max_new_tokens=1000,
                        cache=False)
    assert rep.counts.translated == 3 and len(read(out)) == 3
    assert any("capped at 127" in r.getMessage() for r in caplog.records)
    assert not [p.name for p in tmp_path.iterdir() if ".partial" in p.name]
