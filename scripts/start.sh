#!/usr/bin/env bash
# Fresh machine -> a cited answer: install, ingest the bundled sample digest, ask the seed question.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
assistant ingest
assistant issues
assistant ask "What do leaders do that impedes mastery?"
