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
