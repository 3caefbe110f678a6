#!/usr/bin/env bash
# Installs dependencies, builds the release preset and runs the agent in the
# foreground with config/uda-agent.yaml (SQLite under var/, simulated site).
# Stop it with Ctrl-C. Extra arguments go to `uda-agent run`'s global options.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
cmake --preset release
cmake --build --preset release
exec build/release/service/app/uda-agent --config config/uda-agent.yaml "$@" run
