#!/usr/bin/env bash
# Checks the Dockerfile with BuildKit's own parser and linter (the checks of
# "docker build --check") and docker-compose.yml with compose-go (what "docker compose
# config" loads), without a Docker daemon. Builds the checker once from the Go module proxy
# (about a minute) into ~/.cache/chassis/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CHASSIS_BIN_DIR:-$HOME/.cache/chassis/bin}"
checker="$bin/docker-check-$(sha256sum tools/docker-check/go.sum | cut -c1-12)"
if [[ ! -x "$checker" ]]; then
  mkdir -p "$bin"
  (cd tools/docker-check && go build -o "$checker" .)
fi
"$checker" Dockerfile docker-compose.yml
