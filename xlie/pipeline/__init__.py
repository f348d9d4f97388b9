"""The pipeline: stage contracts, the runner (resume, manifests) and engines (local, Ray).

    from xlie.pipeline import load_config, run_pipeline
    result = run_pipeline(load_config("configs/demo.yaml", ["align.layer=6"]))
    print(result.metrics)
"""
from .config import PipelineConfig, load_config, validate_config
from .registry import BUILTIN_STAGES, stages_of
from .runner import RunResult, run_pipeline
from .stages import BatchResult, Stage, StageContext
from .status import run_status

__all__ = ["PipelineConfig", "load_config", "validate_config", "RunResult", "run_pipeline",
           "BatchResult", "Stage", "StageContext", "BUILTIN_STAGES", "stages_of", "run_status"]
