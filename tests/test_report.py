"""The run report: a tiny real pipeline run (tiny random encoder, the demo slice) writes
RUN_DIR/report.html; its content is checked as text everywhere and, where Chromium is
installed, rendered in headless Chromium (console errors, outside requests, plots drawn,
a page that is not blank)."""
from __future__ import annotations

import io
import json
import re
from itertools import islice
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from xlie.cli import cli
from xlie.pipeline import load_config, run_pipeline
from xlie.pipeline.config import resolve_path
from xlie.report.collect import collect
from xlie.report.predictions import confusion, per_label

URL = re.compile(r"(?:https?|ftp)://|//[a-z0-9.-]+\.[a-z]{2,}/", re.I)


def head(src: str, dst: Path, n: int) -> Path:
    with open(resolve_path(src), encoding="utf-8") as f:
        dst.write_text("".join(islice(f, n)), encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_xlmr):
    """align -> project -> selftrain (a round of self-training, the source-only baseline)."""
    tmp = tmp_path_factory.mktemp("report-run")
    corpus = head("xlie:data/demo/en-de.train.jsonl", tmp / "train.jsonl", 24)
    gold = head("xlie:data/demo/de.gold.jsonl", tmp / "gold.jsonl", 24)
    test = head("xlie:data/demo/de.test.jsonl", tmp / "test.jsonl", 8)
    data = {"run_dir": str(tmp / "run"), "shard_size": 10,
            "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "de"},
            "eval": {"gold": str(gold), "test": str(test)},
            "align": {"model": str(tiny_xlmr), "batch_size": 8}, "project": {},
            "selftrain": {"rounds": 1, "source_only_baseline": True, "train": {
                "model": str(tiny_xlmr), "epochs": 1, "batch_size": 8, "lr": 1e-3,
                "warmup_ratio": 0.0, "checkpoint_every": 1000}}}
    path = tmp / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_pipeline(load_config(path))
    return result


def test_run_writes_the_report_and_status_names_it(tiny_run):
    report = tiny_run.report
    assert report == tiny_run.run_dir / "report.html" and report.is_file()
    out = CliRunner().invoke(cli, ["status", str(tiny_run.run_dir)])
    assert out.exit_code == 0, out.output
    assert f"report: {report}" in out.output
    # the per-label projection counts feed the report, not the terminal
    assert "label:" not in out.output
    manifest = json.loads((tiny_run.run_dir / "03-project/manifest.json").read_text())
    labels = {k.split(":")[1] for k in manifest["counts"] if k.startswith("label:")}
    assert labels and labels <= {"PER", "ORG", "LOC", "MISC"}
    for lab in labels:
        c = manifest["counts"]
        lost = sum(v for k, v in c.items() if k.startswith(f"label:{lab}:dropped:"))
        assert c[f"label:{lab}:in"] == c.get(f"label:{lab}:projected", 0) + lost


def test_page_content_without_a_browser(tiny_run):
    text = tiny_run.report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not URL.search(text), URL.search(text)            # nothing outside the file
    assert not re.search(r"<(script|link|img)\b", text)      # no script, stylesheet or image
    plots = re.findall(r'data-plot="([^"]+)"', text)
    assert len(re.findall(r"<svg\b", text)) == len(plots) >= 3
    for name in ("curve-rounds-round-0", "curve-rounds-round-1", "curve-source-only",
                 "label-scores", "projection-losses", "link-confidence", "pair-scores",
                 "comparison", "stage-times"):
        assert name in plots
    summary = collect(tiny_run.run_dir, predict=False)
    # the training curves are the runs' own losses, and the step kept is marked
    round0 = json.loads((tiny_run.run_dir / "04-selftrain/rounds/round-0/metrics.json").read_text())
    t0 = next(t for t in summary.trainings if t.name == "rounds/round-0")
    assert t0.losses == round0["losses"] and t0.kept_step == round0["model_choice"]["step"]
    assert f"model kept (step {t0.kept_step})" in text
    # with silver against source only: the same figures as the stage's metrics
    metrics = json.loads((tiny_run.run_dir / "04-selftrain/manifest.json").read_text())["metrics"]
    rows = dict(summary.comparison)
    assert rows["source only (no silver)"] == pytest.approx(metrics["tagger_f1_source_only"],
                                                            abs=0.01)
    assert rows["round 0: source + silver"] == pytest.approx(metrics["tagger_f1_round0"], abs=0.01)
    # projection losses by reason, as the manifest counts them
    counts = json.loads((tiny_run.run_dir / "03-project/manifest.json").read_text())["counts"]
    assert summary.loss_reasons == {k.split(":", 1)[1]: v for k, v in counts.items()
                                    if k.startswith("spans_dropped:")}
    # the least confident pair is drawn in the alignment and projection views
    aligned = [json.loads(x) for x in open(tiny_run.run_dir / "02-align/aligned.jsonl")]
    worst = min(aligned, key=lambda r: r["alignment_score"])
    assert summary.worst_aligned[0].id == worst["id"]
    assert "srcdoc=" in text and f"projection of {worst['id']}" in text
    # per-label scores of the final tagger, and the worst test sentences
    assert "<h3>final tagger</h3>" in text and "<h3>source only</h3>" in text
    assert "Test sentences the final tagger got most wrong" in text
    assert "config.yaml" in text and "transformers" in text


