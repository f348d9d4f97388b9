"""`xlie align` on files: line-for-line output on bad input, side files, flag aliases."""
import json

import pytest
from click.testing import CliRunner

from xlie.cli import cli

GOOD = ["the cat sat . ||| die Katze saß .", "I felt my pulse . ||| Zkoušel jsem si tep ."]


def _write_input(path):
    lines = [
        GOOD[0].encode(),
        b"no separator on this line",
        b"   ||| only a target side",
        b". , ! ||| . ;",                         # only punctuation
        "bell \x07 here ||| zvonek".encode(),    # control character
        b"caf\xe9 ||| invalid utf-8",             # latin-1 byte
        GOOD[1].encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


def test_line_for_line_with_every_bad_case(tmp_path, tiny_bert):
    src = tmp_path / "in.txt"
    n = _write_input(src)
    out, probs, words, js = (tmp_path / x for x in ("out", "prob", "words", "out.jsonl"))
    r = CliRunner().invoke(cli, ["align", str(src), str(out), "--model", str(tiny_bert),
                                 "--extraction", "argmax", "--output_prob_file", str(probs),
                                 "--output_word_file", str(words), "--output-jsonl", str(js)])
    assert r.exit_code == 0, r.output
    lines = out.read_text().split("\n")[:-1]
    assert len(lines) == n
    assert [bool(x) for x in lines] == [True, False, False, False, False, False, True]
    for k in (2, 3, 4, 5, 6):
        assert f"{src}:{k}" in r.output
    # the good lines align exactly as they do without the bad lines around them
    clean = tmp_path / "clean.txt"
    clean.write_text("\n".join(GOOD) + "\n")
    out2 = tmp_path / "out2"
    CliRunner().invoke(cli, ["align", str(clean), str(out2), "--model", str(tiny_bert),
                             "--extraction", "argmax"])
    assert out2.read_text().split("\n")[:2] == [lines[0], lines[6]]
    # side files stay line-for-line and agree with the links
    prob_lines = probs.read_text().split("\n")[:-1]
    assert len(prob_lines) == n and len(prob_lines[0].split()) == len(lines[0].split())
    assert all(0 <= float(p) <= 1 for p in prob_lines[0].split())
    word_lines = words.read_text().split("\n")[:-1]
    assert "<sep>" in word_lines[0] and word_lines[1] == ""
    recs = [json.loads(x) for x in js.read_text().splitlines()]
    assert len(recs) == n and recs[1]["error"] and recs[0]["score"] > 0


def test_strict_stops_with_file_and_line(tmp_path, tiny_bert):
    src = tmp_path / "in.txt"
    _write_input(src)
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o"), "--model", str(tiny_bert),
                                 "--strict"])
    assert r.exit_code != 0
    assert f"{src}:2" in r.output and not (tmp_path / "o").exists()


def test_awesome_align_flag_names(tmp_path, tiny_bert):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(GOOD) + "\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["align", "--data_file", str(src), "--output_file", str(out),
                                 "--model_name_or_path", str(tiny_bert), "--extraction", "softmax",
                                 "--softmax_threshold", "0.001", "--align_layer", "2",
                                 "--batch_size", "8"])
    assert r.exit_code == 0, r.output
    assert len(out.read_text().splitlines()) == 2 and "layer 2" in r.output


def test_refuses_to_write_over_the_input(tmp_path, tiny_bert):
    src = tmp_path / "in.txt"
    src.write_text(GOOD[0] + "\n")
    r = CliRunner().invoke(cli, ["align", str(src), str(src), "--model", str(tiny_bert)])
    assert r.exit_code != 0 and "refusing to write over" in r.output
    assert src.read_text() == GOOD[0] + "\n"


def test_unknown_model_says_how_to_get_one(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text(GOOD[0] + "\n")
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o"), "--model", "./no/such/model"])
    assert r.exit_code == 2 and "xlie models build" in r.output


@pytest.mark.parametrize("method", ["softmax", "entmax", "ot", "argmax", "itermax", "match"])
def test_every_method_runs_and_filters_by_probability(tmp_path, tiny_xlmr, method):
    from xlie.aligners import Aligner
    pairs = [(p.split("|||")[0].split(), p.split("|||")[1].split()) for p in GOOD]
    al = Aligner(str(tiny_xlmr), extraction=method, layer=2)
    res = al.align_pairs(pairs)
    assert all(r.error is None for r in res)
    for r, (s, t) in zip(res, pairs):
        assert all(0 <= i < len(s) and 0 <= j < len(t) and 0 <= p <= 1 for i, j, p in r.links)
    strict = Aligner(str(tiny_xlmr), extraction=method, layer=2, min_prob=0.5).align_pairs(pairs)
    for loose, tight in zip(res, strict):
        assert {(i, j) for i, j, p in loose.links if p >= 0.5} == {(i, j) for i, j, _ in tight.links}


def test_tokenize_raw_text_keeps_offsets(tmp_path, tiny_bert):
    src = tmp_path / "raw.txt"
    src.write_text("Hello, world! ||| Ahoj, světe!\n")
    js = tmp_path / "o.jsonl"
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o"), "--model", str(tiny_bert),
                                 "--tokenize", "moses", "--tgt-lang", "cs", "--output-jsonl", str(js)])
    assert r.exit_code == 0, r.output
    rec = json.loads(js.read_text())
    assert rec["src"] == ["Hello", ",", "world", "!"]
    text = "Hello, world!"
    assert [text[a:b] for a, b in rec["src_offsets"]] == rec["src"]


