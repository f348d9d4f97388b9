"""The Apertium backend: with the real binary and the English -> Spanish pair where they are
installed (apt-get install apertium apertium-eng-spa), and with a fake ``apertium`` script on
PATH for the error paths and the line-count checks, which run anywhere."""
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from translate_helpers import SENTENCES, KilledAfter, kill_after, write_corpus

from xlie.cli import cli
from xlie.errors import XlieError
from xlie.translation import translate
from xlie.translation.backends import load_backend
from xlie.translation.backends.apertium import (ApertiumBackend, apertium_code, find_mode,
                                                find_route, recover_marks)
from xlie.translation.markers import MARKER_STYLES, read_markers
from xlie.translation.options import GenerationOptions
from xlie.translation.unknown import MARK_CHARS, split_marks, token_marks

REAL_DIR = Path(os.environ.get("APERTIUM_DATADIR", "/usr/share/apertium"))
HAVE_REAL = shutil.which("apertium") is not None and (REAL_DIR / "modes" / "eng-spa.mode").exists()
HAVE_PIVOT = HAVE_REAL and (REAL_DIR / "modes" / "es-pt.mode").exists()
real = pytest.mark.skipif(not HAVE_REAL, reason="apertium and apertium-eng-spa not installed "
                          "(apt-get install apertium apertium-eng-spa)")
NAMES = ["Mr Smorglund visited Berlin with Kumar Ponnambalam .", "I like *stars and the cat ."]


