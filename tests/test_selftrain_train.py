"""Self-training stage on tiny random encoders: training, saving, resuming, rounds, CLI."""
from __future__ import annotations

import json
import random

import pytest
import torch

from xlie.formats.jsonl import read_corpus, write_jsonl
from xlie.selftrain import SelfTrainConfig, SelectConfig, Tagger, train_settings, train
from xlie.selftrain.pseudo import select_pseudo_labels
from xlie.selftrain.rounds import self_train

PEOPLE = ["John", "Maria", "Peter", "Anna", "Havel"]
PLACES = ["Berlin", "Prague", "Paris", "Europe", "Brussels"]
ORGS = ["Commission", "Parliament", "Council"]
TEMPLATES = ["{P} lives in {L} .", "The {O} met {P} in {L} .", "{P} said that the {O} is in {L} .",
             "I thank {P} for the report on {L} ."]


def toy_corpus(n: int, seed: int = 0, labeled: bool = True) -> list[dict]:
    """Sentences from templates; spans on the filled slots."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        words, spans = [], []
        for piece in rng.choice(TEMPLATES).split():
            if piece[0] == "{":
                label = {"{P}": "PER", "{L}": "LOC", "{O}": "ORG"}[piece]
                pool = {"PER": PEOPLE, "LOC": PLACES, "ORG": ORGS}[label]
                spans.append({"start": len(words), "end": len(words) + 1, "label": label})
                piece = rng.choice(pool)
            words.append(piece)
        out.append({"id": f"t{seed}-{k}", "tokens": words, "spans": spans if labeled else []})
    return out


def cfg(model, **kw) -> "TrainSettings":
    base = dict(model=str(model), epochs=2, batch_size=8, lr=2e-3, head_lr=None, warmup_ratio=0.0,
                freeze_embeddings=False, checkpoint_every=1000, patience=None)
    base.update(kw)
    return train_settings(**base)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy")
    write_jsonl(d / "train.jsonl", toy_corpus(48, 0))
    write_jsonl(d / "dev.jsonl", toy_corpus(12, 1))
    write_jsonl(d / "pool.jsonl", toy_corpus(16, 2, labeled=False))
    return d


@pytest.fixture(scope="module")
def trained(tiny_xlmr, toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("trained")
    return train([toy / "train.jsonl"], out, cfg(tiny_xlmr, epochs=3), dev=toy / "dev.jsonl")


def test_training_decreases_the_loss(trained):
    losses = trained.metrics["losses"]
    assert len(losses) == trained.metrics["step"] > 10
    assert sum(losses[-3:]) / 3 < 0.7 * sum(losses[:3]) / 3
    assert trained.metrics["dev"] and trained.metrics["best"] is not None


def test_saved_tagger_loads_with_plain_transformers(trained, toy):
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    model = AutoModelForTokenClassification.from_pretrained(trained.model_dir).eval()
    tok = AutoTokenizer.from_pretrained(trained.model_dir)
    assert model.config.id2label[0] == "O" and "B-PER" in model.config.label2id
    assert model.config.xlie_task == "ner"
    sents = list(read_corpus(toy / "dev.jsonl"))
    words = sents[0].tokens
    enc = tok(words, is_split_into_words=True, return_tensors="pt")
    with torch.inference_mode():
        logits = model(**enc).logits[0]  # (T, C)
    first = [i for i, w in enumerate(enc.word_ids()) if w is not None and
             (i == 0 or enc.word_ids()[i - 1] != w)]
    plain = [model.config.id2label[int(logits[i].argmax())] for i in first]
    # xlie's Tagger on the saved directory gives the same labels and confidences
    tagger = Tagger.load(trained.model_dir, device="cpu")
    (pred,) = tagger.predict_words([words])
    assert pred.labels == plain
    probs = torch.softmax(logits[first], -1).max(-1).values.tolist()
    assert pred.scores == pytest.approx(probs, abs=1e-5)
    # load twice: identical predictions
    again = Tagger.load(trained.model_dir, device="cpu").predict_words([s.tokens for s in sents])
    first_run = tagger.predict_words([s.tokens for s in sents])
    assert [p.labels for p in again] == [p.labels for p in first_run]
    assert all((a.probs == b.probs).all() for a, b in zip(again, first_run))


def test_a_200_word_sentence_gets_a_prediction_for_every_word(trained):
    tagger = Tagger.load(trained.model_dir, device="cpu")
    assert tagger.encoder.max_length == 62
    words = " ".join(toy_corpus(40, 5)[i]["tokens"][j] for i in range(40) for j in range(5)).split()
    assert len(words) == 200
    (sent,) = tagger.predict([__import__("xlie.corpus").corpus.Sentence(id="long", tokens=words)])
    assert len(sent.tag_scores) == 200 and all(0 < s <= 1 for s in sent.tag_scores)
    assert all(s.end <= 200 for s in sent.spans)
    (pred,) = tagger.predict_words([words])
    assert (pred.probs.sum(-1) > 0.99).all()  # no word left without a distribution


def test_resume_after_an_interruption_gives_the_same_model(tiny_xlmr, toy, tmp_path):
    c = cfg(tiny_xlmr, checkpoint_every=4)
    full = train([toy / "train.jsonl"], tmp_path / "full", c)

    def interrupt(step, loss):
        if step == 8:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        train([toy / "train.jsonl"], tmp_path / "cut", c, on_step=interrupt)
    assert not (tmp_path / "cut" / "metrics.json").exists()
    from xlie.errors import XlieError
    with pytest.raises(XlieError, match="checkpoint made with other settings"):
        train([toy / "train.jsonl"], tmp_path / "cut", cfg(tiny_xlmr, checkpoint_every=4, lr=1e-3))
    resumed = train([toy / "train.jsonl"], tmp_path / "cut", c)
    assert resumed.metrics["resumed_at_step"] == 8
    assert resumed.metrics["step"] == full.metrics["step"]
    assert resumed.metrics["losses"] == pytest.approx(full.metrics["losses"], abs=1e-4)
    from safetensors.torch import load_file
    a = load_file(full.model_dir / "model.safetensors")
    b = load_file(resumed.model_dir / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)
    # a finished directory is not trained again, nor reused with other settings
    again = train([toy / "train.jsonl"], tmp_path / "cut", c)
    assert again.metrics["seconds"] == resumed.metrics["seconds"]
    from xlie.errors import XlieError
    with pytest.raises(XlieError, match="other settings"):
        train([toy / "train.jsonl"], tmp_path / "cut", cfg(tiny_xlmr, checkpoint_every=4, lr=1e-3))


def test_silver_mixing_and_label_mismatch(tiny_xlmr, toy, tmp_path):
    silver = toy_corpus(16, 3)
    silver[0]["spans"][0]["score"] = 0.1
    silver[1]["spans"].append({"start": 0, "end": 1, "label": "MISC"})
    write_jsonl(tmp_path / "silver.jsonl", silver)
    from xlie.errors import InputFormatError
    with pytest.raises(InputFormatError, match="silver.jsonl:2"):
        train([toy / "train.jsonl"], tmp_path / "bad", cfg(tiny_xlmr, epochs=1),
              silver=[tmp_path / "silver.jsonl"])
    c = cfg(tiny_xlmr, epochs=1, unknown_labels="skip", min_silver_score=0.5, silver_ratio=0.5)
    r = train([toy / "train.jsonl"], tmp_path / "ok", c, silver=[tmp_path / "silver.jsonl"])
    assert r.metrics["data"]["silver"] == {"read": 16, "kept": 15, "skipped_unknown_label": 1,
                                           "low_score_spans": 1}
    assert r.metrics["data"]["label_sets"]["missing_in_silver"] == []
    # 48 source sentences + 24 sampled silver ones, batches of 8
    assert r.metrics["step"] == 9


def test_one_round_selects_exactly_what_the_threshold_says(tiny_xlmr, toy, tmp_path):
    c = cfg(tiny_xlmr, epochs=2)
    # round 0 first, to put the threshold in the middle of its confidences (a finished round
    # is not trained again by self_train)
    r0 = train([toy / "train.jsonl"], tmp_path / "run" / "round-0", c)
    tagger = Tagger.load(r0.model_dir, device="cpu")
    pool = list(read_corpus(toy / "pool.jsonl"))
    predicted = tagger.predict(pool)
    scores = sorted(x for s in predicted for x in s.tag_scores)
    t = scores[len(scores) // 2]
    rc = SelfTrainConfig(train=c, rounds=1, select=SelectConfig(mode="threshold", threshold=t))
    summary = self_train([toy / "train.jsonl"], [toy / "pool.jsonl"], tmp_path / "run", rc)
    assert [r["round"] for r in summary["rounds"]] == [0, 1]
    # recompute round 1's pseudo-labels from the round-0 tagger's predictions
    expect = []
    for s in predicted:
        mask = [sc >= t for sc in s.tag_scores]
        for sp in s.spans:  # a span is kept or dropped as a whole, on its own score
            mask[sp.start:sp.end] = [sp.score >= t] * (sp.end - sp.start)
        spans = [(x.start, x.end, x.label) for x in s.spans if x.score >= t]
        if any(mask):
            expect.append((s.id, mask, spans))
    got = [(s.id, s.label_mask, [(x.start, x.end, x.label) for x in s.spans])
           for s in read_corpus(tmp_path / "run" / "round-1" / "pseudo.jsonl")]
    assert got == expect
    assert 0 < sum(sum(m) for _, m, _ in got) < len(scores)  # some kept, some not
    sel = json.loads((tmp_path / "run" / "round-1" / "selection.json").read_text())
    assert sel["kept_sentences"] == len(expect)
    r1 = json.loads((tmp_path / "run" / "round-1" / "metrics.json").read_text())
    assert r1["data"]["pseudo"]["kept"] == len(expect)
    assert (tmp_path / "run" / "summary.json").exists()


def test_cli_train_predict_and_errors(tiny_xlmr, toy, tmp_path):
    from click.testing import CliRunner
    from xlie.cli import cli
    runner = CliRunner()
    out = tmp_path / "t"
    res = runner.invoke(cli, ["selftrain", "train", str(toy / "train.jsonl"), "-o", str(out),
                              "--model", str(tiny_xlmr), "--epochs", "1",
                              "--set", "train.batch_size=16"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "metrics.json").read_text())["step"] == 3
    pred = tmp_path / "pred.jsonl"
    res = runner.invoke(cli, ["selftrain", "predict", str(toy / "dev.jsonl"), "-o", str(pred),
                              "--model", str(out / "model"), "--score"])
    assert res.exit_code == 0, res.output
    rows = list(read_corpus(pred))
    assert len(rows) == 12 and all(len(r.tag_scores) == len(r.tokens) for r in rows)
    assert '"f1"' in res.output
    res = runner.invoke(cli, ["selftrain", "predict", str(pred), "-o", str(pred),
                              "--model", str(out / "model")])
    assert res.exit_code == 2 and "refusing to write over input" in res.output
    res = runner.invoke(cli, ["selftrain", "train", str(toy / "train.jsonl"), "-o", str(out),
                              "--model", str(tiny_xlmr), "--set", "train.epoch=1"])
    assert res.exit_code == 2 and "train.epoch" in res.output


def test_docbin_output_is_readable_by_spacy(trained, toy, tmp_path):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin
    from xlie.selftrain.output import predict_file
    predict_file(trained.model_dir, [toy / "dev.jsonl"], tmp_path / "p.spacy")
    predict_file(trained.model_dir, [toy / "dev.jsonl"], tmp_path / "p.jsonl")
    docs = list(DocBin().from_disk(tmp_path / "p.spacy").get_docs(spacy.blank("xx").vocab))
    rows = list(read_corpus(tmp_path / "p.jsonl"))
    assert len(docs) == 12
    for doc, row in zip(docs, rows):
        assert [t.text for t in doc] == row.tokens
        assert [(e.start, e.end, e.label_) for e in doc.ents] == \
            [(s.start, s.end, s.label) for s in row.spans]


def test_pos_tagger_from_conllu_and_ner_from_conll(tiny_xlmr, toy, tmp_path):
    from xlie.corpus import Sentence
    from xlie.formats.conll import write_conll
    from xlie.formats.conllu import read_conllu, write_conllu
    from xlie.selftrain.output import predict_file
    sents = [Sentence.model_validate(r) for r in toy_corpus(24, 7)]
    tagged = [s.model_copy(update={"tags": ["PROPN" if w[0].isupper() else "PUNCT" if w == "."
                                            else "X" for w in s.tokens], "spans": []})
              for s in sents]
    write_conllu(tmp_path / "pos.conllu", tagged)
    r = train([tmp_path / "pos.conllu"], tmp_path / "pos", cfg(tiny_xlmr, task="pos", epochs=1))
    assert r.metrics["labels"] == ["PROPN", "PUNCT", "X"]
    report = predict_file(r.model_dir, [tmp_path / "pos.conllu"], tmp_path / "out.conllu", score=True)
    assert report["task"] == "pos" and 0 <= report["scores"]["accuracy"] <= 100
    out = list(read_conllu(tmp_path / "out.conllu"))
    assert [len(s.tags) for s in out] == [len(s.tokens) for s in tagged]
    # NER from CoNLL in, CoNLL out
    write_conll(tmp_path / "ner.conll", sents)
    r = train([tmp_path / "ner.conll"], tmp_path / "ner", cfg(tiny_xlmr, epochs=1))
    assert r.metrics["data"]["source"]["kept"] == 24
    predict_file(r.model_dir, [toy / "dev.jsonl"], tmp_path / "pred.conll")
    blocks = (tmp_path / "pred.conll").read_text().strip().split("\n\n")
    assert len(blocks) == 12


def test_a_run_saved_before_a_new_setting_existed_is_reused_at_its_default(trained, toy,
                                                                           tmp_path):
    """A finished run whose settings lack a key xlie added later was refused as "trained
    with other settings" after every upgrade; at the new key's default it is the same run."""
    import shutil

    from xlie.errors import XlieError
    from xlie.selftrain.trainer_setup import same_settings
    out = tmp_path / "old"
    shutil.copytree(trained.model_dir.parent, out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["silver_weight"] == 1.0          # the default
    del metrics["config"]["silver_weight"]                     # as if saved before it existed
    (out / "metrics.json").write_text(json.dumps(metrics))
    again = train([toy / "train.jsonl"], out, cfg(metrics["config"]["model"], epochs=3),
                  dev=toy / "dev.jsonl")
    assert again.metrics["seconds"] == trained.metrics["seconds"]     # reused, not retrained
    # a new key away from its default, or a changed value, is still another run
    current = dict(trained.metrics["config"])
    assert not same_settings(metrics["config"], dict(current, silver_weight=2.0))
    assert not same_settings(trained.metrics["config"], dict(current, lr=1.0))
    assert not same_settings(dict(current, gone=1), current)
    with pytest.raises(XlieError, match="other settings"):
        train([toy / "train.jsonl"], out, cfg(metrics["config"]["model"], epochs=3,
                                              silver_weight=2.0), dev=toy / "dev.jsonl")