def test_eval_command(tmp_path):
    gold = tmp_path / "g"
    gold.write_text("1-1 2p2\n")
    pred = tmp_path / "p"
    pred.write_text("0-0 1-1\n")
    r = CliRunner().invoke(cli, ["align", "eval", str(gold), str(pred), "--json"])
    assert r.exit_code == 0, r.output
    scores = json.loads(r.output)
    assert scores["aer"] == 0.0 and scores["precision"] == 1.0


def test_show_writes_html_and_png_with_the_words_and_links(tmp_path, tiny_bert):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(GOOD) + "\n")
    page, png = tmp_path / "p.html", tmp_path / "p.png"
    r = CliRunner().invoke(cli, ["align", "show", str(src), "--line", "2", "-o", str(page),
                                 "--png", str(png), "--model", str(tiny_bert), "--extraction", "argmax"])
    assert r.exit_code == 0, r.output
    text = page.read_text()
    for w in GOOD[1].replace("|||", " ").split():
        assert w in text
    assert text.count("●") >= 1 and "<li>" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = CliRunner().invoke(cli, ["align", "show", str(src), "--line", "9", "-o", str(page),
                                 "--model", str(tiny_bert)])
    assert r.exit_code == 2 and f"{src}:9" in r.output


def test_strict_names_the_first_bad_line_even_when_alignment_finds_it(tmp_path, tiny_bert):
    """A punctuation-only pair (found unusable by the aligner) before a malformed line: --strict
    names the punctuation line, the first bad one in the file."""
    src = tmp_path / "in.txt"
    src.write_text("a cat ||| eine Katze\n. , ! ||| . ?\nno separator\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o"), "--model", str(tiny_bert),
                                 "--strict"])
    assert r.exit_code != 0
    assert f"{src}:2" in r.output and "only punctuation" in r.output
    assert not (tmp_path / "o").exists()


def test_calibrate_finds_the_flags_that_made_the_gold(tmp_path, tiny_bert):
    """Gold made by `xlie align` at half the threshold calibration starts from: calibrate
    finds a setting with AER 0, and the flags it prints reproduce that gold."""
    data = tmp_path / "pairs.txt"
    data.write_text("\n".join(GOOD * 3) + "\n")
    made = tmp_path / "made.pharaoh"
    base = ["--model", str(tiny_bert), "--layer", "2"]
    r = CliRunner().invoke(cli, ["align", str(data), str(made), *base, "--threshold", "0.1"])
    assert r.exit_code == 0, r.output
    base += ["--threshold", "0.2"]                      # the grid's centre: 0.05 to 0.4
    r = CliRunner().invoke(cli, ["align", "calibrate", str(data), str(made), *base,
                                 "--zero-indexed", "--json"])
    assert r.exit_code == 0, r.output
    found = json.loads(r.output)
    assert found["tried"][0]["threshold"] == 0.2 and found["tried"][0]["aer"] > 0
    assert found["best"]["aer"] == 0.0 and found["best"]["threshold"] <= 0.1
    assert len(found["tried"]) == 12
    r = CliRunner().invoke(cli, ["align", "calibrate", str(data), str(made), *base, "--zero-indexed"])
    assert r.exit_code == 0 and "<- best" in r.output
    flags = r.output.strip().splitlines()[-1].split()[4:]        # after `xlie align INPUT OUTPUT`
    again = tmp_path / "again.pharaoh"
    r = CliRunner().invoke(cli, ["align", str(data), str(again), *flags])
    assert r.exit_code == 0, r.output
    assert again.read_text() == made.read_text()


def test_calibrate_names_the_file_when_gold_and_data_disagree(tmp_path, tiny_bert):
    data = tmp_path / "pairs.txt"
    data.write_text("\n".join(GOOD) + "\n")
    gold = tmp_path / "gold.txt"
    gold.write_text("1-1\n")
    r = CliRunner().invoke(cli, ["align", "calibrate", str(data), str(gold),
                                 "--model", str(tiny_bert), "--layer", "2"])
    assert r.exit_code != 0 and "pairs.txt:2" in r.output and "1 pairs, one per gold line" in r.output


def _translated(tokens, target):
    rec = {"id": f"s{len(tokens)}", "tokens": tokens, "spans": []}
    if target is not None:
        rec["translation"] = {"lang": "de", "text": " ".join(target), "tokens": target}
    return rec


def test_the_translated_corpus_aligns_record_for_record_as_the_pipeline_stage(tmp_path, tiny_bert):
    from xlie.pipeline.adapters.align import AlignStageConfig, process_batch, setup
    recs = [_translated(["the", "cat", "sat", "."], ["die", "Katze", "saß", "."]),
            _translated(["no", "translation"], None),
            _translated(["I", "felt", "my", "pulse", "."], ["Zkoušel", "jsem", "si", "tep", "."])]
    src = tmp_path / "corpus.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "aligned.jsonl"
    r = CliRunner().invoke(cli, ["align", str(src), str(out), "--model", str(tiny_bert)])
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [g["id"] for g in got] == [x["id"] for x in recs]
    assert f"{src}:2: expected a `translation` object" in r.output
    assert got[1]["alignment"] == [] and "translation" in got[1]["alignment_error"]
    # the links are the pipeline's align stage's, record for record
    cfg = AlignStageConfig(model=str(tiny_bert))
    stage = process_batch(setup(cfg, None), [recs[0], recs[2]]).records
    assert [got[0], got[2]] == stage and got[0]["alignment"] and got[0]["alignment_score"] > 0
    # Pharaoh side files make no sense for a corpus: refused before a model loads
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o"), "--model", "no-such",
                                 "--output_prob_file", str(tmp_path / "p")])
    assert r.exit_code != 0 and "JSONL corpus" in r.output
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o2"), "--model",
                                 str(tiny_bert), "--strict"])
    assert r.exit_code != 0 and f"{src}:2" in r.output and not (tmp_path / "o2").exists()
