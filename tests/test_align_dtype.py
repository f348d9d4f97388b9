"""`xlie align --dtype int8|bf16`: line-for-line output, the int8 encoder built once under
XLIE_HOME, and fp32 with one warning line where a model does not quantize."""
from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from xlie.cli import cli

LINES = ["the cat sat on the mat . ||| die Katze saß auf der Matte .",
         "no separator on this line",
         "I tried to examine myself . ||| Pokusil jsem se sám se prohlédnout .",
         ". , ! ||| . ;",
         "The European Parliament adjourned the session . ||| Das Europäische Parlament "
         "unterbrach die Sitzung ."]

pytest.importorskip("openvino")
pytest.importorskip("nncf")
pytest.importorskip("onnx")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XLIE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _align(tmp_path, model, name, *extra):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / f"{name}.txt"
    r = CliRunner().invoke(cli, ["align", str(src), str(out), "--model", str(model),
                                 "--extraction", "argmax", "--layer", "2", "--device", "cpu",
                                 *extra])
    assert r.exit_code == 0, r.output
    return out.read_text(encoding="utf-8").split("\n")[:-1], r.stderr


@pytest.mark.parametrize("tiny", ["tiny_bert", "tiny_xlmr"])
def test_int8_is_line_for_line_and_built_once(tiny, request, tmp_path, home, monkeypatch):
    model = request.getfixturevalue(tiny)
    fp32, _ = _align(tmp_path, model, "fp32")
    int8, err = _align(tmp_path, model, "int8", "--dtype", "int8")
    assert "warning: could not" not in err
    assert len(int8) == len(fp32) == len(LINES)
    assert [bool(x) for x in int8] == [bool(x) for x in fp32] == [True, False, True, False, True]
    for a, b in zip(fp32, int8):     # same links: the same line, byte for byte
        if set(a.split()) == set(b.split()):
            assert a == b
    built = list(home.glob("int8/*/layer2.xml"))
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns

    def no_build(*a, **k):
        raise AssertionError("the int8 encoder was built twice")
    monkeypatch.setattr("xlie.models.int8_encoder.build_int8", no_build)
    again, err = _align(tmp_path, model, "again", "--dtype", "int8")
    assert again == int8 and "could not" not in err
    assert built[0].stat().st_mtime_ns == stamp


def test_int8_vectors_stay_close_to_fp32(tiny_bert, home):
    from xlie.aligners.encoder import Encoder
    words = [["the", "cat", "sat", "on", "the", "mat", "."], ["I", "tried", "."]]
    ref = Encoder(str(tiny_bert), layer=3, device="cpu").encode(words)
    q = Encoder(str(tiny_bert), layer=3, device="cpu", dtype="int8")
    assert q.dtype == "int8"
    for a, b in zip(ref, q.encode(words)):
        assert a.vectors.shape == b.vectors.shape and torch.equal(a.word_ids, b.word_ids)
        cos = torch.nn.functional.cosine_similarity(a.vectors, b.vectors, dim=-1)
        assert cos.min() > 0.9 and not torch.equal(a.vectors, b.vectors)


def test_a_model_that_does_not_quantize_runs_fp32_after_one_warning(tiny_bert, tmp_path, home,
                                                                     monkeypatch):
    fp32, _ = _align(tmp_path, tiny_bert, "fp32")

    def fail(*a, **k):
        raise RuntimeError("Exporting the operator 'aten::weird' to ONNX is not supported")
    monkeypatch.setattr("xlie.models.int8_encoder.build_int8", fail)
    out, err = _align(tmp_path, tiny_bert, "int8", "--dtype", "int8")
    warnings = [line for line in err.splitlines()
                if line.startswith("warning") and "in.txt:" not in line]   # not bad lines
    assert len(warnings) == 1 and "aten::weird" in warnings[0] and "fp32" in warnings[0]
    assert out == fp32
    assert not list(home.glob("int8/*/*.xml"))


def test_python_api_and_bf16_on_cpu(tiny_bert, home):
    from xlie.aligners import Aligner
    pairs = [("the cat sat .".split(), "die Katze saß .".split())]
    fp32 = Aligner(str(tiny_bert), layer=2, extraction="argmax", device="cpu")
    bf16 = Aligner(str(tiny_bert), layer=2, extraction="argmax", device="cpu", dtype="bf16")
    int8 = Aligner(str(tiny_bert), layer=2, extraction="argmax", device="cpu", dtype="int8")
    assert next(bf16.encoder.model.parameters()).dtype == torch.bfloat16
    assert int8.encoder.dtype == "int8"
    for al in (fp32, bf16, int8):
        [res] = al.align_pairs(pairs)
        assert res.error is None and res.links


def test_unknown_dtype_is_an_error(tmp_path, tiny_bert):
    src = tmp_path / "in.txt"
    src.write_text(LINES[0] + "\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["align", str(src), str(tmp_path / "o"), "--model",
                                 str(tiny_bert), "--dtype", "int4"])
    assert r.exit_code == 2 and "int4" in r.output
    from xlie.aligners.settings import AlignerSettings
    from xlie.config import validate_settings
    from xlie.errors import XlieError
    with pytest.raises(XlieError):
        validate_settings(AlignerSettings, {"dtype": "int4"})


def test_pipeline_align_section_takes_the_dtype():
    from xlie.pipeline.adapters.align import AlignStageConfig
    assert AlignStageConfig(dtype="int8").dtype == "int8"
    with pytest.raises(Exception):
        AlignStageConfig(dtype="int4")


def test_bf16_on_a_cpu_without_native_bf16_warns_once(monkeypatch):
    from xlie.models.quantize import for_inference
    monkeypatch.setattr("xlie.models.quantize.cpu_has_bf16", lambda: False)
    seen = []
    model = for_inference(torch.nn.Linear(4, 4), "bf16", "cpu", warn=seen.append)
    assert model.weight.dtype == torch.bfloat16 and len(seen) == 1 and "emulated" in seen[0]
