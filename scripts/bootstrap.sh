#!/usr/bin/env bash
# Installs the Debian packages uda-agent needs to build and test on Linux, and
# (with UDA_WINDOWS=1) those for the Windows cross build and its tests
# under Wine (about 1.1 GB).
# Idempotent: packages already present are skipped by apt-get; safe to re-run.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libsqlite3-dev
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl libcurl4-openssl-dev sqlite3 curl python3 clang-format clang-tidy
  clang libclang-rt-14-dev
)
if [ "${UDA_WINDOWS:-0}" = 1 ]; then
  # scripts/build-windows.sh, scripts/test-windows.sh, the MSI (wixl, msitools);
  # tcl and dpkg-dev build SQLite's amalgamation from Debian's source.
  packages+=(g++-mingw-w64-x86-64-posix mingw-w64-tools wine wine64 msitools wixl tcl dpkg-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
