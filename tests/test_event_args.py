"""The event argument head (`--task event` on ACE-style data): trained on a tiny encoder
with the trigger tagger, saved beside it, loaded back to the same outputs; predictions fill
each event's `args` with the input's mentions; the scorer counts argument identification
and argument + role as hand-built cases say."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from test_selftrain_train import cfg

from xlie.cli import cli
from xlie.corpus import Sentence, Span
from xlie.errors import InputFormatError
from xlie.formats.jsonl import read_corpus
from xlie.scoring_events import score_events
from xlie.selftrain import train
from xlie.selftrain.event_args import META, mentions
from xlie.selftrain.tasks import get_task, task_of_model

ACTORS = ["Rebels", "Soldiers", "Police", "Troops"]
PLACES = ["Paris", "Berlin", "Prague", "Rome"]
VERBS = {"Attack": ["attacked", "bombed", "raided"], "Die": ["died", "perished"]}


def ace_toy(n: int, seed: int) -> list[Sentence]:
    """`ACTOR attacked PLACE on Monday .` (Attack: Attacker, Target) and `ACTOR died in PLACE
    on Monday .` (Die: Victim, Place); Monday is a TIME mention that is no argument."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        etype = "Attack" if k % 2 == 0 else "Die"
        who, where = rng.choice(ACTORS), rng.choice(PLACES)
        verb = rng.choice(VERBS[etype])
        words = [who, verb, where, "on", "Monday", "."] if etype == "Attack" else \
            [who, verb, "in", where, "on", "Monday", "."]
        place = 2 if etype == "Attack" else 3
        spans = [Span(start=0, end=1, label="PER", id=f"m{k}-0"),
                 Span(start=1, end=2, label=etype, id=f"t{k}"),
                 Span(start=place, end=place + 1, label="GPE", id=f"m{k}-1"),
                 Span(start=len(words) - 2, end=len(words) - 1, label="TIME", id=f"m{k}-2")]
        roles = ("Attacker", "Target") if etype == "Attack" else ("Victim", "Place")
        s = Sentence(id=f"s{seed}-{k}", tokens=words, spans=spans)
        s.events = [{"label": etype, "trigger": f"t{k}",
                     "args": [{"role": roles[0], "span": f"m{k}-0"},
                              {"role": roles[1], "span": f"m{k}-1"}]}]
        out.append(s)
    return out


def write(path, sents) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for s in sents:
            f.write(json.dumps(s.to_json()) + "\n")


@pytest.fixture(scope="module")
def trained(tiny_xlmr, tmp_path_factory):
    d = tmp_path_factory.mktemp("ace")
    write(d / "train.jsonl", ace_toy(40, 0))
    write(d / "dev.jsonl", ace_toy(10, 1))
    c = cfg(tiny_xlmr, task="event", epochs=6, lr=3e-3)
    return d, train([d / "train.jsonl"], d / "out", c, dev=d / "dev.jsonl")


def test_argument_head_trains_and_is_saved_beside_the_tagger(trained):
    d, result = trained
    assert (result.model_dir / META).is_file()
    info = json.loads((d / "out" / "metrics.json").read_text())["arguments"]
    assert info == result.metrics["arguments"]
    assert info["pairs"] == 40 * 3 and info["arguments"] == 40 * 2   # 3 mentions, 2 roles
    assert info["roles"] == ["Attacker", "Place", "Target", "Victim"]
    assert info["losses"][-1] < info["losses"][0]
    dev = info["dev_gold_triggers"]      # scored on the dev file's gold triggers
    assert dev["argument"]["support"] == 20
    assert 0.0 <= dev["argument_class"]["f1"] <= dev["argument"]["f1"] <= 1.0
    # the tagger's labels are the event types only: mentions are not triggers
    labels = set(json.loads((result.model_dir / "config.json").read_text())["id2label"].values())
    assert labels == {"O", "B-Attack", "I-Attack", "B-Die", "I-Die"}


