"""What each process of `accelerate launch` runs for the selftrain stage: one job file in,
``xlie.selftrain.self_train`` called with it (see ``adapters/selftrain.py``)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .selftrain import run_job

if __name__ == "__main__":
    run_job(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
