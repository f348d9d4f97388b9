"""Bad and awkward input, tried as a user would (issue: ten defects where data was lost,
mangled or left behind). Each case was reproduced by its test before the fix.

| case | before | now |
|---|---|---|
| `--max-new-tokens` past the decoder's positions | IndexError / RuntimeError mid-corpus, `.partial` files left | capped at the model's limit with a warning (`test_translate_hf.py`, `test_translate_ct2.py`) |
| umask 022, any output | files 0600 (mkstemp), unreadable on shared storage | the umask's mode (0644) |
| UTF-8 BOM at the start of a CoNLL file | kept inside the first token | dropped by every reader (`fileio.iter_lines`) |
| `align eval` link `99-99` on a 12-word pair, with `--data` | AER changed, exit 0 | `FILE:LINE` error, exit 2 |
| `align eval` with a 1-indexed PRED | AER 70.9, no hint | a warning with the AER the shifted links would get |
| CoNLL-U target through `xlie project` | multiword line and `# parallel_id` dropped, `# text` rewritten | the target's comments, multiword lines and MISC kept; only projected columns added |
| `xlie convert x.conll x.conllu` | every NER span dropped, no warning | spans carried in MISC as `NER=B-PER`, read back by the CoNLL-U reader |
| `xlie align IN OUT --output_prob_file OUT` | one output overwrote the other, exit 0 | refused before the model loads |
| Ctrl-C in any command | `Aborted!`, exit 1 | `interrupted`, exit 130 |
| SIGTERM during `xlie align` | a 0-byte `.OUT.*.tmp` left | unwinds like an exception: temporary files removed, exit 143 |
| `summary.json` of a finished self-training stage | `final_model` inside `.04-selftrain.partial/` (renamed away) | relative to the summary's folder (`test_pipeline_e2e.py`) |
| translate: error mid-run, or bad input | `.OUT.partial` and `.OUT.partial.json` left | input read in full before the model loads; partial files removed after an error it cannot resume from |
| failed CT2 conversion of a hub id | an empty `$XLIE_HOME/ct2/hub-ORG` folder left | one flat folder per model, removed on failure |
| a hub id with no network | 27-50 s of retry lines before the message | one quick connection check, a clear error in seconds |
| three-column TSV given to `xlie translate` | a tag error; nothing said of the guessed format | the error says the format was guessed and names `--input-format` |
| `xlie run --set align.layer=99` | failed inside the stage after the model loaded, key unnamed, `config.yaml` left | a config error naming `align.layer`, before anything is written (`test_pipeline_e2e.py`) |

## Second sweep (issue 33)

Each case below failed its test before the fix (checked by running the test against the code
before the change). Defect 6 (the parser's uncounted training sentences) is the lead's, in
the trainer refactor.

| # | case | command | before | after |
|---|---|---|---|---|
| 1 | language pair changed | `xlie run CFG --until translate`, then `--set input.tgt_lang=fr` | every stage "up to date, skipped", exit 0 | a stage's fingerprint holds src/tgt language, seed and what each named model (local dir, built e5-small) holds now: every stage reruns (`test_pipeline.py`) |
| 1 | failed batch stage | a pipeline translate that fails | `.01-translate.tmp` left | removed; finished shards stay in `.partial` (`test_pipeline.py`) |
| 2 | FIFO output | `mkfifo f; xlie translate b.txt f ...` | `f` replaced by a plain file, exit 0 | written through; `f` is still a FIFO |
| 2 | device output | `xlie convert a.conll /dev/null --to jsonl` (as root) | `/dev/null` replaced by a regular file | written through (the test makes its own null node) |
| 3 | RELX sentence lost E1/E2 or its relation | `xlie project ... --to relx`, `selftrain predict --format relx`, `convert --to relx` | `<input>: expected two spans…`, nothing written | the rest written; a warning names the file, the count and the ids left out; an entity read empty is written as an empty pair again |
| 4 | empty target line | `xlie project en.conllu out.conllu --target t.txt --alignment a.txt` | a CoNLL-U block with no words; report: complete tree | the sentence left out with a warning naming file and id; report `empty`, not complete |
| 5 | input edited between runs | translate, interrupt, edit line 1, translate again | old translation kept ("kept from an interrupted run") | the partial output is keyed by the input's SHA-256: starts over |
| 7 | missing input | `xlie translate no.jsonl ...` (every format) | FileNotFoundError traceback, exit 1 | `no.jsonl: no such file`, exit 2 |
| 7 | unwritable output / parent is a file | `translate`, `convert`, `project` to `/proc/x/o.jsonl` or `a.conll/o.jsonl` | traceback, exit 1 | `cannot write ...`, exit 2, before any model loads |
| 7 | unwritable output of training and runs | `selftrain train -o ro/R`, `selftrain predict -o ro/p.jsonl`, `xlie run` with such a run_dir | traceback, train after 23 s of loading | `cannot write ...`, exit 2, before loading |
| 7 | plain encoder as tagger | `selftrain predict x --model e5-small` | `ValueError: could not broadcast` | "is not a trained tagger, parser or relation classifier", exit 2 |
| 8 | invalid source tree | `xlie project` of a CoNLL-U source with a cycle, a self-loop, two roots | accepted; `xlie` wrote `root` on a non-root arc, `heuristic` copied the cycle | the reader refuses a cycle or self-loop at FILE:LINE; projection refuses two roots (or none in a complete tree) naming the file and sentence |
| 9 | parser root label | `selftrain predict x.conllu --model PARSER` | the root word labelled e.g. `case`; gold DEPS kept | HEAD 0 gets `root`, no other word does; DEPS `_` where the tree differs from the one read (`test_selftrain_parser.py`) |
| 10 | literal marker text | a source token `<m1>` (xml) or `[1 Mary 1]` (brackets) | the text vanished, the span lost | markers numbered above the source's own; the text kept, the span found |
| 11 | `--report` = OUTPUT | `xlie project ... OUT --report OUT` | projection replaced by the report, exit 0 | refused before anything is written, exit 2 |
| 12 | model weights mode | `selftrain train`, the parser, checkpoints, the pipeline's model, umask 022 | `model.safetensors` 0600 | the umask's mode (0644) |
| - | Apertium length warning | a sentence over the limit with `--backend apertium` | "N model tokens" | "N characters" (the backend's unit) |
| - | combining marks, ZWJ emoji | translation words of `cafe` + U+0301, a family emoji | split into separate tokens | one word each |
| - | decomposed text to Apertium | `cafe` + U+0301 | "cafeteríá" | NFC before Apertium |
| - | CoNLL-U multiword tokens | translate a sentence with `1-2 Vámonos` | MT got "Vamos nos a el mar" | MT gets `# text`, words placed through the multiword tokens |
| - | `--set nosuch.key=1` | `xlie run CFG --set nosuch.key=1` | blamed the YAML file | names the `--set` item |
| - | `--max-input-tokens 0` | `xlie translate ... --max-input-tokens 0` | "fix the key in the config file" | names the option |
| - | `project eval` mismatch | counts or tokens differ | no file named | gold and predicted files named |
| - | duplicate predicted ids | `project eval g.jsonl p.jsonl` with an id twice | accepted, one dropped | error naming the file |
| - | bad link probabilities | `--alignment-probs` with `nan`, `1.5`, `-0.2` (or in JSONL) | clamped or taken | FILE:LINE error |
| - | relation to a missing span | JSONL relation with `tail` not a span id | accepted | FILE:LINE error |
| - | `--score` without gold heads | `selftrain predict x.jsonl --model PARSER --score` | UAS 0.0 | "nothing to score" |
| - | RELX CRLF and BOM | `convert crlf-bom.txt back.txt --to relx` | README said byte for byte | README and docs say a BOM is dropped and lines end LF |
| - | output format after loading | `selftrain predict x -o p.conll --model POS_TAGGER` | found after the model loaded | checked from the model's small files first |

## Third sweep (issue 33): what landed this turn (events, the report, int8, the task registry)

Tried as a new user would, on tiny inputs. "holds" rows were right before this sweep and
are recorded only; every "fixed" row has a test here that failed before the fix.

| # | case | command | before | after |
|---|---|---|---|---|
| 1 | missing .tml | `xlie convert no.tml o.jsonl` | click: does not exist, exit 2 | holds |
| 2 | empty .tml / XML declaration only | `convert e.tml o.jsonl` | `e.tml:1: expected well-formed XML`, exit 2 | holds |
| 3 | truncated XML, unclosed EVENT, stray `&` | `convert e.tml o.jsonl` | FILE:LINE, "well-formed XML", exit 2 | holds |
| 4 | not UTF-8 | a Latin-1 .tml | FILE:LINE "expected UTF-8 text" | holds |
| 5 | EVENT without class or eid | `convert e.tml o.jsonl` | FILE:LINE "an EVENT with eid and class" | holds |
| 6 | an eid given twice | `convert dup.tml o.jsonl` | read silently (MAKEINSTANCE went to both; the events of a written document collapsed) | fixed: FILE:LINE naming the eid and the line of its first EVENT |
| 7 | a .tml with no `<TEXT>` | `convert notext.tml o.jsonl` | DOCID and DCT read as words (`d11998-01-08` glued to the first word); a file with nothing else gave that one sentence | fixed: the root's text around DOCID/DCT; no text at all is an error naming the file |
| 8 | empty `<TEXT>` | `convert e.tml o.jsonl` | "0 sentences written", exit 0 | holds (says so); training on it now names the file (#33) |
| 9 | .tml output over its input, unwritable, under a file, FIFO | `convert d.tml d.tml`, `/proc/x/o.tml`, `d.tml/o.jsonl`, `mkfifo f.tml` | refused / `cannot write`, exit 2; FIFO written through | holds |
| 10 | two documents into one .tml | `convert two.jsonl o.tml` | "a TimeML file holds one document", nothing written | holds |
| 11 | JSONL event naming no span, `events` not a list | `convert in.jsonl o.tml` | accepted, the event dropped unseen | fixed: FILE:LINE error (event arguments are not checked: projection keeps them across target cuts) |
| 12 | EN and PT dirs with no document in common | `project --by-document en/ out/ --target pt/` | "no document of en is in pt", exit 2 | holds; documents on one side only are counted in the summary |
| 13 | one malformed .tml in the PT folder | as 12 | FILE:LINE, exit 2 | holds |
| 14 | records without `doc` | `project --by-document en.jsonl o.jsonl --target pt.jsonl` | "sentence a names no document" | holds |
| 15 | empty folder; `--method markers` | as 12 | "no corpus files in en"; "needs a marked translation" | holds |
| 16 | OUTPUT folder = the `--target` (or INPUT) folder | `project --by-document en/ pt/ --target pt/` | each projected document written over the one read, exit 0 | fixed: refused before the aligner loads, every document left as it was |
| 17 | OUTPUT = a target file | `project --by-document en/d1.tml pt/d1.tml --target pt/d1.tml` | refused, but after loading the aligner and aligning | fixed: refused before |
| 18 | `--report` = OUTPUT | `project --by-document en/ o.jsonl --target pt/ --report o.jsonl` | the projection replaced by the report, exit 0 | fixed: refused, nothing written |
| 19 | unwritable OUTPUT | `project --by-document en/ /proc/x/o.jsonl ...` | the model loaded first (a missing model was the error seen) | fixed: `cannot write`, before loading |
| 20 | two documents into one .tml OUTPUT | `project --by-document en/ o.tml ...` | refused after aligning every document | fixed: refused before loading, hint: an OUTPUT folder ending in / |
| 21 | bad `--align-set` key | `--align-set nosuch=1` | "the command's option --nosuch" (no such option) | fixed: names `--align-set` |
| 22 | event scores against another document | `project eval g.tml p.tml --task event` (p another DOCID, same shape) | paired by position, 100.00 | fixed: error naming both files and documents |
| 23 | `--task event` on gold with NER spans only | `project eval n.jsonl n.jsonl --task event` | scores the spans as triggers | holds: documented (records without `events` are all triggers, `scoring_events.triggers`) |
| 24 | a setting the task does not use | `selftrain train --task relation --min-silver-score 0.5`; `--task dep` the same; `--set train.marker_style=typed` with event; a YAML `arc_dim` for event; `xlie run --set selftrain.train.arc_dim=3` | error naming the key, the task and where it came from, exit 2 | holds |
| 25 | data the task cannot train on | `selftrain train a.tml --task pos` / `a.conll --task dep` / `a.tml --task relation` | "no POS tags" / "no sentence with a tree" / "no sentence with two marked entities" | holds |
| 26 | training files with no sentence | `selftrain train empty.tml --task event` | "what became of them: {}" | fixed: names the files that hold no sentence |
| 27 | bad `--top-fraction 2`, `--threshold nan`, `--rounds -1`, `--set train.task=nosuch` | `selftrain run ...` | error naming the option, exit 2 | holds |
| 28 | model dir that is no model | `selftrain train/predict --model empty/`; `--model a.tml` | "no config.json" / "not a trained tagger" / "no such model directory" | holds |
| 29 | model dir whose config.json transformers cannot read | `selftrain predict g.tml --model DIR` (config: task, labels, no model_type) | `ValueError: Unrecognized model` traceback, exit 1 | fixed: "cannot load model DIR: not a model transformers can load" (every loader) |
| 30 | an output format the task cannot hold | `selftrain predict` NER -> .tml, event -> .conllu, parser -> .tml, relation -> .conll | refused before loading, naming the formats that fit | holds |
| 31 | inputs read after the model | `selftrain predict g.tml bad.tml -o p.jsonl`; two documents -o p.tml | errors only after the model loaded | fixed: inputs read (and a .tml output's one document checked) first |
| 32 | unwritable run dir | `selftrain run /proc/x/R ...` | the model loaded first | fixed: `cannot write`, before loading |
| 33 | report: run dir missing, empty, a file | `xlie report nope/`, `E/`, `a.tml` | "no run directory" / "holds no stage folder" / click, exit 2 | holds |
| 34 | a bad ensemble weight | `selftrain run R ... --teacher ensemble --weight -1 --weight 2` | hint "the command's option --weights" (no such option) | fixed: names `--weight`; a setting no option fills gets no invented flag |
| 35 | `xlie translate` output given to `xlie align` | `xlie align translated.jsonl aligned.jsonl` | every record "expected 'source \|\|\| target'", 0 aligned, exit 0 | fixed: the JSONL corpus is aligned record for record |
| 36 | a translated corpus with no links given to `xlie project` | `xlie project translated.jsonl silver.jsonl` | "0 sentences projected", an empty silver file, exit 0 | fixed: error saying to run `xlie align` first, nothing written |
| 34 | report: a broken or non-object manifest | `xlie report R` | `JSONDecodeError` / `AttributeError` traceback, exit 1 | fixed: FILE:LINE "a stage manifest (a JSON object)", hint to rerun |
| 35 | report over what it reads | `xlie report R -o R/config.yaml` (or a stage's corpus, a manifest) | replaced, exit 0 | fixed: refused before anything is read |
| 36 | report: unwritable `-o`, a folder, a FIFO, a stage cut short, a corrupt corpus line | `xlie report R -o ...` | `cannot write` (now before reading), click, written through, shown as not done, FILE:LINE | holds |
| 37 | unknown dtype | `align --dtype int4`, `selftrain predict --dtype int4`, `xlie run --set align.dtype=int4` | choice / config error, exit 2 | holds |
| 38 | int8 where it cannot be had | `align --dtype int8` with XLIE_HOME a file or unwritable; `models build nosuch --int8` | one warning, fp32 output; "unknown built-in model" | holds |
| 39 | a damaged cached int8 encoder | `align --dtype int8` after `layer3.onnx` was cut short | fp32 with the same warning on every later run | fixed: built again once, with a warning |
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlie.cli import cli
from xlie.fileio import atomic_write


RELX_EN = Path(__file__).parent / "data" / "relx" / "en.txt"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_atomic_write_keeps_the_umask_mode(tmp_path, umask_022):
    with atomic_write(tmp_path / "out.txt") as f:
        f.write("x\n")
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644


def test_convert_output_is_readable_by_others(tmp_path, umask_022):
    (tmp_path / "a.conll").write_text("Anna\tB-PER\nruns\tO\n\n", encoding="utf-8")
    assert invoke("convert", tmp_path / "a.conll", tmp_path / "a.jsonl").exit_code == 0
    assert stat.S_IMODE((tmp_path / "a.jsonl").stat().st_mode) == 0o644


def test_a_byte_order_mark_is_not_part_of_the_first_token(tmp_path):
    from xlie.formats.conll import read_conll
    from xlie.formats.conllu import read_conllu
    from xlie.formats.pharaoh import read_pharaoh
    bom = b"\xef\xbb\xbf"
    (tmp_path / "b.conll").write_bytes(bom + "A\tB-PER\nb\tO\n\n".encode())
    assert [s.tokens for s in read_conll(tmp_path / "b.conll")] == [["A", "b"]]
    (tmp_path / "b.conllu").write_bytes(bom + "1\tEr\ter\tPRON\t_\t_\t0\troot\t_\t_\n\n".encode())
    assert [s.tokens for s in read_conllu(tmp_path / "b.conllu")] == [["Er"]]
    (tmp_path / "g.talp").write_bytes(bom + b"1-1 2-2\n")
    assert [g.sure for g in read_pharaoh(tmp_path / "g.talp", one_indexed=True)] == [{(0, 0), (1, 1)}]


@pytest.fixture
def eval_files(tmp_path):
    words = " ".join(f"w{k}" for k in range(12))
    (tmp_path / "pairs.txt").write_text(f"{words} ||| {words}\n" * 3, encoding="utf-8")
    gold = " ".join(f"{k}-{13 - k}" for k in range(1, 13))     # 1-indexed, reversed order
    (tmp_path / "gold.talp").write_text(f"{gold}\n" * 3, encoding="utf-8")
    return tmp_path


def test_align_eval_rejects_a_link_outside_the_pair(eval_files):
    t = eval_files
    pred = " ".join(f"{k}-{11 - k}" for k in range(12))
    (t / "pred.txt").write_text(f"{pred}\n{pred} 99-99\n{pred}\n", encoding="utf-8")
    r = invoke("align", "eval", t / "gold.talp", t / "pred.txt", "--data", t / "pairs.txt")
    assert r.exit_code == 2
    assert "pred.txt:2" in r.output and "99-99" in r.output and "12 source" in r.output


def test_align_eval_warns_when_pred_looks_one_indexed(eval_files):
    t = eval_files
    (t / "pred.txt").write_text(((" ".join(f"{k}-{13 - k}" for k in range(1, 13))) + "\n") * 3,
                                encoding="utf-8")
    r = CliRunner().invoke(cli, ["align", "eval", str(t / "gold.talp"),
                                                 str(t / "pred.txt")])
    assert r.exit_code == 0
    assert "look 1-indexed" in r.stderr and "AER 0.00" in r.stderr
    good = t / "good.txt"
    good.write_text(((" ".join(f"{k}-{11 - k}" for k in range(12))) + "\n") * 3, encoding="utf-8")
    r = CliRunner().invoke(cli, ["align", "eval", str(t / "gold.talp"), str(good)])
    assert r.exit_code == 0 and "warning" not in r.stderr


DE_CONLLU = """# sent_id = s1
# parallel_id = pud/s1
# text = Anna wohnt im Süden.
1	Anna	Anna	PROPN	NE	_	2	nsubj	_	_
2	wohnt	wohnen	VERB	VVFIN	_	0	root	_	_
3-4	im	_	_	_	_	_	_	_	_
3	in	in	ADP	APPR	_	5	case	_	_
4	dem	der	DET	ART	_	5	det	_	_
5	Süden	Süden	NOUN	NN	_	2	obl	_	SpaceAfter=No
6	.	.	PUNCT	$.	_	2	punct	_	_

