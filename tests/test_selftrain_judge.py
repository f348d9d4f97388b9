"""The English-only parser judges projected silver trees before the parser trains on them."""
from __future__ import annotations

import json

from xlie.corpus import Sentence
from xlie.formats.conllu import read_conllu, write_conllu
from xlie.selftrain.judge import judge_trees


def _sent(heads, rels, scores=None):
    n = len(heads)
    return Sentence(id="s", tokens=[f"w{i}" for i in range(n)], heads=heads, deprels=rels,
                    arc_scores=scores)


def test_confident_contradictions_are_replaced_unsure_ones_kept_gaps_filled():
    silver = _sent([2, 0, 2, None, None], ["nsubj", "root", "obj", "_", "_"])
    teacher = _sent([2, 0, 1, 2, 2], ["nsubj", "root", "nmod", "punct", "obl"],
                    [0.99, 0.95, 0.97, 0.95, 0.5])
    (out,), counts = judge_trees([silver], [teacher], threshold=0.9)
    # word 0 agrees, word 2 is contradicted with confidence, word 3 is filled, word 4 the
    # teacher is unsure about and it stays out
    assert out.heads == [2, 0, 1, 2, None]
    assert out.deprels == ["nsubj", "root", "nmod", "punct", "_"]
    assert counts["agreed"] == 2 and counts["replaced"] == 1 and counts["filled"] == 1
    assert counts["left_out"] == 1 and counts["labeled"] == 4 and counts["projected"] == 3


def test_an_unsure_teacher_leaves_the_projection_as_it_is():
    silver = _sent([2, 0, 2], ["nsubj", "root", "obj"])
    teacher = _sent([3, 3, 0], ["nsubj", "obj", "root"], [0.4, 0.6, 0.8])
    (out,), counts = judge_trees([silver], [teacher], threshold=0.9)
    assert out.heads == silver.heads and out.deprels == silver.deprels
    assert counts["kept_unsure"] == 3 and counts["replaced"] == 0


def _files(test_data, tmp_path):
    sents = sorted(list(read_conllu(test_data / "pud" / "en.conllu"))[:60],
                   key=lambda s: len(s.tokens))[:8]
    # silver: the trees of the last four with half of each sentence's arcs unknown
    silver = [s.model_copy(update={"heads": [h if i % 2 else None for i, h in enumerate(s.heads)],
                                   "deprels": [r if i % 2 else "_"
                                               for i, r in enumerate(s.deprels)]})
              for s in sents[4:]]
    write_conllu(tmp_path / "en.conllu", sents[:4])
    write_conllu(tmp_path / "silver.conllu", silver)
    return tmp_path / "en.conllu", tmp_path / "silver.conllu"


def test_a_parser_run_with_silver_trains_its_judge_first_and_records_the_verdicts(
        tiny_bert, test_data, tmp_path, monkeypatch):
    from xlie.selftrain import judge as judge_module
    from xlie.selftrain import train
    from xlie.selftrain.config import train_settings
    monkeypatch.setattr(judge_module, "trusted", lambda counts: True)
    src, silver = _files(test_data, tmp_path)
    cfg = train_settings(model=str(tiny_bert), task="dep", max_steps=2, judge_threshold=0.0)
    res = train([src], tmp_path / "run", cfg, silver=[silver])
    judge = res.metrics["judge"]
    assert (tmp_path / "run" / "judge" / "model" / "parser.json").exists()
    # threshold 0: the judge is sure of every arc, so every gap is filled and every
    # projected arc it disagrees with is replaced
    assert judge["left_out"] == 0 and judge["kept_unsure"] == 0 and judge["trusted"]
    written = [json.loads(l) for l in (tmp_path / "run" / "silver-judged.jsonl").open()]
    assert len(written) == 4 and all(None not in r["heads"] for r in written)
    assert judge["filled"] > 0 and judge["labeled"] == sum(len(r["tokens"]) for r in written)
    assert json.loads((tmp_path / "run" / "judge.json").read_text()) == judge
    assert silver.read_text() == (tmp_path / "silver.conllu").read_text()   # input untouched
    again = train([src], tmp_path / "run", cfg, silver=[silver])
    assert again.metrics == res.metrics   # the finished run and its verdicts are read back


def test_a_judge_that_overrules_more_than_it_confirms_is_not_used(tiny_bert, test_data,
                                                                   tmp_path, monkeypatch):
    from xlie.selftrain import judge as judge_module
    from xlie.selftrain import train
    from xlie.selftrain.config import train_settings
    assert judge_module.trusted({"agreed": 5, "replaced": 5})
    assert not judge_module.trusted({"agreed": 4, "replaced": 5})
    monkeypatch.setattr(judge_module, "trusted", lambda counts: False)
    src, silver = _files(test_data, tmp_path)
    cfg = train_settings(model=str(tiny_bert), task="dep", max_steps=2, judge_threshold=0.0)
    res = train([src], tmp_path / "run", cfg, silver=[silver])
    assert res.metrics["judge"]["trusted"] is False and res.metrics["judge"]["replaced"] > 0
    from xlie.selftrain.data import read_all
    kept = read_all([tmp_path / "run" / "silver-judged.jsonl"])
    assert [s.heads for s in kept] == [s.heads for s in read_all([silver])]   # as projected


