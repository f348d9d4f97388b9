"""One aligner: settings in one model (CLI, API and pipeline), built from a model or a loaded
encoder, with_settings returning a new aligner, and the model's defaults resolved once."""
import pytest

from xlie.aligners.settings import EXTRACTIONS, SYMMETRIZATIONS, AlignerSettings
from xlie.errors import ConfigError


def test_the_settings_name_every_registered_method():
    from xlie.aligners.extraction import METHODS
    assert sorted(METHODS) == sorted(EXTRACTIONS)
    from xlie.aligners.symmetrize import symmetrize
    import numpy as np
    a = np.eye(2, dtype=bool)
    for how in SYMMETRIZATIONS:
        assert symmetrize(a, a, how).shape == (2, 2)


def test_a_bad_setting_names_the_key(tiny_xlmr):
    from xlie.aligners import Aligner
    with pytest.raises(ConfigError, match="unknown extraction method 'sotmax'"):
        Aligner(str(tiny_xlmr), extraction="sotmax")
    with pytest.raises(ConfigError, match="band"):
        Aligner(str(tiny_xlmr), band=-1)


def test_with_settings_and_a_loaded_encoder(tiny_xlmr):
    from xlie.aligners import Aligner
    base = Aligner(str(tiny_xlmr), AlignerSettings(layer=2, threshold=0.1))
    other = base.with_settings(threshold=0.3, band=0)
    assert (base.threshold, base.band) == (0.1, 24)          # unchanged
    assert (other.threshold, other.band, other.layer) == (0.3, None, 2)
    assert other.encoder is base.encoder and other.cache is None
    shared = Aligner(base.encoder, extraction="entmax")       # an encoder already loaded
    assert shared.layer == 2 and shared.threshold == 0.0      # entmax's own default
    with pytest.raises(ValueError, match="layer 2"):
        Aligner(base.encoder, layer=3)
    cached = base.cached()
    pairs = [("a cat sat".split(), "eine Katze saß".split())]
    assert cached.align_pairs(pairs) == base.align_pairs(pairs)
    assert len(cached.cache) == 2 and cached.with_settings(band=32).cache is cached.cache


def test_the_pipeline_section_is_the_settings(tiny_xlmr):
    from xlie.pipeline.adapters.align import AlignStageConfig, setup
    assert issubclass(AlignStageConfig, AlignerSettings)
    assert set(AlignerSettings.model_fields) < set(AlignStageConfig.model_fields)
    cfg = AlignStageConfig(model=str(tiny_xlmr), layer=2, threshold=0.2, symmetrization="union")
    _, aligner = setup(cfg, None)
    assert (aligner.threshold, aligner.symmetrization, aligner.layer) == (0.2, "union", 2)
