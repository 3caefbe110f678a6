#!/usr/bin/env bash
# Runs a command (the Windows AdminService tests under Wine, usually) with the
# Linux fake AdminService started four times and its addresses exported:
#
#   UDA_FAKE_ADMINSERVICE_URL            plain HTTP
#   UDA_FAKE_ADMINSERVICE_HTTPS_URL      HTTPS, self-signed certificate for 127.0.0.1
#   UDA_FAKE_ADMINSERVICE_THROTTLED_URL  every request answered 429, Retry-After: 7
#   UDA_FAKE_ADMINSERVICE_SLOW_URL       every answer 4 s late
#   UDA_FAKE_ADMINSERVICE_TOKEN          the bearer token all three accept
#
# Wine passes the environment on to Windows programs, and they reach Linux
# loopback. The fakes are stopped when the command ends; its exit code is ours.
#
#   tests/windows/adminservice/run-with-fake.sh build/dev/tests/tools/fake_adminservice/fake-adminservice \
#       -- ctest --test-dir build/windows-cross -L windows -R WinHttp\|ProviderOverWinHttp
#
# The fake is a native Linux program: build it with
#   cmake --build build/dev --target fake-adminservice
set -euo pipefail

if [[ $# -lt 3 || "$2" != "--" ]]; then
  echo "usage: $0 FAKE_ADMINSERVICE_BINARY -- COMMAND [ARGS...]" >&2
  exit 2
fi
fake="$1"
shift 2
[[ -x "$fake" ]] || { echo "$0: $fake is not an executable (build fake-adminservice)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "$0: openssl is needed for the HTTPS fake" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixture="$here/../../data/sites/small.yaml"
work="$(mktemp -d "${TMPDIR:-/tmp}/uda-fake-as.XXXXXX")"
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

token="winhttp-$RANDOM$RANDOM"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.pem" -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1

# start VAR NAME ARGS...: starts one fake (in this shell, so that cleanup
# knows its pid), waits for its "listening on URL" line and sets VAR to URL.
start() {
  local var="$1" name="$2"
  shift 2
  "$fake" --fixture "$fixture" --state "$work/$name.db" --listen 127.0.0.1:0 --token "$token" "$@" \
    >"$work/$name.out" 2>"$work/$name.log" &
  pids+=("$!")
  for _ in $(seq 100); do
    if grep -q "listening on" "$work/$name.out" 2>/dev/null; then
      printf -v "$var" '%s' "$(awk '/listening on/ {print $NF; exit}' "$work/$name.out")"
      return 0
    fi
    sleep 0.1
  done
  echo "$0: fake-adminservice ($name) did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

start UDA_FAKE_ADMINSERVICE_URL http
start UDA_FAKE_ADMINSERVICE_HTTPS_URL https --tls-cert "$work/tls.pem" --tls-key "$work/tls.key"
start UDA_FAKE_ADMINSERVICE_THROTTLED_URL throttled --rate-429 1 --retry-after 7
start UDA_FAKE_ADMINSERVICE_SLOW_URL slow --latency-ms 4000
UDA_FAKE_ADMINSERVICE_TOKEN="$token"
export UDA_FAKE_ADMINSERVICE_URL UDA_FAKE_ADMINSERVICE_HTTPS_URL UDA_FAKE_ADMINSERVICE_THROTTLED_URL \
  UDA_FAKE_ADMINSERVICE_SLOW_URL UDA_FAKE_ADMINSERVICE_TOKEN
echo "fake AdminService: $UDA_FAKE_ADMINSERVICE_URL $UDA_FAKE_ADMINSERVICE_HTTPS_URL" \
  "$UDA_FAKE_ADMINSERVICE_THROTTLED_URL (throttled) $UDA_FAKE_ADMINSERVICE_SLOW_URL (slow)" >&2

set +e
"$@"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  for f in "$work"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done
fi
exit $rc
