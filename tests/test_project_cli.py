"""`xlie project`, `xlie project eval|show` and `xlie convert` end to end on small files."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from xlie.cli import cli
from xlie.formats.conll import read_conll
from xlie.formats.jsonl import read_corpus

# BIOES source with a split and an unaligned name; the target and links are hand-made
SRC_BIOES = ("The\tO\nUnited\tB-ORG\nNations\tE-ORG\nmet\tO\nMr\tO\nSegni\tS-PER\n\n"
             "Berlin\tS-LOC\nis\tO\nbig\tO\n\n")
TGT = "Die Vereinten Nationen trafen Herrn Segni\nBerlin ist groß\n"
ALIGN = "0-0 1-1 2-2 3-3 4-4\n0-0 1-1 2-2\n"
PROBS = "0.9 0.9 0.8 0.9 0.7\n0.95 0.9 0.9\n"
GOLD = ("Die\tO\nVereinten\tB-ORG\nNationen\tI-ORG\ntrafen\tO\nHerrn\tO\nSegni\tB-PER\n\n"
        "Berlin\tB-LOC\nist\tO\ngroß\tO\n\n")


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in [("src.bioes", SRC_BIOES), ("tgt.txt", TGT), ("a.pharaoh", ALIGN),
                       ("a.probs", PROBS), ("gold.conll", GOLD)]:
        paths[name] = tmp_path / name
        paths[name].write_text(text, encoding="utf-8")
    return tmp_path, paths


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_project_files_mode_then_eval_and_show(files):
    tmp, p = files
    out = tmp / "silver.conll"
    r = invoke("project", p["src.bioes"], out, "--target", p["tgt.txt"], "--alignment",
               p["a.pharaoh"], "--alignment-probs", p["a.probs"], "--lang", "de")
    assert r.exit_code == 0, r.output
    assert "3/3 projected" in r.output
    sents = list(read_conll(out, scheme="iob2"))  # written as IOB2 by default
    assert [(s.start, s.end, s.label) for s in sents[0].spans] == [(1, 3, "ORG"), (5, 6, "PER")]
    report = json.loads((tmp / "silver.conll.report.json").read_text())
    assert report["spans"]["projected"] == 3 and report["spans"]["how"]["string"] == 1
    assert report["per_label"]["PER"] == {"in": 1, "projected": 1}
    r = invoke("project", "eval", p["gold.conll"], out, "--json")
    assert r.exit_code == 0 and json.loads(r.output)["ner"]["micro"]["f1"] == 1.0
    html = tmp / "view.html"
    r = invoke("project", "show", p["src.bioes"], out, "-o", html, "--gold", p["gold.conll"])
    assert r.exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Vereinten Nationen" in page
    assert page.count("<mark") == 3 + 3 + 3  # source, projected and gold spans


def test_project_jsonl_corpus_with_heuristic_and_bioes_output(tmp_path):
    rec = {"id": "k", "tokens": ["John", "met", "Mary"],
           "spans": [{"start": 0, "end": 1, "label": "PER"}, {"start": 2, "end": 3, "label": "PER"}],
           "translation": {"lang": "de", "text": "John traf Mary", "tokens": ["John", "traf", "Mary"]},
           "alignment": [[0, 0, 0.9], [1, 1, 0.9], [2, 2, 0.9]]}
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps(rec) + "\n")
    out = tmp_path / "out.conll"
    r = invoke("project", inp, out, "-m", "heuristic", "--scheme", "bioes")
    assert r.exit_code == 0, r.output
    assert out.read_text().split("\n")[:3] == ["John\tS-PER", "traf\tO", "Mary\tS-PER"]
    out = tmp_path / "out.jsonl"
    assert invoke("project", inp, out, "--set", "string_match=false").exit_code == 0
    (s,) = read_corpus(out)
    assert s.lang == "de" and [x.id for x in s.spans] == ["k-0", "k-1"]


@pytest.mark.parametrize("align,probs,where", [
    ("0-0 1-1 2-9 3-3 4-4\n0-0 1-1 2-2\n", None, "a.pharaoh:1"),   # index out of range
    ("0-0 1-1\n0-0 x\n", None, "a.pharaoh:2"),                     # not a link
    ("0-0 1-1\n", None, "a.pharaoh"),                               # a line short
    (ALIGN, "0.9 0.9\n0.9 0.9 0.9\n", "a.probs:1"),                # probs do not match links
])
def test_project_input_errors_name_the_file_and_line(files, align, probs, where):
    tmp, p = files
    p["a.pharaoh"].write_text(align)
    args = ["project", p["src.bioes"], tmp / "o.jsonl", "--target", p["tgt.txt"],
            "--alignment", p["a.pharaoh"]]
    if probs:
        p["a.probs"].write_text(probs)
        args += ["--alignment-probs", p["a.probs"]]
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 2 and where in r.output
    assert not (tmp / "o.jsonl").exists()


def test_project_errors_unknown_method_and_overwriting_input(files):
    tmp, p = files
    r = CliRunner().invoke(cli, ["project", str(p["src.bioes"]), str(tmp / "o.jsonl"), "-m", "x",
                                 "--target", str(p["tgt.txt"]), "--alignment", str(p["a.pharaoh"])])
    assert r.exit_code == 2 and "heuristic" in r.output and "markers" in r.output
    r = CliRunner().invoke(cli, ["project", str(p["src.bioes"]), str(p["src.bioes"]),
                                 "--target", str(p["tgt.txt"]), "--alignment", str(p["a.pharaoh"])])
    assert r.exit_code == 2 and "refusing" in r.output
    assert p["src.bioes"].read_text() == SRC_BIOES
    r = CliRunner().invoke(cli, ["project", str(p["src.bioes"]), str(tmp / "out.txt"),
                                 "--target", str(p["tgt.txt"]), "--alignment", str(p["a.pharaoh"])])
    assert r.exit_code == 2 and "cannot tell the format" in r.output


def test_truncated_conll_input_names_the_line(files):
    tmp, p = files
    p["src.bioes"].write_text("The\tO\nUnited\tB-ORG\nNations\n")
    r = CliRunner().invoke(cli, ["project", str(p["src.bioes"]), str(tmp / "o.jsonl"),
                                 "--target", str(p["tgt.txt"]), "--alignment", str(p["a.pharaoh"])])
    assert r.exit_code == 2 and "src.bioes:3" in r.output


def test_convert_round_trips(tmp_path, files):
    _, p = files
    j = tmp_path / "a.jsonl"
    assert invoke("convert", p["src.bioes"], j, "--in-scheme", "bioes", "--lang", "en").exit_code == 0
    back = tmp_path / "b.bioes"
    assert invoke("convert", j, back, "--scheme", "bioes").exit_code == 0
    assert back.read_text() == SRC_BIOES
    iob1 = tmp_path / "c.conll"
    assert invoke("convert", j, iob1, "--scheme", "iob1").exit_code == 0
    assert "United\tI-ORG" in iob1.read_text()
    conllu_in = tmp_path / "x.conllu"
    conllu_in.write_text("# sent_id = 1\n# text = Hi !\n1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n"
                         "2\t!\t!\tPUNCT\t_\t_\t1\tpunct\t_\t_\n\n")
    assert invoke("convert", conllu_in, tmp_path / "x.jsonl").exit_code == 0
    assert invoke("convert", tmp_path / "x.jsonl", tmp_path / "y.conllu").exit_code == 0
    assert (tmp_path / "y.conllu").read_text() == conllu_in.read_text()
    r = CliRunner().invoke(cli, ["convert", str(j), str(tmp_path / "z.weird")])
    assert r.exit_code == 2 and "--from/--to" in r.output


def test_convert_to_spacy_docbin(tmp_path, files):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin
    _, p = files
    out = tmp_path / "a.spacy"
    assert invoke("convert", p["src.bioes"], out).exit_code == 0
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("United Nations", "ORG"), ("Segni", "PER")]
    assert docs[1].user_data["id"] == "1"


def test_a_translated_corpus_without_links_is_an_error_saying_to_align_it(tmp_path):
    rec = {"id": "s1", "tokens": ["Berlin", "is", "big"],
           "spans": [{"start": 0, "end": 1, "label": "LOC"}],
           "translation": {"lang": "de", "text": "Berlin ist groß",
                           "tokens": ["Berlin", "ist", "groß"]}}
    src = tmp_path / "translated.jsonl"
    src.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["project", str(src), str(tmp_path / "silver.jsonl")])
    assert r.exit_code != 0 and "no record has `alignment`" in r.output
    assert "xlie align" in r.output and not (tmp_path / "silver.jsonl").exists()
    # one aligned record is enough: the others are skipped and counted, as before
    both = dict(rec, id="s2", alignment=[[0, 0, 0.9], [1, 1, 0.9], [2, 2, 0.9]])
    src.write_text(json.dumps(rec) + "\n" + json.dumps(both) + "\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["project", str(src), str(tmp_path / "silver.jsonl")])
    assert r.exit_code == 0, r.output
    assert [s.id for s in read_corpus(tmp_path / "silver.jsonl")] == ["s2"]
