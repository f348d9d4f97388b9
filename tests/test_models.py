from pathlib import Path

import pytest

from xlie.errors import ModelNotFoundError, UnknownNameError
from xlie.models import load_tokenizer, resolve_model
from xlie.models.resolve import build_builtin


def test_local_directory_resolves_to_itself(tiny_bert):
    assert resolve_model(tiny_bert) == str(tiny_bert)
    tok = load_tokenizer(tiny_bert)
    enc = tok(["a", "cat"], is_split_into_words=True)
    assert enc.word_ids()[0] is None and 0 in enc.word_ids() and 1 in enc.word_ids()


def test_directory_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="config.json"):
        resolve_model(tmp_path)


def test_missing_path_says_how_to_get_a_model(tmp_path):
    with pytest.raises(ModelNotFoundError) as e:
        resolve_model(str(tmp_path / "nope"))
    assert "xlie models build" in str(e.value)


def test_unknown_builtin_lists_known():
    with pytest.raises(UnknownNameError, match="e5-small"):
        build_builtin("e5-tiny-nonexistent")


def test_hub_id_passes_through():
    assert resolve_model("bert-base-multilingual-cased") == "bert-base-multilingual-cased"


@pytest.mark.slow
def test_e5_small_builds_and_matches_reference(e5_small):
    import json
    info = json.loads((Path(e5_small) / "xlie-build.json").read_text())
    assert info["verify_min_cosine"] >= 0.999
    tok = load_tokenizer(e5_small)
    assert tok.mask_token_id == 250001 and tok.pad_token_id == 1


def test_a_trained_directory_brings_its_align_settings(tmp_path):
    import json
    from xlie.models.builtin import known_defaults
    (tmp_path / "xlie-train.json").write_text(json.dumps(
        {"align": {"layer": 6, "threshold": 0.05, "extraction": "softmax"}}))
    d = known_defaults(str(tmp_path))
    assert d.layer == 6 and d.softmax_threshold == 0.05 and d.extraction == "softmax"
    assert d.band == 24                   # a record from before calibration: the default band
    for recorded, expected in ((32, 32), (None, None)):
        (tmp_path / "xlie-train.json").write_text(json.dumps(
            {"align": {"layer": 6, "threshold": 0.05, "band": recorded}}))
        assert known_defaults(str(tmp_path)).band == expected
    (tmp_path / "xlie-train.json").write_text("{not json")
    assert known_defaults(str(tmp_path)) is None


def test_public_api_is_reexported():
    import xlie
    for name in xlie.__all__:
        assert getattr(xlie, name) is not None
    assert callable(xlie.align) and callable(xlie.project) and callable(xlie.train_tagger)
