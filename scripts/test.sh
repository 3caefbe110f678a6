#!/usr/bin/env bash
# Installs dependencies, builds the dev preset and runs every test (unit +
# integration). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
scripts/format-check.sh
cmake --preset dev
cmake --build --preset dev
ctest --preset dev "$@"
# The README's run command uses the release preset: an optimised build raises
# warnings (errors here) that a Debug build does not, so build it too and let
# it validate the shipped configuration.
cmake --preset release
cmake --build --preset release --target uda-agent
build/release/service/app/uda-agent --config config/uda-agent.yaml check-config
