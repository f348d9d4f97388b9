"""Frozen lower layers computed once per example for the taggers and the parser
(``selftrain/frozen.py``): the cached path gives what the whole model gives in eval mode,
runs train, save and load back to the same outputs, and the cache is used only where
``freeze_layers`` freezes layers."""
from __future__ import annotations

import json

import pytest
import torch

from test_selftrain_train import cfg, toy_corpus
from xlie.formats.conllu import read_conllu
from xlie.formats.jsonl import read_corpus, write_jsonl
from xlie.selftrain import Tagger, train
from xlie.selftrain.encode import collate, training_features
from xlie.selftrain.frozen import CachedTokenClassifier, cache_lower_layers
from xlie.selftrain.loop import weighted_loss
from xlie.selftrain.metrics import evaluate, main_score
from xlie.selftrain.parser import Parser, relations_of
from xlie.selftrain.parser_train import train_parser


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy-cache")
    write_jsonl(d / "train.jsonl", toy_corpus(32, 0))
    write_jsonl(d / "dev.jsonl", toy_corpus(12, 1))
    return d


def _trees(test_data, n):
    sents = list(read_conllu(test_data / "pud" / "en.conllu"))[:60]
    return sorted(sents, key=lambda s: len(s.tokens))[:n]


def _layer(state: dict, k: int) -> dict:
    return {n: v for n, v in state.items() if f".layer.{k}." in n}


@pytest.mark.parametrize("encoder", ["tiny_xlmr", "tiny_bert"])
def test_a_cached_tagger_gives_the_whole_model_s_logits_and_loss(encoder, request):
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from xlie.selftrain.encode import WindowEncoder
    path = request.getfixturevalue(encoder)
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(path, num_labels=5).eval()
    tok = AutoTokenizer.from_pretrained(path)
    windows = WindowEncoder(tok, 64)
    label2id = {x: k for k, x in enumerate("ABCDE")}
    feats = [f for s in toy_corpus(6, 3)
             for f in training_features(windows, s["tokens"], ["A", "B"] * 20, label2id, 0.5)]
    batch = collate(feats, tok.pad_token_id)
    whole = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    real = batch["attention_mask"].bool()
    for k in (1, 3, 4):
        cached = cache_lower_layers(model, k, tok.pad_token_id, {})
        assert isinstance(cached, CachedTokenClassifier) and cached.split.k == k
        for _ in range(2):   # computed, then read from the cache
            logits = cached(batch["input_ids"], batch["attention_mask"]).logits
            assert torch.allclose(logits[real], whole[real], atol=1e-5)
            assert torch.isclose(weighted_loss(logits, batch["labels"], batch["weight"]),
                                 weighted_loss(whole, batch["labels"], batch["weight"]),
                                 atol=1e-6)
        assert len(cached.split.cache) == len({tuple(f["input_ids"]) for f in feats})
    assert cache_lower_layers(model, 0, tok.pad_token_id) is model
    # a checkpoint of the bare model (made before the cache) loads into the cached one
    other = AutoModelForTokenClassification.from_pretrained(path, num_labels=5)
    cached = cache_lower_layers(other, 2, tok.pad_token_id)
    cached.load_state_dict(model.state_dict())
    assert all(torch.equal(v, other.state_dict()[k]) for k, v in model.state_dict().items())
    assert cache_lower_layers(model, 9, tok.pad_token_id).split.k == 4   # all there are


def test_a_cached_parser_gives_the_whole_parser_s_scores_loss_and_trees(tiny_bert, test_data):
    sents = _trees(test_data, 6)
    torch.manual_seed(0)
    parser = Parser.from_encoder(tiny_bert, relations_of(sents), arc_dim=16, rel_dim=8)
    for p in (parser.head.arc_w, parser.head.rel_w):   # untrained scores are all equal
        torch.nn.init.normal_(p)
    parser.eval()
    batch = parser.batch(sents)
    arc, _, _ = parser(batch)
    loss, trees = parser.loss(batch), parser.predict(sents)
    known = torch.isfinite(arc)
    for k in (2, None):   # freeze_layers 2, then freeze_encoder
        cache: dict = {}
        parser.cache_lower(k, cache)
        assert parser.frozen_layers == (2 if k else 4)
        cached, _, _ = parser(batch)
        assert torch.allclose(cached[known], arc[known], atol=1e-5)
        assert torch.isclose(parser.loss(batch), loss, atol=1e-6)
        assert [p.heads for p in parser.predict(sents)] == [p.heads for p in trees]
        assert [p.deprels for p in parser.predict(sents)] == [p.deprels for p in trees]
        assert len(cache) == len(sents)


