"""The event tagger (`--task event`): a span tagger over event triggers, labelled by class,
through the task registry: trains a few steps on a tiny encoder, saves, loads back to the
same outputs, and scores as triggers and trigger + class."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from test_selftrain_train import cfg

from xlie.cli import cli
from xlie.corpus import Sentence, Span
from xlie.formats.timeml import read_timeml, write_timeml
from xlie.selftrain import train
from xlie.selftrain.tasks import get_task, task_of_model

VERBS = {"OCCURRENCE": ["fell", "rose", "crashed"], "REPORTING": ["said", "reported"],
         "I_STATE": ["feared", "believed"]}
NAMES = ["Traders", "Analysts", "Prices", "Banks", "Markets"]


def toy_events(n: int, seed: int, doc: str, args: bool = True) -> list[Sentence]:
    """Sentences with one trigger each and, in some, an argument span that is no trigger
    (ACE-style: the tagger must learn the triggers only)."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        cls = rng.choice(sorted(VERBS))
        who = rng.choice(NAMES)
        words = [who, rng.choice(VERBS[cls]), "on", "Monday", "."]
        spans = [Span(start=1, end=2, label=cls, id=f"e{k}")]
        events = [{"label": cls, "trigger": f"e{k}", "args": []}]
        if args and k % 3 == 0:
            spans.append(Span(start=0, end=1, label="ARG", id=f"a{k}"))
            events[0]["args"] = [{"role": "Agent", "span": f"a{k}"}]
        s = Sentence(id=f"{doc}-{k}", tokens=words, spans=spans, doc=doc)
        s.events = events
        out.append(s)
    return out


@pytest.fixture(scope="module")
def trained(tiny_xlmr, tmp_path_factory):
    d = tmp_path_factory.mktemp("events")
    for name, sents in (("train", toy_events(40, 0, "train")), ("dev", toy_events(10, 1, "dev"))):
        with open(d / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for s in sents:
                f.write(json.dumps(s.to_json()) + "\n")
    write_timeml(d / "test.tml", toy_events(8, 2, "test", args=False))
    c = cfg(tiny_xlmr, task="event", epochs=10, lr=3e-3)
    return d, train([d / "train.jsonl"], d / "out", c, dev=d / "dev.jsonl")


def test_event_tagger_trains_on_triggers_only(trained):
    d, result = trained
    assert result.metrics["step"] > 5
    losses = result.metrics["losses"]
    assert sum(losses[-3:]) < sum(losses[:3])
    dev = result.metrics["dev"][-1]        # the dev score is the events' (scoring_events)
    assert set(dev) >= {"trigger", "trigger_class", "per_class"}
    assert result.metrics["best"] == max(d["trigger_class"]["f1"] for d in result.metrics["dev"])
    assert result.metrics["best"] >= 0.5      # the toy's verbs and their classes are learnt
    cfg = json.loads((result.model_dir / "config.json").read_text())
    assert cfg["xlie_task"] == "event"
    labels = set(cfg["id2label"].values())
    assert labels == {"O"} | {f"{p}-{c}" for c in VERBS for p in "BI"}   # no ARG


def test_saved_event_tagger_loads_back_to_the_same_outputs(trained):
    d, result = trained
    task = task_of_model(result.model_dir)
    assert task is get_task("event") and task.what == "tagger"
    dev = [Sentence.model_validate(json.loads(x))
           for x in (d / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    unlabeled = [task.unlabel(s) for s in dev]
    # triggers and events go; the argument mentions stay (the argument head's candidates)
    assert all(s.events == [] and all(x.label == "ARG" for x in s.spans) for s in unlabeled)
    first = task.load(result.model_dir).predict(unlabeled)
    again = task.load(result.model_dir).predict(unlabeled)
    assert any(s.spans for s in first)
    assert [s.to_json() for s in first] == [s.to_json() for s in again]
    for s in first:     # each predicted trigger is an event of its own, named by span id
        assert [e["trigger"] for e in s.events] == [x.id for x in s.spans if x.label != "ARG"]
    scores = task.score(dev, first)
    assert 0.0 <= scores["trigger_class"]["f1"] <= scores["trigger"]["f1"] <= 1.0
    assert scores["trigger"]["support"] == 10      # the ARG spans are not triggers


def test_predict_cli_scores_events_and_writes_timeml(trained, tmp_path):
    d, result = trained
    out = tmp_path / "pred.tml"
    r = CliRunner().invoke(cli, ["selftrain", "predict", str(d / "test.tml"), "-o", str(out),
                                 "--model", str(result.model_dir), "--score"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "trig+class" in r.output
    gold, back = list(read_timeml(d / "test.tml")), list(read_timeml(out))
    assert [s.tokens for s in back] == [s.tokens for s in gold]
