#!/usr/bin/env bash
# Fresh machine -> the assistant running: install, ingest the bundled sample digest, show a cited
# answer, then start the web chat (and the Telegram bot when TELEGRAM_BOT_TOKEN is set).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
assistant ingest
assistant ask "What do leaders do that impedes mastery?"
echo "Open http://${ASSISTANT_WEB_HOST:-127.0.0.1}:${ASSISTANT_WEB_PORT:-7860}/ (Ctrl-C stops it)."
exec assistant serve
