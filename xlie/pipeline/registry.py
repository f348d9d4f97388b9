"""The built-in stages of a pipeline run, in chain order.

The config reader, the runner and ``xlie status`` start from this list unless they are
given another (tests give small fake stages). Importing a stage never registers it:
a stage that does not import fails here, loudly.
"""
from __future__ import annotations

from typing import Iterable, Optional

from .adapters import align, documents, project, selftrain, translate
from .stages import Stage, stage_map

BUILTIN_STAGES: tuple[Stage, ...] = (documents.STAGE, translate.STAGE, align.STAGE, project.STAGE,
                                     selftrain.STAGE)


def stages_of(stages: Optional[Iterable[Stage]] = None) -> dict[str, Stage]:
    """``stages`` (default: the built-in ones) by name, in chain order."""
    return stage_map(BUILTIN_STAGES if stages is None else stages)
