"""The shipped configs parse, validate and form a chain (the hub one is not run here)."""
from __future__ import annotations

from pathlib import Path

import pytest

from xlie.pipeline import load_config
from xlie.pipeline.config import resolve_path
from xlie.pipeline.inputs import input_provides
from xlie.pipeline.stages import plan_chain

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name,stages,first_models", [
    ("demo.yaml", ["align", "project", "selftrain"], {"align": "e5-small"}),
    ("hub-mt.yaml", ["translate", "align", "project", "selftrain"],
     {"translate": "Helsinki-NLP/opus-mt-en-de", "align": "bert-base-multilingual-cased"}),
])
def test_shipped_configs_validate_and_chain(name, stages, first_models):
    cfg = load_config(CONFIGS / name)
    enabled = [n for n in cfg.stages if cfg.stage(n)]
    assert enabled == stages
    for stage, model in first_models.items():
        assert cfg.stage(stage).model == model
    corpus = resolve_path(cfg.run.input.corpus)
    assert corpus.is_file()
    for key in ("gold", "test"):
        value = getattr(cfg.run.eval, key)
        assert value is None or resolve_path(value).is_file()
    plan = plan_chain(cfg.registry, enabled, input_provides(corpus))
    assert [s.name for s in plan.stages] == stages


def test_hub_config_overrides_like_any_other():
    cfg = load_config(CONFIGS / "hub-mt.yaml", ["engine=ray", "translate.beam=1",
                                                "selftrain.train.epochs=1"])
    assert cfg.run.engine == "ray" and cfg.stage("translate").beam == 1
    assert cfg.stage("selftrain").train.epochs == 1


def test_shipped_align_train_config_sets_the_benchmarked_settings():
    from xlie.aligners.training import load_train_config
    from xlie.aligners.training.config import AlignTrainConfig
    cfg = load_train_config(CONFIGS / "align-train-small.yaml", ["max_steps=5"],
                            data="pairs.txt", output="ft")
    defaults = AlignTrainConfig()
    assert (cfg.lr, cfg.epochs, cfg.freeze_embeddings) == (1e-4, 2, True) != (
        defaults.lr, defaults.epochs, defaults.freeze_embeddings)
    assert cfg.objectives.mlm == cfg.objectives.tlm == 0.01 and cfg.objectives.so == 1.0
    assert (cfg.max_steps, cfg.data, cfg.output) == (5, "pairs.txt", "ft")


@pytest.mark.parametrize("name", ["ewt-gsd-es.yaml", "events-pt.yaml"])
def test_configs_over_data_users_convert_themselves_validate(name):
    """Their corpora are not shipped (UD EWT/GSD, TimeML): only the settings are checked."""
    cfg = load_config(CONFIGS / name)
    assert [n for n in cfg.stages if cfg.stage(n)] == ["translate", "align", "project",
                                                        "selftrain"]
    assert cfg.stage("translate").backend == "apertium"
