#!/usr/bin/env bash
# Cross-builds uda-agent for Windows (scripts/build-windows.sh) and runs its
# tests with ctest under Wine: the unit tests (label `unit`) and the
# Windows-only tests (label `windows`). Arguments go to ctest:
#
#   scripts/test-windows.sh               everything
#   scripts/test-windows.sh -L unit       one label
#   scripts/test-windows.sh -R Spool      by name
#
# Wine runs in a private prefix (UDA_WINEPREFIX, default
# build/windows-cross/wine), created on first use; its wineserver is kept
# alive for the run (Windows services under test are killed ~3 s after start
# otherwise) and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-windows.sh

export WINEPREFIX=${UDA_WINEPREFIX:-$PWD/build/windows-cross/wine}
export WINEDEBUG=-all
# No Mono / Gecko installers: the tests need neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY

start=$SECONDS
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "test-windows: creating the Wine prefix $WINEPREFIX" >&2
  mkdir -p "$WINEPREFIX"
  wineboot -i >/dev/null 2>&1
fi
wineserver -p
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT
wine cmd /c exit </dev/null >/dev/null 2>&1 || true
echo "test-windows: Wine ready in $((SECONDS - start)) s" >&2

start=$SECONDS
status=0
ctest --preset windows-cross "$@" || status=$?
echo "test-windows: ctest under Wine took $((SECONDS - start)) s" >&2
exit "$status"