"""


def test_conllu_projection_keeps_the_targets_text_and_adds_only_projected_columns(tmp_path):
    (tmp_path / "en.conll").write_text("Anna\tB-PER\nlives\tO\nin\tO\nthe\tO\nsouth\tO\n.\tO\n\n",
                                       encoding="utf-8")
    (tmp_path / "de.conllu").write_text(DE_CONLLU, encoding="utf-8")
    (tmp_path / "a.pharaoh").write_text("0-0 1-1 2-2 3-3 4-4 5-5\n", encoding="utf-8")
    out = tmp_path / "silver.conllu"
    r = invoke("project", tmp_path / "en.conll", out, "--target", tmp_path / "de.conllu",
               "--alignment", tmp_path / "a.pharaoh")
    assert r.exit_code == 0, r.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["# sent_id = s1", "# parallel_id = pud/s1", "# text = Anna wohnt im Süden."]
    assert lines[5].startswith("3-4\tim\t")
    first = lines[3].split("\t")
    assert first[1] == "Anna" and first[9] == "NER=B-PER"
    assert first[6] == "_" and first[2] == "_"        # the target's gold is not copied
    assert lines[8].split("\t")[9] == "SpaceAfter=No"


def test_convert_conll_to_conllu_keeps_the_spans(tmp_path):
    from xlie.formats.conllu import read_conllu
    (tmp_path / "x.conll").write_text("Anna\tB-PER\nin\tO\nNeu\tB-LOC\nYork\tI-LOC\n\n",
                                      encoding="utf-8")
    assert invoke("convert", tmp_path / "x.conll", tmp_path / "x.conllu").exit_code == 0
    [sent] = read_conllu(tmp_path / "x.conllu")
    assert [(s.start, s.end, s.label) for s in sent.spans] == [(0, 1, "PER"), (2, 4, "LOC")]
    assert invoke("convert", tmp_path / "x.conllu", tmp_path / "y.conll").exit_code == 0
    assert (tmp_path / "y.conll").read_text() == (tmp_path / "x.conll").read_text()


def test_align_outputs_that_name_one_file_are_refused_before_the_model_loads(tmp_path):
    (tmp_path / "in.txt").write_text("a b ||| c d\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    r = invoke("align", tmp_path / "in.txt", out, "--output_prob_file", out,
               "--model", tmp_path / "no-such-model")
    assert r.exit_code != 0 and "both name" in r.output
    assert not out.exists()


@pytest.mark.parametrize("sig,code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_stopped_align_leaves_no_temporary_file_and_exits_as_a_shell_expects(tiny_bert, tmp_path,
                                                                             sig, code):
    import signal
    import subprocess
    import sys
    import time
    pairs = tmp_path / "in.txt"
    pairs.write_text("the cat sat on the mat . ||| die Katze saß auf der Matte .\n" * 50000,
                     encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", "from xlie.cli import main; main()", "align",
                             str(pairs), str(tmp_path / "out.txt"), "--model", str(tiny_bert),
                             "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not list(tmp_path.glob(".out.txt.*.tmp")) and time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(getattr(signal, sig))
    assert proc.wait(timeout=60) == code
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_translate_reads_the_input_before_loading_a_model_and_names_the_guess(tmp_path):
    """A three-column TSV is guessed as CoNLL: the error says the format was guessed and how
    to name it, before any model is loaded (the model here does not exist), and leaves no
    partial output behind."""
    src = tmp_path / "in.tsv"
    src.write_text("a\tb\tc\nd\te\tf\n", encoding="utf-8")
    r = invoke("translate", src, tmp_path / "out.jsonl", "-m", tmp_path / "no-model",
               "-s", "en", "-t", "de", "--no-cache")
    assert r.exit_code == 2, r.output
    assert "in.tsv:1" in r.output and "guessed" in r.output and "--input-format" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv"]


def test_an_unreachable_hub_fails_fast_with_what_to_do(monkeypatch, tmp_path):
    from xlie.errors import ModelNotFoundError
    from xlie.models import resolve
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))          # an empty HF cache
    monkeypatch.setattr(resolve, "hub_reachable", lambda: False)
    with pytest.raises(ModelNotFoundError, match="cannot be reached"):
        resolve.loadable_model("some-org/some-model")


def test_a_failed_ct2_conversion_of_a_hub_id_leaves_no_folder(monkeypatch, tmp_path):
    pytest.importorskip("ctranslate2")
    from xlie.errors import XlieError
    from xlie.translation.backends import ct2
    monkeypatch.setenv("XLIE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ct2, "loadable_model", lambda name: str(name))   # as if the hub answered
    with pytest.raises(XlieError, match="could not convert"):
        ct2.convert_to_ct2("some-org/some-model")
    assert list((tmp_path / "home" / "ct2").iterdir()) == []


# --- issue 33, second sweep ----------------------------------------------------------------

def _read_fifo_in_background(path):
    """Open ``path`` for reading in a thread (a writer blocks until a reader opens a FIFO)."""
    import threading
    got = []
    thread = threading.Thread(target=lambda: got.append(open(path, "rb").read()), daemon=True)
    thread.start()
    return thread, got


@pytest.mark.parametrize("write", ["atomic", "translate"])
def test_a_fifo_output_is_written_through_not_replaced(tmp_path, write):
    """#2: the temp-and-rename write left a plain file where the FIFO was."""
    from translate_helpers import EchoBackend, write_corpus
    from xlie.translation import translate
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    thread, got = _read_fifo_in_background(fifo)
    if write == "atomic":
        with atomic_write(fifo) as f:
            f.write("one\ntwo\n")
    else:
        src = write_corpus(tmp_path / "in.jsonl", ["Anna runs .", "Bo sleeps ."])
        translate(src, fifo, backend=EchoBackend(), cache=False)
    thread.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(got[0].decode().splitlines()) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_output_is_written_through(tmp_path):
    """#2: as root, `xlie convert x /dev/null` replaced /dev/null. The test makes its own
    null device node: the real one must never be put at risk by a regression."""
    (tmp_path / "a.conll").write_text("Anna\tB-PER\n\n", encoding="utf-8")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = os.stat(null)
    assert invoke("convert", tmp_path / "a.conll", null, "--to", "jsonl").exit_code == 0
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_translate_resume_notices_an_edited_input(tmp_path):
    """#5: the partial output was keyed by path and settings, so an edited line 1 came out
    as the old translation ("kept from an interrupted run")."""
    from translate_helpers import EchoBackend, KilledAfter, kill_after, write_corpus
    from xlie.translation import translate
    src = write_corpus(tmp_path / "in.jsonl", ["Anna runs .", "Bo sleeps .", "Cy eats ."])
    out = tmp_path / "out.jsonl"
    with pytest.raises(KilledAfter):
        translate(src, out, backend=kill_after(EchoBackend(), calls=1), cache=False,
                  sort_window=1)
    write_corpus(src, ["Dana swims .", "Bo sleeps .", "Cy eats ."])
    rep = translate(src, out, backend=EchoBackend(), cache=False, sort_window=1)
    import json
    assert rep.resumed == 0
    assert json.loads(out.read_text().splitlines()[0])["translation"]["text"].startswith("Dana")


