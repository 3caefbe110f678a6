#!/usr/bin/env bash
# The README's test command and what CI runs: installs the dependencies, then
#   1. format check
#   2. Linux: the ci preset (the dev build with ASan + UBSan, compiled as unity
#      batches) and every Linux test (unit, integration, reliability)
#   3. Linux: the release agent (an optimised build reports warnings, errors
#      here, that a Debug build does not) and check-config on the shipped config
#   4. fuzz: the libFuzzer targets (clang, ASan + UBSan) for
#      UDA_FUZZ_SECONDS (default 20) each on a copy of the seed corpus
#   5. Windows: the mingw-w64 cross build and its tests under Wine (unit,
#      windows: SCM, WMI, WinHTTP against the Linux fake AdminService, and the
#      MSI service lifecycle); scripts/test-windows.sh
# Arguments go to the Linux ctest. UDA_WINDOWS=0 leaves the Windows stage out
# (and its ~1.1 GB of packages) for a quicker local run; CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

export UDA_WINDOWS=${UDA_WINDOWS:-1}
t0=$SECONDS
stage() { echo "test: $1 took $((SECONDS - $2)) s"; }

s=$SECONDS
scripts/bootstrap.sh
scripts/format-check.sh
stage "bootstrap + format check" "$s"

s=$SECONDS
cmake --preset ci
cmake --build --preset ci
stage "Linux build (ci preset)" "$s"
s=$SECONDS
ctest --preset ci "$@"
stage "Linux tests" "$s"

s=$SECONDS
cmake --preset release
cmake --build --preset release --target uda-agent
build/release/service/app/uda-agent --config config/uda-agent.yaml check-config
stage "Linux release agent + check-config" "$s"

s=$SECONDS
scripts/fuzz.sh "${UDA_FUZZ_SECONDS:-20}"
stage "fuzz" "$s"

if [ "$UDA_WINDOWS" != 1 ]; then
  echo "test: Windows stage left out (UDA_WINDOWS=$UDA_WINDOWS)"
else
  s=$SECONDS
  UDA_FAKE_ADMINSERVICE=build/ci/tests/tools/fake_adminservice/fake-adminservice \
    scripts/test-windows.sh
  stage "Windows cross build + tests under Wine" "$s"
fi
echo "test: all stages passed in $((SECONDS - t0)) s"
