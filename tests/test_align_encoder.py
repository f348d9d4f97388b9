"""The encoder wrapper on tiny random BERT and XLM-R models: word mapping and windowing."""
import pytest
import torch

from xlie.aligners import Aligner
from xlie.aligners.encoder import Encoder

WORDS = "I tried to examine myself . Pokusil jsem se".split()


@pytest.fixture(params=["tiny_bert", "tiny_xlmr"])
def tiny(request):
    return request.getfixturevalue(request.param)


def test_every_word_gets_vectors_and_layer_is_respected(tiny):
    enc = Encoder(str(tiny), layer=2)
    assert len(enc.model.encoder.layer) == 2          # layers above 2 are never run
    (out,) = enc.encode([WORDS])
    assert set(out.word_ids.tolist()) == set(range(len(WORDS)))
    assert out.vectors.shape == (len(out.word_ids), enc.model.config.hidden_size)


def test_wrapped_model_gives_the_loaded_encoders_vectors_and_stays_whole(tiny):
    """Encoder.wrap (the checkpoint evaluator's view of the model under training) reads the
    same layer as a loaded Encoder, without cutting the layers above it off the model."""
    from transformers import AutoModel
    from xlie.models import load_tokenizer
    loaded = Encoder(str(tiny), layer=2)
    model = AutoModel.from_pretrained(str(tiny)).eval()
    n_layers = len(model.encoder.layer)
    wrapped = Encoder.wrap(str(tiny), model, load_tokenizer(str(tiny)), layer=2)
    (a,), (b,) = loaded.encode([WORDS]), wrapped.encode([WORDS])
    assert torch.equal(a.word_ids, b.word_ids)
    assert torch.allclose(a.vectors, b.vectors, atol=1e-5)
    assert len(model.encoder.layer) == n_layers > 2
    top = Encoder.wrap(str(tiny), model, load_tokenizer(str(tiny)), layer=n_layers)
    assert not torch.allclose(top.encode([WORDS])[0].vectors, b.vectors, atol=1e-3)


def test_layer_out_of_range_is_an_error(tiny):
    from xlie.errors import XlieError
    with pytest.raises(XlieError, match="out of range"):
        Encoder(str(tiny), layer=99)


def test_windowing_does_not_change_a_sentence_under_the_limit(tiny):
    enc = Encoder(str(tiny), layer=3)
    (whole,) = enc.encode([WORDS])
    enc.max_content = len(whole.word_ids) + 1       # still one window
    (again,) = enc.encode([WORDS])
    assert torch.allclose(whole.vectors, again.vectors, atol=1e-5)


def test_long_input_is_windowed_not_truncated(tiny):
    enc = Encoder(str(tiny), layer=3)
    long = (WORDS * 250)[:2000]
    (out,) = enc.encode([long])
    assert out.n_words == 2000
    assert set(out.word_ids.tolist()) == set(range(2000))   # nothing cut
    assert len(out.word_ids) > enc.max_content * 10
    assert out.vectors[-5:].abs().sum() > 0                   # the end has real vectors


def test_two_thousand_word_pair_aligns_words_near_its_end(tiny):
    long = (WORDS * 250)[:2000]
    al = Aligner(str(tiny), layer=1, extraction="argmax")
    (res,) = al.align_pairs([(long, long)])
    near_end = {(i, j) for i, j, _ in res.links if i >= 1990}
    assert near_end, "no links near the end of a 2,000-word pair"
    assert sum(i == j for i, j in near_end) >= len(near_end) // 2


def test_pieces_without_characters_are_dropped(tiny_xlmr):
    enc = Encoder(str(tiny_xlmr), layer=1)
    [(ids, wids)] = enc.tokenize([["a", ".", "b"]])
    assert all(not enc.is_empty_piece(i) for i in ids) or len(set(wids)) == 3
    assert set(wids) == {0, 1, 2}
