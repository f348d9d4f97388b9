"""Bad and awkward input, tried as a user would (issue: ten defects where data was lost,
mangled or left behind). Each case was reproduced by its test before the fix.

| case | before | now |
|---|---|---|
| `--max-new-tokens` past the decoder's positions | IndexError / RuntimeError mid-corpus, `.partial` files left | capped at the model's limit with a warning (`test_translate_hf.py`, `test_translate_ct2.py`) |
| umask 022, any output | files 0600 (mkstemp), unreadable on shared storage | the umask's mode (0644) |
| UTF-8 BOM at the start of a CoNLL file | kept inside the first token | dropped by every reader (`fileio.iter_lines`) |
| `align eval` link `99-99` on a 12-word pair, with `--data` | AER changed, exit 0 | `FILE:LINE` error, exit 2 |
| `align eval` with a 1-indexed PRED | AER 70.9, no hint | a warning with the AER the shifted links would get |
"""
from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from xlie.cli import cli
from xlie.fileio import atomic_write


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