@pytest.mark.parametrize("output", ["parent-is-file", "unwritable"])
@pytest.mark.parametrize("command", ["translate", "convert", "project"])
def test_outputs_that_cannot_be_written_are_clear_errors(tmp_path, command, output):
    """#7: a traceback (exit 1) for an output in an unwritable folder or under a file."""
    (tmp_path / "a.conll").write_text("Anna\tB-PER\nruns\tO\n\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("Anna corre\n", encoding="utf-8")
    (tmp_path / "links.txt").write_text("0-0 1-1\n", encoding="utf-8")
    out = (tmp_path / "a.conll" / "o.jsonl" if output == "parent-is-file"
           else "/proc/xlie-no-such/o.jsonl")    # no one can create files there, root neither
    args = {"translate": ["translate", tmp_path / "a.conll", out, "-s", "en", "-t", "es",
                          "--backend", "apertium"],
            "convert": ["convert", tmp_path / "a.conll", out, "--to", "jsonl"],
            "project": ["project", tmp_path / "a.conll", out, "--target", tmp_path / "t.txt",
                        "--alignment", tmp_path / "links.txt"]}[command]
    res = invoke(*args)
    assert res.exit_code == 2, res.output
    assert "cannot write" in res.output and str(out) in res.output


def test_translate_of_a_missing_input_is_a_clear_error(tmp_path):
    """#7: FileNotFoundError traceback for every input format."""
    for name in ("no.jsonl", "no.conll", "no.conllu", "no.txt"):
        res = invoke("translate", tmp_path / name, tmp_path / "o.jsonl", "-s", "en", "-t", "es",
                     "--backend", "apertium")
        assert res.exit_code == 2 and "no such file" in res.output, res.output


def test_a_report_that_names_the_output_is_refused(tmp_path):
    """#11: `--report OUT` with OUTPUT OUT replaced the projection with the report, exit 0."""
    (tmp_path / "a.conll").write_text("Anna\tB-PER\nruns\tO\n\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("Anna corre\n", encoding="utf-8")
    (tmp_path / "links.txt").write_text("0-0 1-1\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    res = invoke("project", tmp_path / "a.conll", out, "--target", tmp_path / "t.txt",
                 "--alignment", tmp_path / "links.txt", "--report", out)
    assert res.exit_code == 2 and "--report" in res.output, res.output
    assert not out.exists()


def test_saved_models_follow_the_umask(tiny_bert, tmp_path, umask_022):
    """#12: model.safetensors (and accelerate's checkpoint files) were written 0600 whatever
    the umask, so other users could not read a shared model."""
    from xlie.selftrain.checkpoint import _replace_dir
    from xlie.selftrain.parser import Parser
    Parser.from_encoder(tiny_bert, ["root", "nsubj"]).save(tmp_path / "parser")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "parser").iterdir()}
    assert modes["model.safetensors"] == 0o644 and set(modes.values()) == {0o644}
    from safetensors.torch import save_file
    import torch
    (tmp_path / "model.tmp").mkdir()
    save_file({"w": torch.zeros(2)}, tmp_path / "model.tmp" / "model.safetensors")
    _replace_dir(tmp_path / "model.tmp", tmp_path / "model")   # every tagger and checkpoint
    assert stat.S_IMODE((tmp_path / "model" / "model.safetensors").stat().st_mode) == 0o644