def test_xlie_report_cli(tiny_run, tmp_path):
    out = tmp_path / "page.html"
    res = CliRunner().invoke(cli, ["report", str(tiny_run.run_dir), "-o", str(out),
                                   "--no-predict"])
    assert res.exit_code == 0, res.output
    assert f"report: {out}" in res.output
    text = out.read_text(encoding="utf-8")
    assert "curve-source-only" in text and "Test sentences" not in text
    res = CliRunner().invoke(cli, ["report", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "no run directory" in res.output


def _stage(run_dir: Path, folder: str, counts: dict, name: str, inputs: dict = {}) -> Path:
    d = run_dir / folder
    d.mkdir(parents=True)
    (d / "manifest.json").write_text(json.dumps({
        "stage": name, "counts": counts, "metrics": {}, "xlie_version": "0.1.0",
        "inputs": {k: {"path": str(v), "sha256": "-"} for k, v in inputs.items()},
        "timings": {"seconds": 1.5, "cpu_seconds": 1.0, "finished": "now"}}))
    (d / "DONE").write_text("fp\n")
    return d


def test_unknown_words_and_tag_losses_from_the_files(tmp_path):
    run = tmp_path / "run"
    tr = _stage(run, "01-translate", {"translated": 2}, "translate")
    recs = [{"id": "a", "tokens": ["Kori", "wrote"], "tags": ["PROPN", "VERB"],
             "translation": {"lang": "es", "tokens": ["Kori", "escribió", "ayer"],
                             "unknown": ["*", "", ""]},
             "alignment": [[1, 1, 0.9]], "alignment_score": 0.5},
            {"id": "b", "tokens": ["Schulman", "is", "here"], "tags": ["PROPN", "AUX", "ADV"],
             "translation": {"lang": "es", "tokens": ["Schulman", "es", "aquí"],
                             "unknown": ["*", "", "@"]},
             "alignment": [[0, 0, 0.4], [1, 1, 0.8], [2, 2, 0.9]], "alignment_score": 0.7}]
    (tr / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    al = _stage(run, "02-align", {}, "align")
    (al / "aligned.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    pr = _stage(run, "03-project", {}, "project")
    silver = [{"id": "a", "tokens": ["Kori", "escribió", "ayer"], "tags": ["_", "VERB", "_"]},
              {"id": "b", "tokens": ["Schulman", "es", "aquí"], "tags": ["PROPN", "AUX", "ADV"]}]
    (pr / "silver.jsonl").write_text("".join(json.dumps(r) + "\n" for r in silver))
    s = collect(run)
    assert s.mt["tokens"] == 6 and s.mt["unknown"] == 3
    assert s.mt["by_mark"] == {"*": 2, "@": 1}
    assert dict(s.mt["top"])["Kori"] == 1
    assert s.loss_by_label["PROPN"] == {"in": 2, "dropped:unaligned": 1,
                                        "target words tagged": 1}
    assert s.loss_reasons == {"source words with no link": 1, "target words left untagged": 2}
    assert sorted(s.link_probs) == [0.4, 0.8, 0.9, 0.9] and s.pair_scores == [0.5, 0.7]
    assert s.worst_aligned[0].id == "a"
    from xlie.report.page import render
    page = render(s)
    assert 'data-plot="unknown-words"' in page and 'data-plot="projection-losses"' in page
    assert "No model was trained in this run." in page


def test_per_label_scores_and_confusion():
    gold = [["NOUN", "VERB", "_", "NOUN"], ["DET", "NOUN"]]
    pred = [["NOUN", "NOUN", "ADJ", "VERB"], ["DET", "NOUN"]]
    scores = per_label(gold, pred)
    assert scores["NOUN"]["support"] == 3 and scores["NOUN"]["recall"] == pytest.approx(2 / 3)
    assert scores["NOUN"]["precision"] == pytest.approx(2 / 3)
    assert scores["VERB"]["f1"] == 0.0 and scores["DET"]["f1"] == 1.0
    labels, m = confusion(gold, pred)
    assert labels == ["DET", "NOUN", "VERB"]
    assert m[labels.index("NOUN")][labels.index("VERB")] == 1
    assert m[labels.index("VERB")][labels.index("NOUN")] == 1


def test_the_page_renders_in_chromium(tiny_run):
    from browser import find_chromium, render
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); the page's content "
                    "is checked without a browser in test_page_content_without_a_browser")
    seen = render(tiny_run.report, chromium)
    assert seen.errors == []
    assert [u for u in seen.requests if not u.startswith(("file:", "about:", "data:"))] == []
    assert seen.page["svgs"] >= 3 and seen.page["svgs"] == len(seen.page["plots"])
    assert seen.page["text"] > 1000 and seen.page["frames"] >= 2
    import matplotlib.image as mpimg
    pixels = mpimg.imread(io.BytesIO(seen.screenshot), format="png")
    assert pixels.shape[0] >= 0.9 * seen.page["height"]     # the whole page, not a blank tile
    assert pixels[..., :3].std() > 0.1                       # not one colour


def test_las_by_relation_counts_the_universal_relation():
    from xlie.corpus import Sentence
    from xlie.report.predictions import las_by_relation
    gold = [Sentence(id="a", tokens=["the", "cat", "sat"], heads=[2, 3, 0],
                     deprels=["det", "nsubj", "root"]),
            Sentence(id="b", tokens=["my", "dog"], heads=[2, 0], deprels=["nmod:poss", "root"])]
    pred = [Sentence(id="a", tokens=["the", "cat", "sat"], heads=[2, 3, 0],
                     deprels=["det", "obj", "root"]),
            Sentence(id="b", tokens=["my", "dog"], heads=[2, 0], deprels=["nmod", "root"])]
    scores = las_by_relation(gold, pred)
    assert scores == {"det": (1.0, 1), "nsubj": (0.0, 1), "root": (1.0, 2), "nmod": (1.0, 1)}
    from xlie.report.page import render
    from xlie.report.summary import RunSummary
    page = render(RunSummary(Path("r"), "", {}, [], las_by_relation=scores))
    assert 'data-plot="las-by-relation"' in page and "nsubj" in page


def test_a_parser_run_gets_las_by_relation(tiny_bert, test_data, tmp_path):
    from xlie.formats.conllu import read_conllu, write_conllu
    from xlie.scoring import score_dep
    from xlie.selftrain.parser import Parser
    from xlie.selftrain.parser_train import train_parser
    sents = sorted(list(read_conllu(test_data / "pud" / "en.conllu"))[:40],
                   key=lambda s: len(s.tokens))[:6]
    test = tmp_path / "test.conllu"
    write_conllu(test, sents)
    d = _stage(tmp_path / "run", "04-selftrain", {}, "selftrain", {"eval.test": test})
    train_parser(sents, d / "model", tiny_bert, epochs=1, batch_size=6, arc_dim=16, rel_dim=8)
    s = collect(tmp_path / "run")
    pred = Parser.load(d / "model").predict(sents)
    las = score_dep(list(zip(sents, pred)))["las"]
    words = sum(n for _, n in s.las_by_relation.values())
    assert words == sum(len(x.tokens) for x in sents)
    assert sum(v * n for v, n in s.las_by_relation.values()) / words == pytest.approx(las)


def test_report_false_leaves_it_out_and_a_broken_report_costs_the_run_nothing(tmp_path,
                                                                            monkeypatch):
    import pipeline_fakes as fakes
    corpus = tmp_path / "corpus.jsonl"
    fakes.write_corpus(corpus, n=4)

    def config(name: str, **extra) -> Path:
        data = {"run_dir": str(tmp_path / name), "shard_size": 4,
                "input": {"corpus": str(corpus), "src_lang": "en", "tgt_lang": "xx"},
                "ftranslate": {}, "falign": {}, "fproject": {}, "ftrain": {}, **extra}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    try:
        result = run_pipeline(fakes.load_config(config("off", report=False)))
        assert result.report is None and not (tmp_path / "off" / "report.html").exists()
        result = run_pipeline(fakes.load_config(config("on")))      # stages of any name
        page = result.report.read_text(encoding="utf-8")
        assert "11-ftranslate" in page and "No model was trained in this run." in page

        import xlie.report.page as page_mod
        monkeypatch.setattr(page_mod, "render", lambda s: 1 / 0)
        said = []
        result = run_pipeline(fakes.load_config(config("broken")), echo=said.append)
        assert result.report is None and [s.status for s in result.stages] == ["ran"] * 4
        assert any("run report was not written (ZeroDivisionError" in s for s in said)
    finally:
        fakes.reset()
