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


def test_breakdown_by_link_shape_false_kind_and_missed_words(tmp_path):
    from xlie.aligners.breakdown import break_down
    from xlie.cli import cli
    from click.testing import CliRunner
    import json
    # "the house is red" / "dům je červený": the and house both link to dům (many-to-one),
    # is-je one-to-one, red-červený one-to-one; 4p1 a possible link
    gold = parse_pharaoh_line("1-1 2-1 3-2 4-3 4p1", one_indexed=True)
    pred = {(1, 0), (2, 1), (3, 0), (0, 2)}      # finds house-dům, is-je; two false links
    b = break_down([gold], [pred], [("the house is red".split(), "dům je červený".split())])
    assert b.sure == {"many-to-one": 2, "one-to-one": 2}
    assert b.recall("many-to-one") == 0.5 and b.recall("one-to-one") == 0.5
    assert sum(b.false.values()) == 1        # (3, 0) is possible, so only (0, 2) is false
    assert b.false["both aligned elsewhere"] == 1
    assert b.missed_source == {"the": 1, "red": 1} and b.missed_target == {"dům": 1, "červený": 1}

    g, p, d = tmp_path / "gold", tmp_path / "pred", tmp_path / "pairs"
    g.write_text("1-1 2-1 3-2 4-3 4p1\n")
    p.write_text("1-0 2-1 3-0 0-2\n")
    d.write_text("the house is red ||| dům je červený\n")
    r = CliRunner().invoke(cli, ["align", "eval", str(g), str(p), "--data", str(d), "--json"])
    assert r.exit_code == 0, r.output
    shapes = json.loads(r.output)["breakdown"]["shapes"]
    assert shapes["many-to-one"] == {"sure": 2, "share": 0.5, "recall": 0.5}
    r = CliRunner().invoke(cli, ["align", "eval", str(g), str(p), "--breakdown"])
    assert "many-to-one" in r.output and "most-missed" not in r.output
    d.write_text("the house is red ||| dům je červený\nextra ||| pair\n")
    r = CliRunner().invoke(cli, ["align", "eval", str(g), str(p), "--data", str(d)])
    assert r.exit_code != 0 and str(d) in r.output and "1 pairs, one per gold line" in r.output
    missing = str(tmp_path / "none")
    for argv in ([str(g), str(p), "--data", missing], [str(g), missing]):
        r = CliRunner().invoke(cli, ["align", "eval", *argv])
        assert r.exit_code == 2 and "does not exist" in r.output and missing in r.output
