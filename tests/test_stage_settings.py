"""Each stage has one settings class: its CLI builds it, its API takes it, and the pipeline's
section for the stage is it (plus the model and batch sizes)."""
import pytest
from click.testing import CliRunner

from xlie.aligners.settings import AlignerSettings
from xlie.cli import cli
from xlie.errors import ConfigError
from xlie.pipeline.adapters.align import AlignStageConfig
from xlie.pipeline.adapters.project import ProjectStageConfig
from xlie.pipeline.adapters.selftrain import SelftrainStageConfig
from xlie.pipeline.adapters.translate import TranslateStageConfig
from xlie.projection.options import ProjectionOptions
from xlie.selftrain import SelfTrainConfig
from xlie.translation import TranslateSettings, open_session


@pytest.mark.parametrize("stage,settings", [
    (TranslateStageConfig, TranslateSettings), (AlignStageConfig, AlignerSettings),
    (ProjectStageConfig, ProjectionOptions), (SelftrainStageConfig, SelfTrainConfig)])
def test_the_pipeline_section_is_the_stage_settings(stage, settings):
    assert issubclass(stage, settings)
    assert set(settings.model_fields) <= set(stage.model_fields)


def test_translate_cli_and_api_check_the_same_settings(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Hello.\n")
    res = CliRunner().invoke(cli, ["translate", str(src), str(tmp_path / "o.jsonl"), "-m", "x",
                                   "-s", "en", "-t", "de", "--top-p", "2", "--sample"])
    assert res.exit_code == 2 and "config key 'top_p'" in res.output
    with pytest.raises(ConfigError, match="top_p"):
        open_session("x", top_p=2.0, sample=True)
    with pytest.raises(ConfigError, match="unknown key"):
        open_session("x", beams=2)
    with pytest.raises(ConfigError, match="translation backend 'fairseq'"):
        open_session("x", backend="fairseq")


def test_align_cli_errors_name_the_setting(tmp_path):
    data = tmp_path / "p.txt"
    data.write_text("a b ||| c d\n")
    res = CliRunner().invoke(cli, ["align", str(data), str(tmp_path / "o.txt"), "--band", "-1"])
    assert res.exit_code == 2 and "config key 'band'" in res.output
