"""AER on a hand-worked example with sure and possible links."""
import pytest

from xlie.aligners.aer import evaluate_files, score_alignments
from xlie.errors import InputFormatError
from xlie.formats.pharaoh import parse_pharaoh_line


def test_hand_worked_aer_with_possible_links():
    # gold: sure {(0,0),(1,1)}, possible adds (1,2); prediction {(0,0),(1,2),(2,2)}
    gold = parse_pharaoh_line("1-1 2-2 2p3", one_indexed=True)
    assert gold.sure == {(0, 0), (1, 1)} and gold.possible == {(0, 0), (1, 1), (1, 2)}
    s = score_alignments([gold], [{(0, 0), (1, 2), (2, 2)}])
    # |A∩S| = 1, |A∩P| = 2, |A| = 3, |S| = 2: AER = 1 - 3/5
    assert s.aer == pytest.approx(0.4)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(1 / 2)


def test_eval_files_zero_and_one_indexed(tmp_path):
    gold = tmp_path / "gold"
    gold.write_text("1-1 2-2\n1-2\n")
    pred = tmp_path / "pred"
    pred.write_text("0-0 1-1\n0-1\n")
    assert evaluate_files(gold, pred).aer == 0.0
    assert evaluate_files(gold, pred, gold_one_indexed=False).aer > 0.5


def test_eval_rejects_line_count_mismatch_and_bad_links(tmp_path):
    gold = tmp_path / "gold"
    gold.write_text("1-1\n2-2\n")
    pred = tmp_path / "pred"
    pred.write_text("0-0\n")
    with pytest.raises(InputFormatError, match="2 lines"):
        evaluate_files(gold, pred)
    pred.write_text("0-0\n0:1\n")
    with pytest.raises(InputFormatError) as e:
        evaluate_files(gold, pred)
    assert f"{pred}:2" in str(e.value)
