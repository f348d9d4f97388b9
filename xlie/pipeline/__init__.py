"""The pipeline: stage contracts, the runner (resume, manifests) and engines (local, Ray).

    from xlie.pipeline import load_config, run_pipeline
    result = run_pipeline(load_config("configs/demo.yaml", ["align.layer=6"]))
    print(result.metrics)
"""
from .config import PipelineConfig, load_config, validate_config
from .runner import RunResult, run_pipeline
from .stages import BatchResult, Stage, StageContext, get_registry, register_stage
from .status import run_status

__all__ = ["PipelineConfig", "load_config", "validate_config", "RunResult", "run_pipeline",
           "BatchResult", "Stage", "StageContext", "get_registry", "register_stage", "run_status"]