def test_silver_judge_none_on_the_cli_trains_on_the_projected_arcs(tiny_bert, test_data,
                                                                    tmp_path):
    from click.testing import CliRunner

    from xlie.cli import cli
    src, silver = _files(test_data, tmp_path)
    r = CliRunner().invoke(cli, ["selftrain", "train", str(src), "--silver", str(silver),
                                 "--task", "dep", "--model", str(tiny_bert), "--max-steps", "2",
                                 "--silver-judge", "none", "-o", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["settings"]["silver_judge"] == "none" and "judge" not in metrics
    assert not (tmp_path / "run" / "judge").exists()


def test_self_training_rounds_reuse_round_0s_judged_silver(tiny_bert, test_data, tmp_path):
    from xlie.selftrain.config import SelfTrainConfig
    from xlie.selftrain.rounds import self_train
    src, silver = _files(test_data, tmp_path)
    cfg = SelfTrainConfig.model_validate({
        "train": {"model": str(tiny_bert), "task": "dep", "max_steps": 2},
        "rounds": 1, "select": {"mode": "threshold", "threshold": 0.0}})
    self_train([src], [silver], tmp_path / "st", cfg, silver=[silver])
    assert (tmp_path / "st" / "round-0" / "judge").is_dir()
    assert not (tmp_path / "st" / "round-1" / "judge").exists()   # no second judge
    settings = json.loads((tmp_path / "st" / "round-1" / "metrics.json").read_text())
    assert settings["data"]["silver"] > 0


def test_pos_tags_are_judged_word_by_word():
    from xlie.selftrain.judge import judge_tags
    silver = Sentence(id="s", tokens=["el", "mes", "de", "mayo"], tags=["DET", "PROPN", "_", "_"])
    teacher = Sentence(id="s", tokens=silver.tokens, tags=["DET", "NOUN", "ADP", "PROPN"],
                       tag_scores=[0.99, 0.95, 0.97, 0.3])
    (out,), counts = judge_tags([silver], [teacher], threshold=0.9)
    assert out.tags == ["DET", "NOUN", "ADP", "_"]
    assert (counts["agreed"], counts["replaced"], counts["filled"], counts["left_out"]) == (1, 1, 1, 1)


def test_a_pos_run_judges_its_silver_when_asked_and_ner_has_no_judge(tiny_bert, test_data,
                                                                      tmp_path):
    import pytest
    from pydantic import ValidationError

    from xlie.selftrain import train
    from xlie.selftrain.config import train_settings
    src, silver = _files(test_data, tmp_path)
    from xlie.selftrain.data import read_all
    tags = sorted({t for s in read_all([src, silver]) for t in s.tags if t != "_"})
    cfg = train_settings(model=str(tiny_bert), task="pos", max_steps=2, silver_judge="source",
                         judge_threshold=0.5, labels=tags)
    res = train([src], tmp_path / "pos", cfg, silver=[silver])
    assert res.metrics["judge"]["labeled"] == sum(
        len(json.loads(l)["tokens"]) for l in (tmp_path / "pos" / "silver-judged.jsonl").open())
    assert train_settings(task="pos").silver_judge == "none"   # not measured for POS: off
    with pytest.raises(ValidationError, match="no judge"):
        train_settings(task="ner", silver_judge="source")


def test_judged_silver_of_another_threshold_is_not_read_back(tiny_bert, test_data, tmp_path):
    import pytest

    from xlie.errors import XlieError
    from xlie.selftrain.config import train_settings
    from xlie.selftrain.judge import judged_silver
    from xlie.selftrain.tasks import get_task
    src, silver = _files(test_data, tmp_path)
    task, out = get_task("dep"), tmp_path / "run"
    cfg = train_settings(model=str(tiny_bert), task="dep", max_steps=2, judge_threshold=0.0)
    first = judged_silver(task, [src], [silver], out, cfg, None, True, None)[1]
    assert judged_silver(task, [src], [silver], out, cfg, None, True, None)[1] == first
    # at another threshold the verdicts are not reused: the run is refused, as any run
    # resumed with other settings is
    with pytest.raises(XlieError, match="other settings"):
        judged_silver(task, [src], [silver], out, cfg.model_copy(update={"judge_threshold": 1.0}),
                      None, True, None)


def test_a_round_leaves_unlabeled_sentences_too_long_for_the_parser_unlabeled(
        tiny_bert, test_data, tmp_path):
    """One unlabeled sentence longer than the parser takes stopped the whole round with
    "sentences are longer than the parser's N subwords"; it now gets no pseudo-tree."""
    from xlie.selftrain.config import SelfTrainConfig
    from xlie.selftrain.rounds import self_train
    src, silver = _files(test_data, tmp_path)
    short = list(read_conllu(silver))
    huge = Sentence(id="huge", tokens=["word"] * 400)
    write_conllu(tmp_path / "unlabeled.conllu", short + [huge])
    cfg = SelfTrainConfig.model_validate({
        "train": {"model": str(tiny_bert), "task": "dep", "max_steps": 2,
                  "silver_judge": "none"},
        "rounds": 1, "select": {"mode": "threshold", "threshold": 0.0}})
    summary = self_train([src], [tmp_path / "unlabeled.conllu"], tmp_path / "st", cfg,
                         silver=[silver])
    selection = json.loads((tmp_path / "st" / "round-1" / "selection.json").read_text())
    assert selection["too_long"] == 1 and selection["sentences"] == len(short)
    assert summary["rounds"][1]["pseudo_sentences"] == len(short)
