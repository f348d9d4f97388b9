"""The CTranslate2 backend (skipped where ctranslate2 is not installed)."""
import json

import pytest
from translate_helpers import SENTENCES, one_thread, tiny_m2m100, tiny_marian, write_corpus  # noqa: F401

from xlie.translation import translate
from xlie.translation.backends.hf import HFBackend
from xlie.translation.options import GenerationOptions

pytest.importorskip("ctranslate2")
from xlie.translation.backends.ct2 import CT2Backend, convert_to_ct2  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")
GREEDY = GenerationOptions(num_beams=1, max_new_tokens=12)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XLIE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_ct2_translates_like_transformers(home):
    for model, exact in ((tiny_m2m100(), True), (tiny_marian(), False)):
        hf, ct2 = HFBackend(model, "en", "de", GREEDY), CT2Backend(model, "en", "de", GREEDY)
        assert ct2.max_input_tokens == hf.max_input_tokens
        assert ct2.key != hf.key                          # separate cache entries
        ids = hf.encode(SENTENCES)
        a = [h.text for h in hf.translate_ids(ids)]
        b = [h.text for h in ct2.translate_ids(ids)]
        if exact:
            assert a == b
        else:  # Marian's forced EOS takes the last slot in transformers, not in CTranslate2
            assert all(y.startswith(x.rsplit(" ", 1)[0]) for x, y in zip(a, b))
    assert len(list((home / "ct2").iterdir())) == 2       # converted once each, into XLIE_HOME


def test_ct2_backend_from_a_converted_directory_via_translate(home, tmp_path):
    converted = convert_to_ct2(tiny_m2m100(), tmp_path / "m2m-ct2")
    assert (converted / "model.bin").exists()
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES[:3])
    rep = translate(src, tmp_path / "out.jsonl", converted, "en", "fr", backend="ct2", beam=2,
                    max_new_tokens=8, cache=tmp_path / "c.sqlite", dtype="int8")
    assert rep.counts.translated == 3
    out = [json.loads(line) for line in open(tmp_path / "out.jsonl")]
    assert [r["id"] for r in out] == ["s0", "s1", "s2"]
    assert all(r["translation"]["lang"] == "fr" and "__" not in r["translation"]["text"] for r in out)
    assert any(r["translation"]["text"] for r in out)


def test_ct2_caps_max_new_tokens_at_the_decoder_positions(home, caplog):
    with caplog.at_level("WARNING"):
        ct2 = CT2Backend(tiny_marian(), "en", "de", GenerationOptions(num_beams=1,
                                                                      max_new_tokens=1000))
    assert ct2.options.max_new_tokens == 127
    assert any("capped at 127" in r.getMessage() for r in caplog.records)
    assert len(ct2.translate_ids(ct2.encode(SENTENCES[:2]))) == 2
