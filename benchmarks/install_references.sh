#!/usr/bin/env bash
# Install the reference aligners that the align_* benchmarks compare xlie against, into the
# current virtual environment (default: ./.venv), without touching torch or transformers.
#
#   bash benchmarks/install_references.sh            # uses .venv/bin/python
#   PYTHON=/path/to/python bash benchmarks/install_references.sh
#
# awesome-align and simalign are installed with --no-deps: their declared requirements are
# unpinned torch/transformers, which would pull another (CUDA) torch. What their imports
# actually need beyond xlie's own environment:
#   awesome-align: boto3 (+ botocore) and filelock (its file_utils imports them at import time)
#   simalign:      scipy, scikit-learn, networkx, regex (most already come with xlie's deps)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" -m pip install --quiet --no-deps awesome-align==0.1.7 simalign==0.4
# import-time deps only; pip resolves them against what is installed, and none needs torch
"$PYTHON" -m pip install --quiet boto3 filelock scipy scikit-learn networkx regex
"$PYTHON" - <<'PY'
import awesome_align.modeling, simalign  # noqa: F401  (fails loudly if an import dep is missing)
import torch
print("reference aligners importable; torch", torch.__version__)
PY
