"""Aligner fine-tuning on tiny random encoders: objectives, save/load, resume, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tiny_models import ENCS

from xlie.aligners.training import load_train_config, train_aligner
from xlie.aligners.training.data import Collator, read_pairs
from xlie.aligners.training.model import AlignTrainingModel, load_mlm_model
from xlie.errors import ConfigError, InputFormatError

FALLBACK = [("the cat sat on the mat .", "die Katze saß auf der Matte ."),
            ("I tried to examine myself .", "Pokusil jsem se sám se prohlédnout ."),
            ("the session is adjourned .", "die Sitzung ist unterbrochen .")]


def pair_lines(n: int) -> list[str]:
    """Real short pairs from encs (or a fallback), all within the tiny models' 64 positions."""
    lines = []
    if ENCS.exists():
        for line in ENCS.read_text(encoding="utf-8").splitlines():
            s, t = line.split("|||")
            if len(s.split()) <= 12 and len(t.split()) <= 12:
                lines.append(line.strip())
            if len(lines) == n:
                return lines
    return ([f"{s} ||| {t}" for s, t in FALLBACK] * (n // len(FALLBACK) + 1))[:n]


@pytest.fixture()
def pairs_file(tmp_path) -> Path:
    p = tmp_path / "pairs.txt"
    p.write_text("\n".join(pair_lines(24)) + "\n", encoding="utf-8")
    return p


def cfg_for(model, data, out, *sets, **kw):
    base = ["lr=1e-3", "batch_size=4", "max_steps=4", "log_every=1", "seed=7"]
    return load_train_config(None, base + list(sets), model=str(model), data=str(data),
                             output=str(out), **kw)


@pytest.mark.parametrize("objective", ["mlm", "tlm", "so", "psi", "co"])
def test_each_objective_finite_and_decreasing(tiny_bert, objective):
    torch.manual_seed(0)
    tok_pairs = [(s.split(), t.split()) for s, t in (l.split("|||") for l in pair_lines(8))]
    mlm, _ = load_mlm_model(str(tiny_bert))
    from xlie.models import load_tokenizer
    tok = load_tokenizer(str(tiny_bert))
    batch = Collator(tok)(tok_pairs)
    model = AlignTrainingModel(mlm, [objective], layer=2, threshold=1e-3, extraction="softmax",
                               mask_id=tok.mask_token_id, mask_prob=0.15, so_targets="grow-diag")
    model.eval()  # no dropout: the same batch and masks every step
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    seen = []
    for _ in range(8):
        loss = model(batch, torch.Generator().manual_seed(1))[objective]
        assert torch.isfinite(loss)
        seen.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert seen[-1] < seen[0] - 1e-3, seen


def test_headless_encoder_gets_tied_mlm_head(tiny_bert, tiny_xlmr):
    for path in (tiny_bert, tiny_xlmr):
        model, missing = load_mlm_model(str(path))
        assert missing
        assert model.get_output_embeddings().weight is model.get_input_embeddings().weight


def test_tlm_positions_restart_for_target(tiny_xlmr):
    from xlie.models import load_tokenizer
    tok = load_tokenizer(str(tiny_xlmr))
    b = Collator(tok, position_offset=2)([(["a", "cat"], ["eine", "große", "Katze"])])
    ids, pos = b["pair_input_ids"][0].tolist(), b["pair_position_ids"][0].tolist()
    alone = tok(["eine", "große", "Katze"], is_split_into_words=True)["input_ids"]
    # the target's own pieces (after its leading special) get the positions they have alone
    n = len(alone) - 1
    assert ids[-n:] == alone[1:]
    assert pos[-n:] == [2 + k for k in range(1, n + 1)]
    assert pos[0] == 2                                   # XLM-R positions start after pad


def test_train_save_load_identical_alignments(tiny_bert, pairs_file, tmp_path):
    from transformers import AutoModel
    from xlie.aligners.training.eval import predict_links
    from xlie.models import load_tokenizer

    out = tmp_path / "ft"
    gold = tmp_path / "gold.txt"
    gold.write_text("1-1 2-2\n" * 24)
    res = train_aligner(cfg_for(tiny_bert, pairs_file, out, "save_every=2", "layer=2",
                                eval_data=str(pairs_file), eval_gold=str(gold)))
    assert res.steps == 4 and (out / "config.json").exists()
    assert [e["step"] for e in res.evals] == [2, 4] and (out / "best" / "config.json").exists()
    record = json.loads((out / "xlie-train.json").read_text())
    assert record["align"]["layer"] == 2 and record["config"]["lr"] == 1e-3
    # AutoModel loads the base encoder from the saved MaskedLM, with no encoder weight missing
    enc, info = AutoModel.from_pretrained(out, output_loading_info=True)
    assert not [k for k in info["missing_keys"] if "pooler" not in k]
    before = AutoModel.from_pretrained(tiny_bert)
    assert not torch.equal(enc.encoder.layer[0].attention.self.query.weight,
                           before.encoder.layer[0].attention.self.query.weight)
    pairs = read_pairs(pairs_file)
    col = Collator(load_tokenizer(str(out)), need_pair=False, need_neg=False)
    links = predict_links(enc, col, pairs, layer=2, threshold=1e-3)
    again = predict_links(AutoModel.from_pretrained(out / "checkpoints" / "step-0000004"), col,
                          pairs, layer=2, threshold=1e-3)
    assert links == again and any(links)
    # the AER the run logged on its in-memory model is what `xlie align --model DIR` scores on
    # the saved model (the aligner's own path, not SO's extraction above)
    from xlie.aligners import Aligner
    from xlie.aligners.training.eval import aer, read_gold
    # ... at the threshold and band calibrated on the gold, which the record carries
    last = res.evals[-1]
    assert {"threshold", "band"} <= set(last)
    chosen = (last["threshold"], last["band"])
    assert (record["align"]["threshold"], record["align"]["band"]) == chosen
    aligner = Aligner(str(out))
    assert (aligner.threshold, aligner.band) == chosen
    found = [{(i, j) for i, j, _ in r.links} for r in aligner.align_pairs(pairs)]
    assert aer(found, read_gold(gold))["aer"] == pytest.approx(last["aer"], abs=1e-5)
    best = json.loads((out / "best" / "xlie-train.json").read_text())
    assert best["align"]["threshold"] == best["eval"]["threshold"]


def test_calibration_off_keeps_the_model_settings(tiny_bert, pairs_file, tmp_path):
    gold = tmp_path / "gold.txt"
    gold.write_text("1-1 2-2\n" * 24)
    out = tmp_path / "ft"
    res = train_aligner(cfg_for(tiny_bert, pairs_file, out, "max_steps=2", "layer=2",
                                "threshold=0.3", "calibrate=false",
                                eval_data=str(pairs_file), eval_gold=str(gold)))
    assert "threshold" not in res.evals[-1]
    record = json.loads((out / "xlie-train.json").read_text())
    assert record["align"]["threshold"] == 0.3 and "band" not in record["align"]


def test_without_gold_the_saved_model_gets_the_tuned_settings(tiny_bert, pairs_file, tmp_path):
    """No gold to calibrate on: the saved record scales the training threshold and sets the
    band, and `xlie align --model DIR` uses them; the training itself kept the threshold."""
    out = tmp_path / "ft"
    train_aligner(cfg_for(tiny_bert, pairs_file, out, "max_steps=2", "layer=2", "threshold=0.3",
                          "saved_threshold_scale=0.25", "saved_band=40"))
    record = json.loads((out / "xlie-train.json").read_text())
    assert record["config"]["threshold"] == 0.3
    assert record["align"]["threshold"] == pytest.approx(0.075) and record["align"]["band"] == 40
    from xlie.aligners import Aligner
    aligner = Aligner(str(out))
    assert (aligner.threshold, aligner.band) == (pytest.approx(0.075), 40)


def test_aligner_loads_trained_directory(tiny_xlmr, pairs_file, tmp_path):
    import xlie.aligners as aligners
    out = tmp_path / "ft"
    train_aligner(cfg_for(tiny_xlmr, pairs_file, out, "max_steps=2"))
    al = aligners.Aligner(str(out), layer=2)
    res = al.align_pairs([("a cat".split(), "eine Katze".split())])
    assert len(res) == 1 and res[0].error is None


def test_resume_after_interruption_matches_uninterrupted(tiny_bert, pairs_file, tmp_path, monkeypatch):
    from xlie.aligners.training import checkpoints

    full = tmp_path / "full"
    train_aligner(cfg_for(tiny_bert, pairs_file, full, "save_every=2"))
    out = tmp_path / "cut"
    real_log = checkpoints.CheckpointManager.log

    def dying_log(self, record):
        if record["step"] == 3:
            raise KeyboardInterrupt
        real_log(self, record)

    monkeypatch.setattr(checkpoints.CheckpointManager, "log", dying_log)
    with pytest.raises(KeyboardInterrupt):
        train_aligner(cfg_for(tiny_bert, pairs_file, out, "save_every=2"))
    assert not (out / "config.json").exists()
    monkeypatch.setattr(checkpoints.CheckpointManager, "log", real_log)
    res = train_aligner(cfg_for(tiny_bert, pairs_file, out, "save_every=2"))
    assert res.steps == 4
    steps = [json.loads(x)["step"] for x in (out / "train-log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]                       # continued from step 2, not from 0
    from safetensors.torch import load_file
    a, b = load_file(full / "model.safetensors"), load_file(out / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_long_pairs_skipped_with_count(tiny_bert, tmp_path):
    data = tmp_path / "pairs.txt"
    long = " ".join(["word"] * 200)
    data.write_text("\n".join(pair_lines(8) + [f"{long} ||| {long}"]) + "\n")
    res = train_aligner(cfg_for(tiny_bert, data, tmp_path / "o", "max_steps=1"))
    assert res.skipped == 1 and res.pairs == 8


def test_bad_line_names_file_and_line(tiny_bert, tmp_path):
    data = tmp_path / "pairs.txt"
    data.write_text("a b ||| c d\nno separator here\n")
    with pytest.raises(InputFormatError) as e:
        train_aligner(cfg_for(tiny_bert, data, tmp_path / "o"))
    assert f"{data}:2" in str(e.value)


def test_jsonl_input(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "1", "lang": "en", "tokens": ["a", "cat"],
                             "translation": {"lang": "de", "tokens": ["eine", "Katze"]}}) + "\n"
                 + json.dumps({"src": ["x"], "tgt": []}) + "\n")
    with pytest.raises(InputFormatError) as e:
        read_pairs(p)
    assert f"{p}:2" in str(e.value)
    p.write_text(p.read_text().splitlines()[0] + "\n")
    assert read_pairs(p) == [(["a", "cat"], ["eine", "Katze"])]


def test_config_errors_name_the_key(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("objectives:\n  mlm: 1\n  tml: 1\n")
    with pytest.raises(ConfigError) as e:
        load_train_config(f)
    assert "objectives.tml" in str(e.value) and str(f) in str(e.value)
    with pytest.raises(ConfigError):
        load_train_config(None, ["lr=fast"])
    f.write_text("objectives:\n  mlm: 1\n  co: 0.5\n")
    cfg = load_train_config(f, ["objectives.psi=0", "lr=5e-5"])
    assert cfg.objectives.co == 0.5
    assert cfg.lr == 5e-5 and "psi" not in cfg.objectives.enabled()


def test_mixed_precision_no_survives_yaml(tmp_path):
    """YAML reads a bare `no` as false; both trainers' configs take it as "no mixed precision"."""
    from xlie.selftrain import train_settings
    f = tmp_path / "c.yaml"
    f.write_text("mixed_precision: no\n")
    assert load_train_config(f).mixed_precision == "no"
    assert load_train_config(None, ["mixed_precision=no"]).mixed_precision == "no"
    assert load_train_config(None, ["mixed_precision=bf16"]).mixed_precision == "bf16"
    assert train_settings(mixed_precision=False).mixed_precision == "no"
    with pytest.raises(ConfigError):
        load_train_config(None, ["mixed_precision=yes"])   # true is not a precision


def test_cli_train_and_bad_input(tiny_bert, pairs_file, tmp_path):
    from click.testing import CliRunner
    from xlie.cli.align_train import train_cmd
    from xlie.cli._group import XlieGroup

    group = XlieGroup(commands={"train": train_cmd})
    out = tmp_path / "cli"
    r = CliRunner().invoke(group, ["train", "--data", str(pairs_file), "--model", str(tiny_bert),
                                   "-o", str(out), "--set", "max_steps=1", "--set", "batch_size=2"])
    assert r.exit_code == 0, r.output
    assert (out / "model.safetensors").exists()
    bad = tmp_path / "bad.txt"
    bad.write_text("only one side\n")
    r = CliRunner().invoke(group, ["train", "--data", str(bad), "--model", str(tiny_bert),
                                   "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and f"{bad}:1" in r.output


@pytest.mark.slow
def test_e5_small_gets_tied_head_and_positions_fit(e5_small):
    model, missing = load_mlm_model(str(e5_small))
    assert missing                                    # e5-small ships a bare BertModel
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    from xlie.aligners.training.data import model_length_limit
    from xlie.models import load_tokenizer
    assert model_length_limit(load_tokenizer(str(e5_small)), model.config, 128) == 128


def test_head_warmup_holds_the_encoder_fixed(tiny_xlmr, pairs_file, tmp_path):
    """XLM-R tiny ships no MLM head here, so the head is new: during the warm-up only it moves."""
    from transformers import AutoModel, AutoModelForMaskedLM
    out = tmp_path / "ft"
    train_aligner(cfg_for(tiny_xlmr, pairs_file, out, "max_steps=2", "head_warmup_steps=2",
                          "objectives.tlm=0", "objectives.so=0", "objectives.psi=0",
                          "objectives.co=0"))
    before, after = AutoModel.from_pretrained(tiny_xlmr), AutoModel.from_pretrained(out)
    for (name, p), q in zip(before.named_parameters(), after.parameters()):
        assert "pooler" in name or torch.equal(p, q), name   # MaskedLM saves no pooler
    from accelerate.utils import set_seed
    set_seed(7)                                   # the run's seed: the head it started from
    fresh, missing = load_mlm_model(str(tiny_xlmr))
    assert missing
    trained = AutoModelForMaskedLM.from_pretrained(out)
    assert not torch.equal(fresh.lm_head.dense.weight, trained.lm_head.dense.weight)
    # one step past the warm-up, the encoder learns again
    out2 = tmp_path / "ft2"
    train_aligner(cfg_for(tiny_xlmr, pairs_file, out2, "max_steps=3", "head_warmup_steps=2",
                          "objectives.tlm=0", "objectives.so=0", "objectives.psi=0",
                          "objectives.co=0"))
    moved = AutoModel.from_pretrained(out2)
    assert not torch.equal(before.encoder.layer[0].attention.self.query.weight,
                           moved.encoder.layer[0].attention.self.query.weight)


def test_head_warmup_is_skipped_without_a_head_objective(tiny_xlmr, pairs_file, tmp_path):
    """SO alone trains no head: a warm-up would only waste its first steps, so it is ignored."""
    from transformers import AutoModel
    out = tmp_path / "ft"
    train_aligner(cfg_for(tiny_xlmr, pairs_file, out, "max_steps=1", "head_warmup_steps=5",
                          "objectives.mlm=0", "objectives.tlm=0", "objectives.psi=0",
                          "objectives.co=0", "lr=1e-2"))
    before, after = AutoModel.from_pretrained(tiny_xlmr), AutoModel.from_pretrained(out)
    assert not torch.equal(before.encoder.layer[0].attention.self.query.weight,
                           after.encoder.layer[0].attention.self.query.weight)


def test_head_warmup_forward_leaves_out_so_and_co(tiny_xlmr, pairs_file):
    from xlie.aligners.training.data import Collator, read_pairs
    from xlie.aligners.training.model import AlignTrainingModel
    from xlie.models import load_tokenizer
    tok = load_tokenizer(str(tiny_xlmr))
    mlm, _ = load_mlm_model(str(tiny_xlmr))
    model = AlignTrainingModel(mlm, ["mlm", "so", "co"], 2, 0.1, "softmax", tok.mask_token_id, 0.15)
    batch = Collator(tok, 2, need_pair=False, need_neg=False)(read_pairs(pairs_file)[:4])
    assert set(model(batch)) == {"mlm", "so", "co"}
    assert set(model(batch, heads_only=True)) == {"mlm"}


def test_so_targets_grow_from_the_intersection_into_touching_union_links():
    from xlie.aligners.training.so import grow_diag, so_targets
    # 4x4, threshold 0.3: both directions agree only on (0,0). One direction alone has
    # (1,0) and (2,1), a chain off (0,0); (3,3), far off; and (0,2), two columns away.
    p_xy = torch.zeros(1, 4, 4)
    p_yx = torch.zeros(1, 4, 4)
    p_xy[0, 0, 0] = p_yx[0, 0, 0] = 0.9
    for i, j in [(1, 0), (2, 1), (3, 3), (0, 2)]:
        p_xy[0, i, j] = 0.5
    cells = lambda t: {(i, j) for _, i, j in t.nonzero().tolist()}           # noqa: E731
    assert cells(so_targets(p_xy, p_yx, 0.3, "intersection")) == {(0, 0)}
    # (1,0) touches (0,0) and row 1 is empty; (2,1) then touches (1,0): grown in round two
    assert cells(so_targets(p_xy, p_yx, 0.3, "grow-diag")) == {(0, 0), (1, 0), (2, 1)}
    # final-and adds (3,3), whose row and column are both empty, but not (0,2): row 0 is taken
    assert cells(so_targets(p_xy, p_yx, 0.3, "grow-diag-final-and")) == {(0, 0), (1, 0), (2, 1), (3, 3)}
    # a union cell between two aligned words is never added
    links = torch.zeros(1, 3, 3, dtype=torch.bool)
    links[0, 0, 0] = links[0, 1, 1] = True
    union = links.clone()
    union[0, 0, 1] = True
    assert cells(grow_diag(links, union)) == {(0, 0), (1, 1)}


def test_so_targets_config_reaches_the_model(tiny_bert, pairs_file, tmp_path):
    cfg = load_train_config(None, ["objectives.mlm=0", "objectives.tlm=0", "objectives.psi=0",
                                   "so_targets=intersection", "so_word_blocks=false", "max_steps=1"],
                            model=str(tiny_bert), data=str(pairs_file), output=str(tmp_path / "o"))
    assert cfg.so_targets == "intersection" and cfg.so_word_blocks is False
    default = load_train_config(None, [], model=str(tiny_bert))
    assert (default.so_targets, default.so_word_blocks) == ("grow-diag", True)
    with pytest.raises(ConfigError, match="so_targets"):
        load_train_config(None, ["so_targets=union"], model=str(tiny_bert))
    train_aligner(cfg)
    record = json.loads((tmp_path / "o" / "xlie-train.json").read_text())
    assert (record["config"]["so_targets"], record["config"]["so_word_blocks"]) == ("intersection", False)


def test_checkpoint_of_a_tied_head_saves_without_a_shared_tensor_warning(tiny_xlmr, pairs_file,
                                                                         tmp_path, caplog):
    """The tied decoder accelerate leaves out comes back on resume; only that notice is
    dropped, any other shared tensor is still reported."""
    import logging
    out = tmp_path / "ft"
    with caplog.at_level(logging.WARNING):
        train_aligner(cfg_for(tiny_xlmr, pairs_file, out, "max_steps=2", "save_every=1",
                              "objectives.tlm=0", "objectives.psi=0"))
    assert list((out / "checkpoints").iterdir())
    assert not [r for r in caplog.records if "shared tensor" in r.getMessage()]
    other = logging.getLogger("accelerate.utils.other")
    with caplog.at_level(logging.WARNING, logger="accelerate.utils.other"):
        other.warning("Removed shared tensor {'a.weight', 'b.weight'} while saving.")
        other.warning("Removed shared tensor {'mlm.cls.predictions.decoder.weight'} while saving.")
    assert [r.getMessage() for r in caplog.records if "shared tensor" in r.getMessage()] == [
        "Removed shared tensor {'a.weight', 'b.weight'} while saving."]


def test_so_word_blocks_link_every_piece_of_a_linked_word_pair():
    from xlie.aligners.training.so import so_targets
    # source pieces: [CLS] w0 w0 w1 [SEP]; target: [CLS] w0 w1 w1 [SEP]
    word_x = torch.tensor([[-1, 0, 0, 1, -1]])
    word_y = torch.tensor([[-1, 0, 1, 1, -1]])
    p = torch.zeros(1, 5, 5)
    p[0, 1:4, 1:4] = 0.01                  # the valid block: content pieces only
    p[0, 1, 1] = p[0, 3, 2] = 0.9          # w0-w0 through its first piece, w1-w1 through one
    cells = lambda t: {(i, j) for _, i, j in t.nonzero().tolist()}           # noqa: E731
    assert cells(so_targets(p, p, 0.3)) == {(1, 1), (3, 2)}
    assert cells(so_targets(p, p, 0.3, word_ids=(word_x, word_y))) == {(1, 1), (2, 1), (3, 2), (3, 3)}
    # a piece off the content mask (-1, e.g. a lone '▁') stays unlinked; a content piece with
    # probability exactly 0 (as entmax gives) is still linked with its word
    blank_x = torch.tensor([[-1, 0, -1, 1, -1]])
    assert (2, 1) not in cells(so_targets(p, p, 0.3, word_ids=(blank_x, word_y)))
    p[0, 2, 1] = 0
    assert (2, 1) in cells(so_targets(p, p, 0.3, word_ids=(word_x, word_y)))
    # so_loss takes the word ids off the content masks it is given (a masked piece with some
    # probability would otherwise add to the loss)
    from xlie.aligners.training.so import so_loss
    p[0, 2, 1] = 0.01
    vx, vy = word_x >= 0, word_y >= 0
    vx[0, 2] = False
    assert so_loss(p, p, vx, vy, 0.3, "intersection", (word_x, word_y)) == so_loss(
        p, p, vx, vy, 0.3, "intersection", (blank_x, word_y))