def _fake_model(folder, **config):
    """A model folder with only its small files: enough for the checks made before loading."""
    import json
    folder.mkdir()
    for name, data in config.items():
        (folder / name).write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_predict_checks_the_model_and_output_before_loading(tmp_path, tiny_bert):
    """#7 and smaller: `selftrain predict --model e5-small` (a plain encoder) failed with
    `ValueError: could not broadcast`; a wrong output format or an unwritable output was
    found only after the model had loaded."""
    (tmp_path / "a.conll").write_text("Anna\tB-PER\nruns\tO\n\n", encoding="utf-8")
    res = invoke("selftrain", "predict", tmp_path / "a.conll", "-o", tmp_path / "p.jsonl",
                 "--model", tiny_bert)
    assert res.exit_code == 2 and "not a trained tagger" in res.output, res.output
    pos = _fake_model(tmp_path / "pos", **{"config.json": {
        "xlie_task": "pos", "id2label": {"0": "NOUN", "1": "VERB"}}})   # no weights: never loaded
    res = invoke("selftrain", "predict", tmp_path / "a.conll", "-o", tmp_path / "p.conll",
                 "--model", pos)
    assert res.exit_code == 2 and "conll output cannot hold the labels of task pos" in res.output, \
        res.output
    parser = _fake_model(tmp_path / "parser", **{"parser.json": {"rels": ["root"]}})
    for out in (tmp_path / "p.spacy", tmp_path / "a.conll" / "p.conllu"):
        res = invoke("selftrain", "predict", tmp_path / "a.conll", "-o", out, "--model", parser)
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    res = invoke("selftrain", "predict", tmp_path / "a.conll", "-o", "/proc/xlie-no/p.jsonl",
                 "--model", pos)
    assert res.exit_code == 2 and "cannot write" in res.output, res.output


