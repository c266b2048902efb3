#!/usr/bin/env bash
# Screenshot of a task's page in the Temporal Web UI (headless Chromium from Debian's
# packages), for the docs. Installs nothing; see scripts/screenshot-ui.ts for the options.
#
#   scripts/screenshot-ui.sh                          # runs a demo decomposed task first
#   scripts/screenshot-ui.sh --workflow <id> --out docs/ui-task --view all|history|relationships|search-attributes|list
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "screenshot-ui: $CHROMIUM_PATH not found. Install Debian's chromium package:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 2
fi
export CHROMIUM_PATH
exec npx tsx scripts/screenshot-ui.ts "$@"