def test_predictions_fill_args_and_load_back_the_same(trained):
    d, result = trained
    task = task_of_model(result.model_dir)
    assert task is get_task("event")
    gold = list(read_corpus(d / "dev.jsonl"))
    bare = [task.unlabel(s) for s in gold]
    # unlabel keeps the mentions (the candidates), drops the triggers and events
    assert all(s.events == [] and [x.label for x in s.spans] == ["PER", "GPE", "TIME"]
               for s in bare)
    first = task.load(result.model_dir).predict(bare)
    again = task.load(result.model_dir).predict(bare)
    assert [s.to_json() for s in first] == [s.to_json() for s in again]
    n_args = 0
    for src, s in zip(bare, first):
        ids = {x.id for x in s.spans}
        assert {m.id for m in src.spans} <= ids        # the mentions are in the output
        for ev in s.events:
            assert ev["trigger"] in ids
            for a in ev["args"]:
                assert a["span"] in {m.id for m in src.spans}   # only mentions are arguments
                assert a["role"] in {"Attacker", "Target", "Victim", "Place"}
                assert 0.0 < a["score"] <= 1.0
                n_args += 1
    assert n_args > 0
    scores = task.score(gold, first)
    assert {"argument", "argument_class"} <= set(scores)
    assert scores["argument"]["support"] == 20
    assert scores["argument"]["predicted"] == n_args