def test_selftrain_train_and_run_refuse_an_unwritable_output_before_loading(tmp_path):
    """#7: `selftrain train -o ro/R` failed only after 23 s of loading; `xlie run` with a
    run_dir that cannot be made gave a traceback."""
    import yaml
    (tmp_path / "a.conll").write_text("Anna\tB-PER\nruns\tO\n\n", encoding="utf-8")
    res = invoke("selftrain", "train", tmp_path / "a.conll", "-o", tmp_path / "a.conll" / "R",
                 "--model", "no-such-org/no-such-model")
    assert res.exit_code == 2 and "is a file, not a folder" in res.output, res.output
    res = invoke("selftrain", "train", tmp_path / "a.conll", "-o", "/proc/xlie-no/R",
                 "--model", "no-such-org/no-such-model")
    assert res.exit_code == 2 and "cannot write" in res.output, res.output
    (tmp_path / "c.jsonl").write_text('{"id": "1", "tokens": ["Anna"], "spans": []}\n')
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"run_dir": "/proc/xlie-no/R", "input": {
        "corpus": str(tmp_path / "c.jsonl"), "src_lang": "en", "tgt_lang": "es"}}))
    res = invoke("run", cfg)
    assert res.exit_code == 2 and "cannot write" in res.output, res.output


def test_relx_output_writes_what_it_can_and_names_what_it_left_out(tmp_path, caplog):
    """#3: one sentence without E1 (lost in projection) or without a relation (no pair for
    the classifier) aborted the whole file with `<input>: expected two spans…`."""
    import json
    from xlie.formats.relx import read_relx
    sents = list(read_relx(RELX_EN))
    lost_e1 = sents[0].model_copy(update={"spans": [s for s in sents[0].spans
                                                    if s.label == "E2"], "relations": []})
    no_rel = sents[1].model_copy(update={"relations": []})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(s.to_json()) + "\n"
                           for s in [lost_e1, no_rel, *sents[2:]]), encoding="utf-8")
    out = tmp_path / "out.txt"
    with caplog.at_level("WARNING"):
        res = invoke("convert", src, out, "--to", "relx")
    assert res.exit_code == 0, res.output
    back = list(read_relx(out))
    assert [s.id for s in back] == [s.id for s in sents[2:]]
    assert str(out) in caplog.text and "2 of 10 sentences left out" in caplog.text
    assert sents[0].id in caplog.text and sents[1].id in caplog.text


def test_relx_writes_an_entity_read_empty_even_without_its_markers(tmp_path):
    """#3: the bundled 17785 has `<e1> </e1>`; once its words changed (projected,
    re-tokenized), writing it raised instead of writing the empty pair again."""
    from xlie.formats.relx import format_relx, read_relx
    s = next(x for x in read_relx(RELX_EN) if x.id == "17785")
    moved = s.model_copy(update={"tokens": ["Sehgal", "got", "it", "at", "Art", "Basel", "."],
                                 "spans": [s.spans[0].model_copy(update={"start": 4, "end": 5})],
                                 "text": None, "offsets": None, "markers": None})
    (tmp_path / "o.txt").write_text(format_relx(moved) + "\n\n\n", encoding="utf-8")
    back = next(read_relx(tmp_path / "o.txt"))
    assert back.tokens == moved.tokens and back.empty == ["e1"]
    assert [(x.start, x.end, x.label) for x in back.spans] == [(4, 5, "E2")]


