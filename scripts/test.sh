#!/usr/bin/env bash
# Fresh machine -> the test suite: install with the test extra, then run pytest (args pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh test
python3 -m pytest "$@"