def test_predict_cli_prints_argument_scores(trained, tmp_path):
    d, result = trained
    r = CliRunner().invoke(cli, ["selftrain", "predict", str(d / "dev.jsonl"), "-o",
                                 str(tmp_path / "pred.jsonl"), "--model", str(result.model_dir),
                                 "--score"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "arg+role" in r.output and "argument" in r.output
    out = [json.loads(x) for x in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert any(a for rec in out for ev in rec["events"] for a in ev["args"])


def _sent(sid, spans, events) -> Sentence:
    s = Sentence(id=sid, tokens="Rebels attacked the village on Monday".split(),
                 spans=[Span(start=a, end=b, label=lab, id=i) for a, b, lab, i in spans])
    s.events = events
    return s


def test_argument_scores_count_hand_built_cases():
    spans = [(1, 2, "Attack", "e1"), (0, 1, "ORG", "a1"), (2, 4, "LOC", "a2"),
             (5, 6, "TIME", "a3")]
    gold = [_sent("g1", spans, [{"label": "Attack", "trigger": "e1", "args": [
                {"role": "Attacker", "span": "a1"}, {"role": "Target", "span": "a2"}]}]),
            _sent("g2", spans, [{"label": "Attack", "trigger": "e1", "args": [
                {"role": "Attacker", "span": "a1"}]}]),
            _sent("g3", spans, [{"label": "Attack", "trigger": "e1", "args": [
                {"role": "Target", "span": "a2"}]}])]
    pred = [  # right, right span with the wrong role, a non-argument
            _sent("g1", spans, [{"label": "Attack", "trigger": "e1", "args": [
                {"role": "Attacker", "span": "a1"}, {"role": "Attacker", "span": "a2"},
                {"role": "Target", "span": "a3"}]}]),
            # right span and role, but under another event type: not identified
            _sent("g2", [(1, 2, "Die", "e1"), *spans[1:]], [
                {"label": "Die", "trigger": "e1", "args": [{"role": "Attacker", "span": "a1"}]}]),
            # nothing predicted
            _sent("g3", spans, [{"label": "Attack", "trigger": "e1", "args": []}])]
    s = score_events(list(zip(gold, pred)))
    # identification: predicted {g1 a1, g1 a2, g1 a3, g2 a1 (Die)}; gold {g1 a1, g1 a2,
    # g2 a1, g3 a2}: 2 right
    assert (s["argument"]["predicted"], s["argument"]["support"]) == (4, 4)
    assert s["argument"]["precision"] == pytest.approx(2 / 4)
    assert s["argument"]["recall"] == pytest.approx(2 / 4)
    # + role: only g1 a1 Attacker
    assert s["argument_class"]["precision"] == pytest.approx(1 / 4)
    assert s["argument_class"]["recall"] == pytest.approx(1 / 4)
    assert s["argument_class"]["f1"] == pytest.approx(1 / 4)
    # triggers are scored as before: g2's trigger has the wrong class
    assert s["trigger"]["f1"] == 1.0
    assert s["trigger_class"]["f1"] == pytest.approx(2 / 3)


def test_no_argument_figures_where_gold_has_no_arguments():
    spans = [(1, 2, "OCCURRENCE", "e1")]
    g = _sent("g", spans, [{"label": "OCCURRENCE", "trigger": "e1", "args": []}])
    s = score_events([(g, g)])
    assert "argument" not in s and s["trigger"]["f1"] == 1.0


def test_mentions_are_the_spans_no_event_triggers():
    s = ace_toy(1, 3)[0]
    assert [i for i, _ in mentions(s)] == ["m0-0", "m0-1", "m0-2"]


def test_an_argument_naming_no_span_stops_with_file_and_line(tmp_path):
    s = ace_toy(2, 4)
    rec = s[1].to_json()
    rec["events"][0]["args"].append({"role": "Target", "span": "nowhere"})
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(s[0].to_json()) + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(InputFormatError) as err:
        list(read_corpus(path))
    assert "bad.jsonl" in str(err.value) and ":2" in str(err.value)
    assert "nowhere" in str(err.value)


def test_project_eval_prints_argument_scores(tmp_path):
    spans = [(1, 2, "Attack", "e1"), (0, 1, "ORG", "a1"), (2, 4, "LOC", "a2")]
    gold = _sent("g1", spans, [{"label": "Attack", "trigger": "e1", "args": [
        {"role": "Attacker", "span": "a1"}, {"role": "Target", "span": "a2"}]}])
    pred = _sent("g1", spans, [{"label": "Attack", "trigger": "e1", "args": [
        {"role": "Attacker", "span": "a1"}]}])
    write(tmp_path / "gold.jsonl", [gold])
    write(tmp_path / "pred.jsonl", [pred])
    r = CliRunner().invoke(cli, ["project", "eval", str(tmp_path / "gold.jsonl"),
                                 str(tmp_path / "pred.jsonl"), "--task", "event", "--json"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    ev = json.loads(r.output)["event"]
    assert ev["argument"]["recall"] == pytest.approx(0.5)
    assert ev["argument_class"]["precision"] == 1.0


def test_pseudo_labels_of_events_keep_mentions_and_only_kept_triggers_events(tmp_path):
    from xlie.formats.jsonl import write_jsonl
    from xlie.selftrain.config import SelectConfig
    from xlie.selftrain.pseudo import select_pseudo_labels
    s = Sentence(id="p", tokens="Rebels attacked and bombed Paris".split(),
                 spans=[Span(start=0, end=1, label="ORG", id="m1"),
                        Span(start=1, end=2, label="Attack", id="p-0", score=0.9),
                        Span(start=3, end=4, label="Attack", id="p-1", score=0.2),
                        Span(start=4, end=5, label="GPE", id="m2")])
    s.events = [{"label": "Attack", "trigger": "p-0", "args": [{"role": "Attacker", "span": "m1"}]},
                {"label": "Attack", "trigger": "p-1", "args": [{"role": "Target", "span": "m2"}]}]
    s.tag_scores = [0.99, 0.9, 0.99, 0.2, 0.99]
    kept, stats = select_pseudo_labels([s], "event",
                                       SelectConfig(mode="threshold", threshold=0.5))
    assert set(stats["per_label"]) == {"Attack", "O"}       # mentions are no pseudo-labels
    out = kept[0]
    assert [x.id for x in out.spans] == ["m1", "p-0", "m2"]  # the low trigger goes
    assert [e["trigger"] for e in out.events] == ["p-0"]
    write_jsonl(tmp_path / "pseudo.jsonl", kept)             # and it reads back
    assert len(list(read_corpus(tmp_path / "pseudo.jsonl"))) == 1