def read(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


# -- a fake apertium: upper-cases each line; marks words starting with Z as unknown ("*");
# a line ending in JOIN loses its newline (Apertium merging lines); FAIL in the input fails
FAKE = r'''#!{python}
import sys
args = sys.argv[1:]
unmarked = "-u" in args
data = sys.stdin.read()
if "FAIL" in data:
    sys.stderr.write("lt-proc: broken dictionary\n"); sys.exit(3)
out = []
for line in data.split("\n")[:-1]:
    words = [("" if unmarked or not w.startswith("z") else "*") + w.upper() for w in line.split()]
    out.append(" ".join(words) + (" " if line.endswith("JOIN") else "\n"))
sys.stdout.write("".join(out))
'''


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake ``apertium`` on PATH and a data directory with the eng-spa and eng-cat modes."""
    bindir, data = tmp_path / "bin", tmp_path / "data"
    bindir.mkdir()
    (data / "modes").mkdir(parents=True)
    script = bindir / "apertium"
    script.write_text(FAKE.replace("{python}", sys.executable))
    script.chmod(0o755)
    for mode in ("eng-spa", "eng-cat", "spa-eng_US"):
        (data / "modes" / f"{mode}.mode").write_text("cat\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("APERTIUM_DATADIR", str(data))
    return data


def test_language_codes_map_to_apertium_modes(tmp_path):
    assert [apertium_code(x) for x in ("en", "es", "spa", "pt-BR", "en_US")] == \
        ["eng", "spa", "spa", "por_BR", "eng_US"]
    (tmp_path / "modes").mkdir()
    for mode in ("eng-spa", "spa-eng_US"):
        (tmp_path / "modes" / f"{mode}.mode").write_text("")
    assert find_mode("en", "es", tmp_path) == "eng-spa"
    assert find_mode("spa", "eng", tmp_path) == "spa-eng_US"     # the one variant installed
    with pytest.raises(XlieError) as e:
        find_mode("en", "ca", tmp_path)
    assert "eng-cat" in str(e.value) and "eng-spa, spa-eng_US" in str(e.value)
    assert "apt-get install apertium-eng-cat" in e.value.hint


def test_pairs_named_with_two_letter_codes_and_routes_through_a_pivot(tmp_path):
    (tmp_path / "modes").mkdir()
    for mode in ("eng-spa", "es-pt", "es-pt_BR", "eng-cat", "cat-fra"):
        (tmp_path / "modes" / f"{mode}.mode").write_text("")
    assert find_route("es", "pt", tmp_path) == ["es-pt"]          # the pair's own 2-letter name
    assert find_route("spa", "por_BR", tmp_path) == ["es-pt_BR"]
    assert find_route("en", "pt", tmp_path) == ["eng-spa", "es-pt"]
    assert find_route("en", "fr", tmp_path) == ["eng-cat", "cat-fra"]
    with pytest.raises(XlieError) as e:
        find_mode("en", "pt", tmp_path)          # find_mode never pivots
    assert "eng-spa then es-pt" in str(e.value)
    with pytest.raises(XlieError) as e:
        find_route("pt", "en", tmp_path)         # no pair leaves Portuguese
    assert "nor two pairs through one other language" in str(e.value)


def test_missing_binary_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(XlieError) as e:
        ApertiumBackend(None, "en", "es")
    assert "apertium program is not installed" in str(e.value)
    assert "apt-get install apertium apertium-eng-spa" in e.value.hint


def test_missing_pair_lists_the_installed_ones_from_the_cli(fake, tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES[:2])
    res = CliRunner().invoke(cli, ["translate", str(src), str(tmp_path / "o.jsonl"), "-s", "en",
                                    "-t", "de", "--backend", "apertium"])
    assert res.exit_code != 0
    assert "eng-deu" in res.output and "eng-cat, eng-spa, spa-eng_US" in res.output
    assert "apt-get install apertium-eng-deu" in res.output
    assert not (tmp_path / "o.jsonl").exists()


def test_fake_binary_one_process_unknown_marks_and_merged_lines(fake, tmp_path):
    sents = ["the zorg sat .", "a line that JOIN", "zap the cat", "hello"] * 3
    src = write_corpus(tmp_path / "in.jsonl", sents)
    be = ApertiumBackend(None, "en", "es")
    assert be.mode == "eng-spa" and be.datadir == fake
    translate(src, tmp_path / "out.jsonl", backend=be, cache=False)
    out = read(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == [f"s{k}" for k in range(12)]
    assert [r["translation"]["text"] for r in out[:4]] == \
        ["THE ZORG SAT.", "A LINE THAT JOIN", "ZAP THE CAT", "HELLO"]
    assert out[0]["translation"]["unknown"] == ["", "*", "", ""]
    assert out[2]["translation"]["unknown"] == ["*", "", ""]
    # 4 distinct sentences in one batch; its merged line makes it halve once: 1 + 2 processes
    assert be.calls == 1 and be.processes == 3


def test_fake_binary_failure_is_an_error_with_its_message(fake, tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", ["it will FAIL ."])
    with pytest.raises(XlieError) as e:
        translate(src, tmp_path / "out.jsonl", backend="apertium", src_lang="en",
                  tgt_lang="es", cache=False)
    assert "exit 3" in str(e.value) and "broken dictionary" in str(e.value)


def test_the_cli_needs_no_model_for_apertium_but_does_for_hf(fake, tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES[:3])
    res = CliRunner().invoke(cli, ["translate", str(src), str(tmp_path / "o.jsonl"), "-s", "en",
                                    "-t", "es", "--backend", "apertium", "--no-cache"])
    assert res.exit_code == 0, res.output
    assert len(read(tmp_path / "o.jsonl")) == 3
    res = CliRunner().invoke(cli, ["translate", str(src), str(tmp_path / "p.jsonl"), "-s", "en",
                                    "-t", "es", "--no-cache"])
    assert res.exit_code != 0 and "no translation model given" in res.output


def test_marks_are_told_from_the_sources_own_characters():
    m = {k: v for k, v in MARK_CHARS.items()}
    assert recover_marks("me gustan *estrellas y *Zorg", "me gustan *estrellas y Zorg") == \
        f"me gustan *estrellas y {m['*']}Zorg"
    text, marks = split_marks(f"a {m['@']}bc d{m['#']}e")
    assert text == "a bc de" and marks == {2: "@", 6: "#"}
    assert token_marks(marks, [(0, 1), (2, 4), (5, 7)]) == ["", "@", "#"]


def test_marker_readout_maps_positions_into_the_clean_text():
    raw = "El <m1>gato</m1>  duerme"
    r = read_markers(raw, 1, MARKER_STYLES["xml"])
    assert r.text == "El gato duerme"
    assert r.text[r.index[raw.index("gato")]:][:4] == "gato"
    assert r.text[r.index[raw.index("duerme")]:] == "duerme"


# -- the real binary ---------------------------------------------------------------------
@real
def test_real_apertium_translates_a_corpus_in_one_process(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES + NAMES)
    be = load_backend("apertium", None, "en", "es", GenerationOptions())
    rep = translate(src, tmp_path / "out.jsonl", backend=be, cache=tmp_path / "c.sqlite")
    out = read(tmp_path / "out.jsonl")
    assert len(out) == len(SENTENCES) + 2 and be.processes == 2     # + one -u pass for "*stars"
    tr = {r["id"]: r["translation"] for r in out}
    assert "gato" in tr["s2"]["text"] and tr["s3"]["text"] == "Hola"
    names = tr[f"s{len(SENTENCES)}"]
    marked = {t for t, u in zip(names["tokens"], names["unknown"]) if u}
    assert {"Smorglund", "Ponnambalam"} <= marked and "*" not in names["text"]
    stars = tr[f"s{len(SENTENCES) + 1}"]
    assert "*" in stars["text"] and not any(stars["unknown"])   # the source's own star
    assert all(len(t["unknown"]) == len(t["tokens"]) for t in tr.values())
    assert rep.counts.unknown >= 3
    again = load_backend("apertium", None, "en", "es", GenerationOptions())
    rep2 = translate(src, tmp_path / "out2.jsonl", backend=again, cache=tmp_path / "c.sqlite")
    assert rep2.counts.cache_hits == rep.counts.segments and again.processes == 0
    assert (tmp_path / "out2.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()


@real
@pytest.mark.parametrize("style", ["xml", "brackets"])
def test_real_apertium_keeps_markers(tmp_path, style):
    spans = {0: [{"start": 1, "end": 2, "label": "PER"}, {"start": 3, "end": 4, "label": "LOC"}]}
    src = write_corpus(tmp_path / "in.jsonl", NAMES[:1], spans=spans)
    translate(src, tmp_path / "out.jsonl", backend="apertium", src_lang="en", tgt_lang="es",
              cache=False, markers=style)
    tr = read(tmp_path / "out.jsonl")[0]["translation"]
    assert tr["markers_lost"] == 0 and "*" not in tr["marked_text"]
    found = {s["label"]: " ".join(tr["tokens"][s["start"]:s["end"]]) for s in tr["spans"]}
    assert found["PER"] == "Smorglund" and found["LOC"].startswith("Berl")
    assert tr["unknown"][tr["tokens"].index("Smorglund")] == "*"


@real
def test_real_apertium_resumes_to_the_uninterrupted_output(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", SENTENCES + NAMES)
    opts = dict(backend="apertium", src_lang="en", tgt_lang="es", cache=False, sort_window=3)
    translate(src, tmp_path / "full.jsonl", **opts)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KilledAfter):
        translate(src, out, **{**opts, "backend": kill_after(
            ApertiumBackend(None, "en", "es"), calls=2)})
    assert len((tmp_path / ".out.jsonl.partial").read_text().splitlines()) == 6
    rep = translate(src, out, **opts)
    assert rep.resumed == 6
    assert out.read_bytes() == (tmp_path / "full.jsonl").read_bytes()


@real
def test_real_apertium_splits_what_is_over_max_input_tokens(tmp_path):
    src = write_corpus(tmp_path / "in.jsonl", ["The cat sleeps . The dog eats ."])
    rep = translate(src, tmp_path / "out.jsonl", backend="apertium", src_lang="en",
                    tgt_lang="es", cache=False, max_input_tokens=20)
    assert rep.counts.split == 1
    assert read(tmp_path / "out.jsonl")[0]["translation"]["text"].count(".") == 2


def test_the_translate_stage_needs_a_model_except_for_apertium():
    from pydantic import ValidationError

    from xlie.pipeline.adapters.translate import TranslateStageConfig
    assert TranslateStageConfig(backend="apertium").model is None
    with pytest.raises(ValidationError, match="model is required for backend hf"):
        TranslateStageConfig(backend="hf")


@pytest.mark.skipif(not HAVE_PIVOT, reason="apertium-es-pt not installed (apt-get install "
                    "apertium-es-pt)")
def test_real_apertium_translates_through_a_pivot_pair(tmp_path, caplog):
    src = write_corpus(tmp_path / "in.jsonl", ["I saw the dog in the house .",
                                               "The Smorglund report was published ."])
    with caplog.at_level("WARNING"):
        be = ApertiumBackend(None, "en", "pt")
    assert be.route == ["eng-spa", "es-pt"]
    assert "translating through eng-spa then es-pt" in caplog.text     # the user is told
    translate(src, tmp_path / "out.jsonl", backend=be, src_lang="en", tgt_lang="pt", cache=False)
    out = read(tmp_path / "out.jsonl")
    assert out[0]["translation"]["text"].startswith("Vi o cão")    # Portuguese, not Spanish
    assert out[0]["translation"]["lang"] == "pt"
    # the unknown name is marked once, by the last pair, and kept out of the text
    tokens, unknown = out[1]["translation"]["tokens"], out[1]["translation"]["unknown"]
    assert unknown[tokens.index("Smorglund")] != "" and "*" not in out[1]["translation"]["text"]
    assert be.processes == 2                     # one batch, two pairs