def test_a_tagger_with_frozen_layers_trains_on_cached_states_saves_and_loads_back(
        tiny_xlmr, toy, tmp_path):
    cache: dict = {}
    c = cfg(tiny_xlmr, epochs=3, freeze_embeddings=True, freeze_layers=2)
    result = train([toy / "train.jsonl"], tmp_path / "out", c, dev=toy / "dev.jsonl",
                   feature_cache=cache)
    m = result.metrics
    assert m["cached_layers"] == 2 and m["step"] == 12 and len(m["dev"]) == 3
    sents = {s.id: s.tokens for f in ("train.jsonl", "dev.jsonl")
             for s in read_corpus(toy / f)}
    assert len(cache) == len({tuple(t) for t in sents.values()})   # each text computed once
    # the lowest 2 layers and the embeddings as they were, the layers above trained
    from transformers import AutoModel
    base = AutoModel.from_pretrained(tiny_xlmr).state_dict()
    after = AutoModel.from_pretrained(result.model_dir).state_dict()
    assert all(torch.equal(base[n], after[n]) for n in {**_layer(base, 1), **{
        n: v for n, v in base.items() if n.startswith("embeddings.")}})
    assert any(not torch.equal(base[n], after[n]) for n in _layer(base, 2))
    # the directory loads as any tagger's, and scores on dev what training scored for it
    dev = list(read_corpus(toy / "dev.jsonl"))
    loaded = Tagger.load(result.model_dir, device="cpu")
    best = max(m["dev"], key=lambda d: main_score("ner", d))
    assert main_score("ner", evaluate(loaded, dev)) == pytest.approx(main_score("ner", best))
    # the loaded tagger over the training cache gives the loaded model's own outputs
    words = [s.tokens for s in dev]
    plain = loaded.predict_words(words)
    loaded.model = cache_lower_layers(loaded.model, 2, 1, cache)
    assert all(torch.allclose(torch.from_numpy(a.probs), torch.from_numpy(b.probs), atol=1e-5)
               for a, b in zip(loaded.predict_words(words), plain))


def test_an_interrupted_cached_tagger_run_resumes_to_the_same_model(tiny_xlmr, toy, tmp_path):
    c = cfg(tiny_xlmr, checkpoint_every=4, freeze_embeddings=True, freeze_layers=3)
    full = train([toy / "train.jsonl"], tmp_path / "full", c)

    def interrupt(step, loss):
        if step == 4:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        train([toy / "train.jsonl"], tmp_path / "cut", c, on_step=interrupt)
    resumed = train([toy / "train.jsonl"], tmp_path / "cut", c)
    assert resumed.metrics["resumed_at_step"] == 4 and resumed.metrics["cached_layers"] == 3
    assert resumed.metrics["losses"] == pytest.approx(full.metrics["losses"], abs=1e-4)
    from safetensors.torch import load_file
    a = load_file(full.model_dir / "model.safetensors")
    b = load_file(resumed.model_dir / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_a_parser_with_frozen_layers_trains_on_cached_states_saves_and_loads_back(
        tiny_bert, test_data, tmp_path):
    sents = _trees(test_data, 8)
    torch.manual_seed(0)
    cache: dict = {}
    parser = train_parser(sents[:6], tmp_path / "p", tiny_bert, epochs=4, batch_size=3,
                          lr=1e-3, head_lr=5e-3, arc_dim=32, rel_dim=8, freeze_layers=2,
                          dev=sents[6:], feature_cache=cache)
    m = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert m["cached_layers"] == 2 and m["step"] == 8
    assert parser.frozen_layers == 2 and parser.feature_cache is cache
    assert len(cache) == len(sents)    # training and dev sentences, each computed once
    from transformers import AutoModel
    base = AutoModel.from_pretrained(tiny_bert).state_dict()
    after = Parser.load(tmp_path / "p").encoder.state_dict()
    assert all(torch.equal(base[n], after[n]) for n in _layer(base, 1))
    assert any(not torch.equal(base[n], after[n]) for n in _layer(base, 3))
    cached = parser.predict(sents)
    fresh = Parser.load(tmp_path / "p").predict(sents)   # no cache: every layer runs
    assert [p.heads for p in fresh] == [p.heads for p in cached]
    assert [p.deprels for p in fresh] == [p.deprels for p in cached]
    flat = lambda pred: [x for p in pred for x in p.arc_scores]
    assert flat(fresh) == pytest.approx(flat(cached), abs=1e-3)


@pytest.mark.parametrize("freeze_embeddings", [True, False])
def test_no_cache_without_frozen_layers(tiny_xlmr, tiny_bert, test_data, toy, tmp_path,
                                        freeze_embeddings):
    cache: dict = {}
    c = cfg(tiny_xlmr, epochs=1, freeze_embeddings=freeze_embeddings, freeze_layers=0)
    m = train([toy / "train.jsonl"], tmp_path / "t", c, dev=toy / "dev.jsonl",
              feature_cache=cache).metrics
    assert m["cached_layers"] == 0 and cache == {}
    parser = train_parser(_trees(test_data, 4), tmp_path / "p", tiny_bert, epochs=1,
                          arc_dim=16, rel_dim=8, freeze_embeddings=freeze_embeddings,
                          feature_cache=cache)
    assert parser.feature_cache is None and parser.frozen_layers == 0 and cache == {}
    assert json.loads((tmp_path / "p" / "metrics.json").read_text())["cached_layers"] == 0


def test_a_full_cache_keeps_no_more_states_and_gives_the_same_outputs(tiny_xlmr, monkeypatch):
    from transformers import AutoModel, AutoTokenizer
    from xlie.selftrain import frozen
    enc, tok = AutoModel.from_pretrained(tiny_xlmr).eval(), AutoTokenizer.from_pretrained(tiny_xlmr)
    batch = tok(["Anna works", "Boris met Clara at Acme .", "Prague"], padding=True,
                return_tensors="pt")
    whole = enc(**batch).last_hidden_state
    real = batch["attention_mask"].bool()
    first = int(batch["attention_mask"][0].sum())
    monkeypatch.setattr(frozen, "CACHE_BYTES", 4 * 32 * first)   # room for the first only
    split = frozen.SplitEncoder(enc, 2, tok.pad_token_id)
    for _ in range(2):
        assert torch.allclose(split(batch["input_ids"], batch["attention_mask"])[real],
                              whole[real], atol=1e-5)
        assert len(split.cache) == 1 and split.kept == 4 * 32 * first
    again = frozen.SplitEncoder(enc, 2, tok.pad_token_id, split.cache)
    assert again.kept == split.kept   # a shared cache counts what it already holds