def test_projection_onto_an_empty_target_line_writes_conllu_xlie_reads(tmp_path, caplog):
    """#4: an empty target line gave a CoNLL-U block with no words (which the reader
    refuses), and the report called it a complete tree."""
    import json
    from xlie.formats.conllu import read_conllu
    src = tmp_path / "en.conllu"
    one = ("1\tHe\the\tPRON\t_\t_\t2\tnsubj\t_\t_\n2\twent\tgo\tVERB\t_\t_\t0\troot\t_\t_\n\n")
    src.write_text(f"# sent_id = a\n{one}# sent_id = b\n{one}", encoding="utf-8")
    (tmp_path / "t.txt").write_text("Er ging\n\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("0-0 1-1\n\n", encoding="utf-8")
    out = tmp_path / "out.conllu"
    with caplog.at_level("WARNING"):
        res = invoke("project", src, out, "--target", tmp_path / "t.txt", "--alignment",
                     tmp_path / "a.txt")
    assert res.exit_code == 0, res.output
    assert [s.id for s in read_conllu(out)] == ["a"]
    assert "1 of 2 sentences left out" in caplog.text and str(out) in caplog.text
    trees = json.loads((tmp_path / "out.conllu.report.json").read_text())["trees"]
    assert trees["complete_trees"] == 1 and trees["empty"] == 1


@pytest.mark.parametrize("heads, problem", [([2, 1], "cycle"), ([1, 0], "HEAD other than"),
                                            ([2, 0, 0], "multiple_roots"),
                                            ([2, 3, 1], "cycle"), ([0, 0], "multiple_roots")])
@pytest.mark.parametrize("method", ["xlie", "heuristic"])
def test_an_invalid_source_tree_is_an_error_naming_file_and_line(tmp_path, heads, problem,
                                                                method):
    """#8: a cycle, no root, two roots or a self-loop passed the reader; `--method xlie` then
    wrote DEPREL root on a non-root arc, and `heuristic` copied the cycle."""
    words = "".join(f"{k}\tw{k}\tw\tX\t_\t_\t{h}\tdep\t_\t_\n" for k, h in enumerate(heads, 1))
    src = tmp_path / "en.conllu"
    src.write_text(f"# sent_id = a\n{words}\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text(" ".join(f"v{k}" for k in range(len(heads))) + "\n")
    (tmp_path / "a.txt").write_text(" ".join(f"{k}-{k}" for k in range(len(heads))) + "\n")
    out = tmp_path / "out.conllu"
    res = invoke("project", src, out, "--target", tmp_path / "t.txt", "--alignment",
                 tmp_path / "a.txt", "--method", method)
    assert res.exit_code == 2, res.output
    assert f"{src}:" in res.output and problem in res.output and not out.exists()


@pytest.mark.parametrize("markers, literal", [("xml", "<m1>"), ("brackets", "[1 Mary 1]")])
def test_source_text_that_looks_like_a_marker_is_kept_and_the_span_found(tmp_path, markers,
                                                                         literal):
    """#10: a source token `<m1>` (xml) or `[1 Mary 1]` (brackets) vanished from the
    translation, and the span it collided with was lost."""
    import json
    from translate_helpers import EchoBackend, write_corpus
    from xlie.translation import translate
    words = f"Anna wrote {literal} today ."
    src = write_corpus(tmp_path / "in.jsonl", [words],
                       {0: [{"start": 0, "end": 1, "label": "PER"}]})
    rep = translate(src, tmp_path / "o.jsonl", backend=EchoBackend(), cache=False,
                    markers=markers)
    tr = json.loads((tmp_path / "o.jsonl").read_text())["translation"]
    assert literal in tr["text"]
    assert rep.counts.markers_lost == 0
    assert [(s["start"], s["end"]) for s in tr["spans"]] == [(0, 1)]
    assert tr["tokens"][0] == "Anna"


def test_a_length_warning_counts_in_the_backends_unit(tmp_path):
    """Smaller: the Apertium length warning said "model tokens" for characters."""
    from translate_helpers import EchoBackend, write_corpus
    from xlie.translation import translate

    class Chars(EchoBackend):
        length_unit = "characters"
        max_input_tokens = 3

    src = write_corpus(tmp_path / "in.jsonl", ["Anna runs very far away ."])
    rep = translate(src, tmp_path / "o.jsonl", backend=Chars(), cache=False, too_long="skip")
    shown = " ".join(rep.counts.warnings)
    assert "5 characters, over the model's 3" in shown and "model tokens" not in shown


def test_combining_marks_and_zwj_emoji_stay_one_word():
    """Smaller: `cafe` + U+0301 and a ZWJ family emoji were split into separate tokens."""
    from xlie.translation.wordtok import get_word_tokenizer
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    text = f"cafe\u0301 {family} ok"
    for name in ("moses", "punct", "whitespace"):
        tokens, offsets = get_word_tokenizer(name, "en")(text)
        assert tokens == ["cafe\u0301", family, "ok"], name
        assert [text[a:b] for a, b in offsets] == tokens


def test_apertium_gets_composed_text():
    """Smaller: text was not NFC-normalised before Apertium (`cafe\u0301` -> "cafeteríá")."""
    from xlie.translation.backends.apertium import ApertiumBackend
    be = ApertiumBackend.__new__(ApertiumBackend)   # no apertium program needed to encode
    assert "".join(map(chr, be.encode(["cafe\u0301"])[0])) == "caf\u00e9"


def test_a_conllu_sentence_with_multiword_tokens_is_translated_from_its_text(tmp_path):
    """Smaller: "Vámonos al mar" went to MT as its syntactic words, "Vamos nos a el mar"."""
    import json
    from translate_helpers import EchoBackend
    from xlie.translation import translate
    src = tmp_path / "es.conllu"
    src.write_text("# sent_id = a\n# text = Vámonos al mar\n"
                   "1-2\tVámonos\t_\t_\t_\t_\t_\t_\t_\t_\n"
                   "1\tVamos\tir\tVERB\t_\t_\t0\troot\t_\t_\n"
                   "2\tnos\tnosotros\tPRON\t_\t_\t1\tobj\t_\t_\n"
                   "3-4\tal\t_\t_\t_\t_\t_\t_\t_\t_\n"
                   "3\ta\ta\tADP\t_\t_\t5\tcase\t_\t_\n"
                   "4\tel\tel\tDET\t_\t_\t5\tdet\t_\t_\n"
                   "5\tmar\tmar\tNOUN\t_\t_\t1\tobl\t_\t_\n\n", encoding="utf-8")
    translate(src, tmp_path / "o.jsonl", None, "es", "en", backend=EchoBackend(), cache=False,
              markers="xml")
    rec = json.loads((tmp_path / "o.jsonl").read_text())
    assert rec["translation"]["text"] == "Vámonos al mar"
    assert rec["tokens"] == ["Vamos", "nos", "a", "el", "mar"]   # the record keeps its words


def test_config_errors_blame_where_the_value_came_from(tmp_path):
    """Smaller: `--set nosuch.key=1` blamed the YAML file; `--max-input-tokens 0` said "fix
    the key in the config file" where there was none."""
    (tmp_path / "b.txt").write_text("Anna runs\n", encoding="utf-8")
    res = invoke("translate", tmp_path / "b.txt", tmp_path / "o.jsonl", "-s", "en", "-t", "es",
                 "--backend", "apertium", "--max-input-tokens", "0")
    assert res.exit_code == 2 and "--max-input-tokens" in res.output
    assert "config file" not in res.output
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"run_dir: {tmp_path / 'R'}\ninput: {{corpus: {tmp_path / 'b.txt'}, "
                   "src_lang: en, tgt_lang: es}\n", encoding="utf-8")
    res = invoke("run", cfg, "--set", "nosuch.key=1")
    assert res.exit_code == 2 and "(--set nosuch.key=1)" in res.output, res.output
    assert "fix or drop that --set item" in res.output


def test_project_eval_names_its_files_and_refuses_duplicate_predicted_ids(tmp_path):
    """Smaller: mismatch errors named no file; a predicted id given twice was accepted (one
    of the two silently dropped)."""
    gold, pred = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    rec = '{{"id": "{}", "tokens": ["Anna", "runs"], "spans": []}}\n'
    gold.write_text(rec.format("1") + rec.format("2"), encoding="utf-8")
    pred.write_text(rec.format("1") + rec.format("1"), encoding="utf-8")
    res = invoke("project", "eval", gold, pred)
    assert res.exit_code == 2 and str(pred) in res.output and "twice" in res.output, res.output
    pred.write_text(rec.format("x") + rec.format("y") + rec.format("z"), encoding="utf-8")
    res = invoke("project", "eval", gold, pred)
    assert res.exit_code == 2 and str(pred) in res.output and str(gold) in res.output
    pred.write_text(rec.format("1") + '{"id": "2", "tokens": ["Anna"], "spans": []}\n')
    res = invoke("project", "eval", gold, pred)
    assert res.exit_code == 2 and str(pred) in res.output and str(gold) in res.output


def test_parser_score_without_gold_heads_says_there_is_nothing_to_score(tiny_bert, tmp_path):
    """Smaller: `--score` on inputs with no gold heads reported UAS 0.0."""
    from xlie.selftrain.output import predict_file
    from xlie.selftrain.parser import Parser
    Parser.from_encoder(tiny_bert, ["root", "nsubj"]).save(tmp_path / "parser")
    (tmp_path / "in.jsonl").write_text('{"id": "1", "tokens": ["Anna", "runs"]}\n')
    report = predict_file(tmp_path / "parser", [tmp_path / "in.jsonl"], tmp_path / "o.conllu",
                          score=True)
    assert report["scores"] == "nothing to score: no input sentence has gold heads"


def test_a_relation_naming_a_span_that_does_not_exist_is_an_error(tmp_path):
    """Smaller: a JSONL relation whose tail span did not exist was accepted silently."""
    import json
    rec = {"id": "s", "tokens": ["Anna", "met", "Bo"],
           "spans": [{"start": 0, "end": 1, "label": "PER", "id": "a"},
                     {"start": 2, "end": 3, "label": "PER", "id": "b"}],
           "relations": [{"label": "met", "head": "a", "tail": "c"}]}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    res = invoke("convert", src, tmp_path / "o.conllu")
    assert res.exit_code == 2 and f"{src}:1" in res.output and "'c'" in res.output, res.output
    rec["relations"][0]["tail"] = "b"
    src.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    assert invoke("convert", src, tmp_path / "o.conllu").exit_code == 0


@pytest.mark.parametrize("prob", ["nan", "1.5", "-0.2"])
def test_link_probabilities_outside_zero_to_one_are_errors(tmp_path, prob):
    """Smaller: link probabilities of nan, above 1 or below 0 were taken (clamped)."""
    (tmp_path / "a.conll").write_text("Anna\tB-PER\nruns\tO\n\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("Anna corre\n", encoding="utf-8")
    (tmp_path / "links.txt").write_text("0-0 1-1\n", encoding="utf-8")
    (tmp_path / "p.txt").write_text(f"0.9 {prob}\n", encoding="utf-8")
    res = invoke("project", tmp_path / "a.conll", tmp_path / "o.jsonl", "--target",
                 tmp_path / "t.txt", "--alignment", tmp_path / "links.txt",
                 "--alignment-probs", tmp_path / "p.txt")
    assert res.exit_code == 2 and f"{tmp_path / 'p.txt'}:1" in res.output, res.output
    import json
    rec = {"id": "s", "tokens": ["Anna"], "spans": [],
           "translation": {"lang": "es", "text": "Anna", "tokens": ["Anna"]},
           "alignment": [[0, 0, float(prob)]]}
    (tmp_path / "c.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    res = invoke("project", tmp_path / "c.jsonl", tmp_path / "o2.jsonl")
    assert res.exit_code == 2 and f"{tmp_path / 'c.jsonl'}:1" in res.output, res.output


def test_relx_round_trip_normalises_only_what_the_readme_says(tmp_path):
    """Smaller: the README promised byte for byte, but CRLF came back LF and a BOM was
    dropped. It now says so; nothing else changes."""
    original = RELX_EN.read_bytes()
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n"))
    assert invoke("convert", crlf, tmp_path / "back.txt", "--to", "relx").exit_code == 0
    assert (tmp_path / "back.txt").read_bytes() == original
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "a CRLF file comes back with LF" in readme


# --- issue 33, third sweep: events, the report, int8 --------------------------------------

TML = """<?xml version="1.0" ?>
<TimeML>
<DOCID>d1</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="1998-01-08">1998-01-08</TIMEX3></DCT>
<TEXT>
Prices <EVENT eid="e1" class="OCCURRENCE">rose</EVENT> on Monday. Traders <EVENT eid="e2" class="REPORTING">said</EVENT> so.
</TEXT>
<MAKEINSTANCE eventID="e1" eiid="ei1" tense="PAST"/>
</TimeML>
"""


def test_timeml_an_eid_given_twice_is_an_error_naming_both_lines(tmp_path):
    """An EVENT eid used twice was read silently: MAKEINSTANCE went to both, and the
    events of a written document collapsed into one."""
    p = tmp_path / "dup.tml"
    p.write_text(TML.replace('eid="e2"', 'eid="e1"').replace("so.", "so.\n"), encoding="utf-8")
    res = invoke("convert", p, tmp_path / "o.jsonl")
    assert res.exit_code == 2 and f"{p}:6" in res.output and "'e1'" in res.output, res.output
    assert "line 6" in res.output and not (tmp_path / "o.jsonl").exists()


def test_timeml_without_text_reads_neither_docid_nor_dct_as_words(tmp_path):
    """With no <TEXT>, the whole root was read: the DOCID and the DCT became words of the
    first sentence (glued: `d11998-01-08`), and a file with nothing else gave that one."""
    from xlie.formats.timeml import read_timeml
    p = tmp_path / "notext.tml"
    p.write_text(TML.replace("<TEXT>", "").replace("</TEXT>", ""), encoding="utf-8")
    [first, second] = read_timeml(p)
    assert first.tokens == ["Prices", "rose", "on", "Monday", "."] and second.tokens[0] == "Traders"
    assert [(s.start, s.label) for s in first.spans] == [(1, "OCCURRENCE")]
    p.write_text("<TimeML><DOCID>d1</DOCID><DCT>1998</DCT></TimeML>\n", encoding="utf-8")
    res = invoke("convert", p, tmp_path / "o.jsonl")
    assert res.exit_code == 2 and str(p) in res.output and "<TEXT>" in res.output, res.output
    assert not (tmp_path / "o.jsonl").exists()


@pytest.fixture
def en_pt_docs(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "pt").mkdir()
    (tmp_path / "en" / "d1.tml").write_text(TML, encoding="utf-8")
    pt = (TML.replace("Prices", "Os preços").replace(">rose<", ">subiram<")
          .replace('class="REPORTING"', 'class="STATE"'))     # its own gold: differs
    (tmp_path / "pt" / "d1.tml").write_text(pt, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("out", ["pt/", "en/", "pt/d1.tml"])
def test_projection_by_document_never_writes_over_a_document_it_reads(en_pt_docs, out):
    """An OUTPUT folder that was the --target (or INPUT) folder got each projected
    document written over the one read, exit 0. Refused now before the aligner loads (the
    model named does not exist)."""
    t = en_pt_docs
    before = {p: p.read_bytes() for p in t.rglob("*.tml")}
    res = invoke("project", "--by-document", t / "en", f"{t}/{out}", "--target", t / "pt",
                 "--model", t / "no-model")
    assert res.exit_code == 2 and "refusing to write over input file" in res.output, res.output
    assert {p: p.read_bytes() for p in t.rglob("*.tml")} == before
    assert sorted(p.name for p in t.rglob("*")) == ["d1.tml", "d1.tml", "en", "pt"]


def test_projection_by_document_checks_its_outputs_before_aligning(en_pt_docs):
    """`--report OUTPUT` replaced the projection with the report (exit 0); an unwritable
    OUTPUT, or two documents for one .tml file, were found only after the aligner had
    loaded and aligned every document."""
    t = en_pt_docs
    common = ["--target", t / "pt", "--model", t / "no-model"]
    res = invoke("project", "--by-document", t / "en", t / "o.jsonl", "--report", t / "o.jsonl",
                 *common)
    assert res.exit_code == 2 and "--report" in res.output, res.output
    res = invoke("project", "--by-document", t / "en", "/proc/xlie-no/o.jsonl", *common)
    assert res.exit_code == 2 and "cannot write" in res.output, res.output
    (t / "en" / "d2.tml").write_text(TML.replace("d1", "d2"), encoding="utf-8")
    (t / "pt" / "d2.tml").write_text(TML.replace("d1", "d2"), encoding="utf-8")
    res = invoke("project", "--by-document", t / "en", t / "o.tml", *common)
    assert res.exit_code == 2 and "holds one document" in res.output, res.output
    assert not list(t.glob("o.*"))


def test_a_bad_align_set_is_named_as_that_option(en_pt_docs):
    """`--align-set nosuch=1` said "the command's option --nosuch", which does not exist."""
    t = en_pt_docs
    res = invoke("project", "--by-document", t / "en", t / "o.jsonl", "--target", t / "pt",
                 "--model", t / "no-model", "--align-set", "nosuch=1")
    assert res.exit_code == 2 and "--align-set" in res.output and "'nosuch'" in res.output
    assert "--nosuch" not in res.output


def test_event_scores_never_pair_sentences_of_two_documents(tmp_path):
    """`project eval --task event` of another document's prediction with as many sentences
    of as many words scored 100 (paired by position)."""
    (tmp_path / "g.tml").write_text(TML, encoding="utf-8")
    (tmp_path / "p.tml").write_text(TML.replace("d1", "d2").replace("Traders", "Dealers"),
                                    encoding="utf-8")
    res = invoke("project", "eval", tmp_path / "g.tml", tmp_path / "p.tml", "--task", "event")
    assert res.exit_code == 2 and "'d2'" in res.output and "'d1'" in res.output, res.output
    assert str(tmp_path / "p.tml") in res.output


def test_selftrain_run_refuses_an_unwritable_run_dir_before_loading(tmp_path):
    """`selftrain run /proc/x/R` loaded the model first (here: failed on it)."""
    (tmp_path / "g.tml").write_text(TML, encoding="utf-8")
    res = invoke("selftrain", "run", "/proc/xlie-no/R", "--source", tmp_path / "g.tml",
                 "--unlabeled", tmp_path / "g.tml", "--task", "event", "--model",
                 tmp_path / "no-model")
    assert res.exit_code == 2 and "cannot write /proc/xlie-no/R" in res.output, res.output


def test_a_model_folder_transformers_cannot_read_is_a_clear_error(tmp_path):
    """A folder whose config.json names the task but no model_type: `ValueError:
    Unrecognized model` traceback, exit 1."""
    (tmp_path / "g.tml").write_text(TML, encoding="utf-8")
    model = _fake_model(tmp_path / "event", **{"config.json": {
        "xlie_task": "event", "id2label": {"0": "O", "1": "B-OCCURRENCE"}}})
    res = invoke("selftrain", "predict", tmp_path / "g.tml", "-o", tmp_path / "p.jsonl",
                 "--model", model)
    assert res.exit_code == 2 and f"cannot load model '{model}'" in res.output, res.output
    assert not (tmp_path / "p.jsonl").exists()


def test_a_damaged_int8_encoder_is_built_again(tiny_bert, tmp_path, monkeypatch, capsys):
    """A cached int8 file that does not load (cut short) sent every later `align --dtype
    int8` to fp32, with the same warning each time."""
    pytest.importorskip("openvino")
    from xlie.aligners.encoder import Encoder
    from xlie.models.int8_encoder import int8_path
    monkeypatch.setenv("XLIE_HOME", str(tmp_path / "home"))
    path = int8_path(str(tiny_bert), str(tiny_bert), 3)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"cut short")
    enc = Encoder(str(tiny_bert), device="cpu", dtype="int8", layer=3)
    assert enc.dtype == "int8" and path.stat().st_size > 1000
    assert "building it again" in capsys.readouterr().err


def _run_dir(tmp_path, manifest='{"stage": "translate", "counts": {}, "timings": {}}'):
    stage = tmp_path / "R" / "01-translate"
    stage.mkdir(parents=True)
    (tmp_path / "R" / "config.yaml").write_text("run_dir: R\n", encoding="utf-8")
    (stage / "manifest.json").write_text(manifest, encoding="utf-8")
    (stage / "DONE").write_text("", encoding="utf-8")
    (stage / "corpus.jsonl").write_text('{"id": "a", "tokens": ["A"]}\n', encoding="utf-8")
    return tmp_path / "R"


@pytest.mark.parametrize("target", ["config.yaml", "01-translate/corpus.jsonl",
                                    "01-translate/manifest.json"])
def test_the_report_never_writes_over_what_it_reads(tmp_path, target):
    """`xlie report R -o R/config.yaml` (or a stage's output) replaced it, exit 0."""
    run = _run_dir(tmp_path)
    before = (run / target).read_bytes()
    res = invoke("report", run, "-o", run / target, "--no-predict")
    assert res.exit_code == 2 and "refusing to write over" in res.output, res.output
    assert (run / target).read_bytes() == before


def test_a_broken_manifest_is_named_in_the_report_error(tmp_path):
    """A manifest cut short (or not an object): JSONDecodeError / AttributeError, exit 1."""
    run = _run_dir(tmp_path, manifest='{"stage": ')
    res = invoke("report", run, "-o", tmp_path / "r.html", "--no-predict")
    assert res.exit_code == 2 and f"{run / '01-translate' / 'manifest.json'}:1" in res.output
    (run / "01-translate" / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    res = invoke("report", run, "-o", tmp_path / "r.html", "--no-predict")
    assert res.exit_code == 2 and "a stage manifest" in res.output, res.output
    assert not (tmp_path / "r.html").exists()


def test_predict_reads_its_inputs_before_loading_the_model(tmp_path):
    """A malformed input, or two documents for one .tml output, were found only after the
    model had loaded (here the model has no weights: loading it is the error seen before)."""
    (tmp_path / "g.tml").write_text(TML, encoding="utf-8")
    (tmp_path / "bad.tml").write_text(TML[:120], encoding="utf-8")
    (tmp_path / "g2.tml").write_text(TML.replace("d1", "d2"), encoding="utf-8")
    model = _fake_model(tmp_path / "event", **{"config.json": {
        "xlie_task": "event", "id2label": {"0": "O", "1": "B-OCCURRENCE"}}})
    res = invoke("selftrain", "predict", tmp_path / "g.tml", tmp_path / "bad.tml", "-o",
                 tmp_path / "p.jsonl", "--model", model)
    assert res.exit_code == 2 and f"{tmp_path / 'bad.tml'}:" in res.output, res.output
    res = invoke("selftrain", "predict", tmp_path / "g.tml", tmp_path / "g2.tml", "-o",
                 tmp_path / "p.tml", "--model", model)
    assert res.exit_code == 2 and "holds one document" in res.output, res.output
    assert not list(tmp_path.glob("p.*"))


def test_training_on_files_without_a_sentence_names_them(tmp_path):
    """A .tml with an empty <TEXT> (no sentence): "what became of them: {}"."""
    src = tmp_path / "empty.tml"
    src.write_text("<TimeML><DOCID>x</DOCID><TEXT>\n</TEXT></TimeML>\n", encoding="utf-8")
    res = invoke("selftrain", "train", src, "-o", tmp_path / "R", "--task", "event",
                 "--model", tmp_path / "no-model")
    assert res.exit_code == 2 and "hold no sentence" in res.output and str(src) in res.output, \
        res.output


def test_a_jsonl_event_whose_trigger_is_no_span_is_an_error(tmp_path):
    """As for relations (second sweep): an event naming a trigger span that does not exist,
    or `events` that is not a list, was accepted (and the event dropped unseen)."""
    import json
    rec = {"id": "s", "doc": "d1", "tokens": ["Prices", "rose"],
           "spans": [{"start": 1, "end": 2, "label": "OCCURRENCE", "id": "e1"}],
           "events": [{"label": "OCCURRENCE", "trigger": "e9", "args": []}]}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    res = invoke("convert", src, tmp_path / "o.tml")
    assert res.exit_code == 2 and f"{src}:1" in res.output and "'e9'" in res.output, res.output
    src.write_text(json.dumps({**rec, "events": "e1"}) + "\n", encoding="utf-8")
    res = invoke("convert", src, tmp_path / "o.tml")
    assert res.exit_code == 2 and f"{src}:1" in res.output and "list" in res.output, res.output
    assert not (tmp_path / "o.tml").exists()
    rec["events"][0]["trigger"] = "e1"
    src.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    assert invoke("convert", src, tmp_path / "o.tml").exit_code == 0


def test_a_bad_weight_names_the_weight_option_the_command_has(tmp_path):
    """`--weight -1` said "the command's option --weights": the hint guessed a flag from the
    setting's key, and the command has no such flag."""
    one = tmp_path / "one.jsonl"
    one.write_text('{"id": "a", "tokens": ["x"], "spans": []}\n', encoding="utf-8")
    res = invoke("selftrain", "run", tmp_path / "run", "--source", one, "--unlabeled", one,
                 "--teacher", "ensemble", "--weight", "-1", "--weight", "2")
    assert res.exit_code == 2 and "'ensemble.weights'" in res.output, res.output
    assert "option --weight)" in res.output and "--weights" not in res.output


def test_a_setting_no_option_fills_gets_no_invented_flag():
    import click

    from xlie.errors import ConfigError
    with click.Context(click.Command("x", params=[click.Option(["--weight", "weights"])])):
        assert "option --weight)" in ConfigError(None, "ensemble.weights", "bad").hint
        hint = ConfigError(None, "translate_test.source_model", "bad").hint
    assert "--source-model" not in hint and "--help" in hint
